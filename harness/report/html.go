package report

import (
	"bufio"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"mime"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

//go:embed report.html.tmpl
var templateFS embed.FS

// htmlTemplate is parsed once; it is never modified after init, so sharing
// it between concurrent WriteHTML calls is safe.
var htmlTemplate = template.Must(template.New("report.html.tmpl").Funcs(template.FuncMap{"verdictClass": verdictClass}).ParseFS(templateFS, "report.html.tmpl"))

type htmlView struct {
	Target, Started, Duration string
	Tool, Command, Tags       string
	Interrupted               string
	NotSelected               int
	Result, ResultClass       string
	Total                     int
	Passed, Failed, Errors    int
	NotApplicable             int
	Groups                    []htmlGroup
	Failing                   []htmlCheck
}

type htmlGroup struct {
	Name                                  string
	Passed, Failed, Errors, NotApplicable int
	Checks                                []htmlCheck
}

type htmlCheck struct {
	Check
	Anchor, IDText, CapabilityName string
	StatusClass, DurationText      string
	VerdictText                    string
	Failing                        bool
	Steps                          []htmlStep
	Evidence                       []htmlEvidence
}

type htmlStep struct {
	Step
	StatusClass, DurationText string
}

type htmlEvidence struct {
	Evidence
	Size     int
	Inline   bool
	Href     template.URL
	FileName string
}

// WriteHTML writes a self-contained HTML report: inline CSS, no scripts, no
// external references. It has a header with target, start time, duration and
// totals, a table of all checks per capability, and for every failing check
// an expanded section, in the same order as the tables, with the reason, the steps, the full error and its
// evidence. Textual evidence (text/*, JSON, XML) is shown escaped in <pre>;
// anything else, or anything not valid UTF-8, is a download link to a
// data: URI.
func WriteHTML(w io.Writer, r *Run) error {
	if r == nil {
		return fmt.Errorf("report: write html: %w", ErrNilRun)
	}
	v := htmlView{
		Target:      r.Target,
		Started:     "unknown",
		Duration:    formatDuration(r.Duration),
		Total:       len(r.Checks),
		Tool:        r.Tool,
		Command:     strings.Join(r.Command, " "),
		Tags:        r.Tags,
		NotSelected: len(r.NotSelected),
		Interrupted: r.Interrupted,
	}
	if v.Target == "" {
		v.Target = "(unknown)"
	}
	if !r.Started.IsZero() {
		v.Started = r.Started.UTC().Format(time.RFC3339)
	}
	anchors := map[string]bool{}
	for _, g := range groupChecks(r.Checks) {
		hg := htmlGroup{Name: capabilityName(g.Capability)}
		for _, c := range g.Checks {
			hc := newHTMLCheck(c, anchors)
			switch c.Verdict {
			case Pass:
				hg.Passed++
			case Fail:
				hg.Failed++
			case Error:
				hg.Errors++
			case NotApplicable:
				hg.NotApplicable++
			}
			if hc.Failing {
				v.Failing = append(v.Failing, hc)
			}
			hg.Checks = append(hg.Checks, hc)
		}
		v.Passed += hg.Passed
		v.Failed += hg.Failed
		v.Errors += hg.Errors
		v.NotApplicable += hg.NotApplicable
		v.Groups = append(v.Groups, hg)
	}
	res := r.Result()
	v.Result, v.ResultClass = strings.ToUpper(res), verdictClass(Verdict(res))

	bw := bufio.NewWriter(w)
	if err := htmlTemplate.Execute(bw, v); err != nil {
		return fmt.Errorf("report: write html: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("report: write html: %w", err)
	}
	return nil
}

func newHTMLCheck(c Check, anchors map[string]bool) htmlCheck {
	hc := htmlCheck{
		Check:          c,
		IDText:         checkID(c),
		CapabilityName: capabilityName(c.Capability),
		StatusClass:    verdictClass(c.Verdict),
		DurationText:   formatDuration(c.Duration),
		Failing:        c.Verdict == Fail || c.Verdict == Error,
		VerdictText:    c.Verdict.Label(),
	}
	base := "check-" + anchorSafe(c.ID)
	hc.Anchor = base
	for n := 2; anchors[hc.Anchor]; n++ {
		hc.Anchor = base + "-" + strconv.Itoa(n)
	}
	anchors[hc.Anchor] = true
	for _, s := range c.Steps {
		hc.Steps = append(hc.Steps, htmlStep{Step: s, StatusClass: statusClass(s.Status), DurationText: formatDuration(s.Duration)})
	}
	for i, e := range c.Evidence {
		he := htmlEvidence{Evidence: e, Size: len(e.Data)}
		if he.Name == "" {
			he.Name = "evidence " + strconv.Itoa(i+1)
		}
		if he.MediaType == "" {
			he.MediaType = "application/octet-stream"
		}
		he.Inline = inlineMediaType(e.MediaType) && utf8.ValidString(e.Data)
		if !he.Inline {
			// Always octet-stream: the link downloads, it never renders
			// attacker-chosen HTML or SVG in the report's origin.
			he.Href = template.URL("data:application/octet-stream;base64," + base64.StdEncoding.EncodeToString([]byte(e.Data)))
			he.FileName = he.Name
		}
		hc.Evidence = append(hc.Evidence, he)
	}
	return hc
}

// inlineMediaType reports whether evidence of media type mt is text that can
// be shown escaped in a <pre>.
func inlineMediaType(mt string) bool {
	t, _, err := mime.ParseMediaType(mt)
	if err != nil {
		return false
	}
	switch {
	case strings.HasPrefix(t, "text/"),
		t == "application/json", strings.HasSuffix(t, "+json"),
		t == "application/xml", strings.HasSuffix(t, "+xml"):
		return true
	}
	return false
}

func verdictClass(v Verdict) string {
	switch v {
	case Pass:
		return "st-passed"
	case Fail:
		return "st-failed"
	}
	return "st-other"
}

func statusClass(s Status) string {
	switch s {
	case StatusPassed:
		return "st-passed"
	case StatusFailed, StatusUndefined, StatusPending, StatusAmbiguous:
		return "st-failed"
	}
	return "st-other"
}

func anchorSafe(id string) string {
	var b strings.Builder
	for _, r := range id {
		if r < utf8.RuneSelf && (r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}

func formatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond).String()
	}
	return d.Round(time.Microsecond).String()
}
