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
	Profile, Shard, TLS       string
	TLSOff                    bool
	NotSelected, OtherShards  int
	Result, ResultClass       string
	Total                     int
	Passed, Failed, Errors    int
	NotApplicable, Waived     int
	Groups                    []htmlGroup
	Failing                   []htmlCheck
	Waivers                   []WaiverStatus
	Bundle                    bool
}

type htmlGroup struct {
	Name                                          string
	Passed, Failed, Errors, NotApplicable, Waived int
	Checks                                        []htmlCheck
}

// HTMLOptions tune WriteHTMLWith.
type HTMLOptions struct {
	// Bundle links every evidence to its file under evidence/ (the report
	// directory's bundle, EvidenceFiles) as well as showing it inline.
	Bundle bool
}

type htmlCheck struct {
	Check
	Anchor, IDText, CapabilityName string
	StatusClass, DurationText      string
	VerdictText                    string
	Failing                        bool
	WaiverText                     string
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
	// File is the evidence's file in the bundle ("" outside one).
	File string
}

// WriteHTML writes a self-contained HTML report: inline CSS, no scripts, no
// external references. It has a header with target, start time, duration and
// totals, a table of all checks per capability, and for every failing check
// an expanded section, in the same order as the tables, with the reason, the steps, the full error and its
// evidence. Textual evidence (text/*, JSON, XML) is shown escaped in <pre>;
// anything else, or anything not valid UTF-8, is a download link to a
// data: URI.
func WriteHTML(w io.Writer, r *Run) error { return WriteHTMLWith(w, r, HTMLOptions{}) }

// WriteHTMLWith is WriteHTML with options.
func WriteHTMLWith(w io.Writer, r *Run, o HTMLOptions) error {
	if r == nil {
		return fmt.Errorf("report: write html: %w", ErrNilRun)
	}
	v := htmlView{
		Profile:     r.ProfileOf().String(),
		Shard:       r.Shard,
		TLSOff:      r.TLSVerification != "" && r.TLSVerification != "on",
		TLS:         r.TLSVerification,
		OtherShards: len(r.OtherShards),
		Waivers:     r.Waivers,
		Bundle:      o.Bundle,
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
	files := map[*Check][]string{}
	if o.Bundle {
		for i, f := range EvidenceFiles(r) {
			files[&r.Checks[i]] = f
		}
	}
	byID := map[string][]string{}
	for i := range r.Checks {
		byID[checkKey(r.Checks[i])] = files[&r.Checks[i]]
	}
	for _, g := range groupChecks(r.Checks) {
		hg := htmlGroup{Name: capabilityName(g.Capability)}
		for _, c := range g.Checks {
			hc := newHTMLCheck(c, anchors, byID[checkKey(c)])
			switch c.Verdict {
			case Pass:
				hg.Passed++
			case Fail:
				hg.Failed++
			case Error:
				hg.Errors++
			case NotApplicable:
				hg.NotApplicable++
			case Waived:
				hg.Waived++
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
		v.Waived += hg.Waived
		v.Groups = append(v.Groups, hg)
	}
	sortHTMLAttention(v.Failing)
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

// checkKey identifies a check of a run for the HTML (IDs are unique in a
// run; a check without one falls back to its place in the features).
func checkKey(c Check) string { return c.ID + "\x00" + c.Feature + ":" + strconv.Itoa(c.Line) }

// sortHTMLAttention orders the checks needing attention like SortAttention.
func sortHTMLAttention(hs []htmlCheck) {
	cs := make([]Check, len(hs))
	at := map[string][]htmlCheck{}
	for i, h := range hs {
		cs[i] = h.Check
		at[checkKey(h.Check)] = append(at[checkKey(h.Check)], h)
	}
	SortAttention(cs)
	for i, c := range cs {
		k := checkKey(c)
		hs[i], at[k] = at[k][0], at[k][1:]
	}
}

func newHTMLCheck(c Check, anchors map[string]bool, files []string) htmlCheck {
	hc := htmlCheck{
		Check:          c,
		IDText:         checkID(c),
		CapabilityName: capabilityName(c.Capability),
		StatusClass:    verdictClass(c.Verdict),
		DurationText:   formatDuration(c.Duration),
		Failing:        c.Verdict == Fail || c.Verdict == Error || c.Verdict == Waived,
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
		if i < len(files) {
			he.File = files[i]
		}
		hc.Evidence = append(hc.Evidence, he)
	}
	if c.Waiver != nil {
		hc.WaiverText = waiverLabel(*c.Waiver) + ": " + c.Waiver.Reason
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
