package report

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"example.com/cutover/harness/checkid"
)

// The cucumber JSON shapes below follow godog v0.15.1
// internal/formatters/fmt_cucumber.go, plus the "before"/"after" hook arrays
// and "background" elements other cucumber implementations write.

type cukeFeature struct {
	URI      string        `json:"uri"`
	Name     string        `json:"name"`
	Elements []cukeElement `json:"elements"`
}

type cukeElement struct {
	Keyword     string     `json:"keyword"`
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Line        int        `json:"line"`
	Type        string     `json:"type"`
	Tags        []cukeTag  `json:"tags"`
	Before      []cukeHook `json:"before"`
	Steps       []cukeStep `json:"steps"`
	After       []cukeHook `json:"after"`
}

type cukeTag struct {
	Name string `json:"name"`
}

type cukeHook struct {
	Result     cukeResult      `json:"result"`
	Embeddings []cukeEmbedding `json:"embeddings"`
}

type cukeStep struct {
	Keyword    string          `json:"keyword"`
	Name       string          `json:"name"`
	Before     []cukeHook      `json:"before"`
	Result     cukeResult      `json:"result"`
	Embeddings []cukeEmbedding `json:"embeddings"`
	After      []cukeHook      `json:"after"`
}

type cukeResult struct {
	Status   string      `json:"status"`
	Error    string      `json:"error_message"`
	Duration json.Number `json:"duration"`
}

type cukeEmbedding struct {
	Name     string `json:"name"`
	MimeType string `json:"mime_type"`
	Media    struct {
		Type string `json:"type"`
	} `json:"media"`
	Data string `json:"data"`
}

var (
	// plainTag matches a bare lowercase tag that may name a capability not
	// (yet) in the list; tags with ":" such as @ref:RFC2782 never do.
	plainTag = regexp.MustCompile(`^@([a-z][a-z0-9_-]*)$`)
)

// maxReason is the longest Reason, in characters.
const maxReason = 200

// FromCucumberJSON parses the output of godog's cucumber formatter into one
// Check per scenario, in the order they appear. It tolerates "before" and
// "after" hook entries (on scenarios and steps) and their embeddings, and
// merges "background" elements into the scenario that follows them. Invalid
// base64 evidence is kept as is rather than failing the whole report.
func FromCucumberJSON(data []byte) ([]Check, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var features []cukeFeature
	if err := dec.Decode(&features); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCucumberJSON, err)
	}
	var checks []Check
	for _, f := range features {
		var background []cukeElement
		for _, e := range f.Elements {
			if strings.EqualFold(e.Type, "background") {
				background = append(background, e)
				continue
			}
			checks = append(checks, buildCheck(f.URI, background, e))
			background = nil
		}
	}
	return checks, nil
}

func buildCheck(uri string, background []cukeElement, e cukeElement) Check {
	c := Check{
		Title:       e.Name,
		Source:      descLine(e.Description, "source:"),
		Remediation: descLine(e.Description, "remediation:"),
		Feature:     uri,
		Line:        e.Line,
	}
	seen := map[string]bool{}
	for _, t := range e.Tags {
		if seen[t.Name] || strings.HasPrefix(t.Name, VerdictTagPrefix) { // godog repeats feature tags on every scenario
			continue
		}
		seen[t.Name] = true
		c.Tags = append(c.Tags, t.Name)
		if id, ok := checkid.FromTag(t.Name); ok && c.ID == "" {
			c.ID = id
		}
		if capab, ok := checkid.ByTag(strings.TrimPrefix(t.Name, "@")); ok && c.Capability == "" {
			c.Capability = capab.Tag
		}
		if sev := strings.TrimPrefix(t.Name, "@"); slices.Contains(Severities, sev) && c.Severity == "" {
			c.Severity = sev
		}
	}
	if c.Capability == "" {
		for _, t := range c.Tags {
			if m := plainTag.FindStringSubmatch(t); m != nil {
				c.Capability = m[1]
				break
			}
		}
	}

	var (
		anyStep, allSkipped = false, true
		failed              bool
	)
	fail := func(status Status, what, errText string) {
		if failed {
			return
		}
		failed = true
		c.Error = errText
		if c.Error == "" {
			c.Error = fmt.Sprintf("%s %s", what, status)
		}
		c.Reason = oneLine(c.Error)
	}
	hooks := func(hs []cukeHook, what string) {
		for _, h := range hs {
			st := Status(h.Result.Status)
			c.Duration += duration(h.Result.Duration)
			c.Evidence = append(c.Evidence, evidence(h.Embeddings)...)
			if st.failing() {
				fail(st, what, h.Result.Error)
			}
		}
	}

	var elems []cukeElement
	elems = append(elems, background...)
	elems = append(elems, e)
	for _, el := range elems {
		hooks(el.Before, "before hook")
	}
	for _, el := range elems {
		for _, s := range el.Steps {
			hooks(s.Before, "before step hook")
			st := Status(s.Result.Status)
			step := Step{
				Keyword:  s.Keyword,
				Text:     s.Name,
				Status:   st,
				Error:    s.Result.Error,
				Duration: duration(s.Result.Duration),
				Evidence: evidence(s.Embeddings),
			}
			c.Steps = append(c.Steps, step)
			c.Duration += step.Duration
			c.Evidence = append(c.Evidence, evidence(s.Embeddings)...)
			anyStep = true
			if st != StatusSkipped {
				allSkipped = false
			}
			if st.failing() {
				fail(st, "step "+strconv.Quote(strings.TrimSpace(s.Keyword)+" "+s.Name), s.Result.Error)
			}
			hooks(s.After, "after step hook")
		}
	}
	for _, el := range elems {
		hooks(el.After, "after hook")
	}

	switch {
	case failed:
		c.Status, c.Verdict = StatusFailed, Fail
	case allSkipped || !anyStep:
		c.Status, c.Verdict = StatusSkipped, Error
		c.Reason = "no step ran"
	default:
		c.Status, c.Verdict = StatusPassed, Pass
	}
	c.Subjects, c.Evidence = subjects(c.Evidence)
	for _, ev := range c.Evidence {
		if ev.MediaType == SiteFailureMediaType {
			c.SiteFailure = true
		}
		if ev.MediaType == HintMediaType {
			if h := strings.TrimSpace(ev.Data); h != "" && !slices.Contains(c.Hints, h) {
				c.Hints = append(c.Hints, h)
			}
		}
	}
	internal := func(e Evidence) bool {
		return e.MediaType == SubjectsMediaType || e.MediaType == HintMediaType || e.MediaType == SiteFailureMediaType
	}
	c.Evidence = slices.DeleteFunc(c.Evidence, internal)
	for j := range c.Steps {
		c.Steps[j].Evidence = slices.DeleteFunc(c.Steps[j].Evidence, internal)
	}
	// A step that could not test, or found nothing to check, said so.
	for i, ev := range c.Evidence {
		if ev.MediaType != VerdictMediaType {
			continue
		}
		v, reason, _ := strings.Cut(ev.Data, "\n")
		switch Verdict(v) {
		case Error, NotApplicable:
			c.Verdict, c.Reason = Verdict(v), oneLine(reason)
			if c.Error == "" {
				c.Error = reason
			}
		}
		c.Evidence = append(c.Evidence[:i:i], c.Evidence[i+1:]...)
		for j := range c.Steps {
			c.Steps[j].Evidence = slices.DeleteFunc(c.Steps[j].Evidence, func(e Evidence) bool { return e.MediaType == VerdictMediaType })
		}
		break
	}
	return c
}

// subjects takes the per-subject outcomes out of a check's evidence. A
// subject named twice keeps its worst outcome; lines that do not decode are
// kept as evidence, so nothing a step said is lost.
func subjects(evs []Evidence) ([]Subject, []Evidence) {
	var out []Subject
	at := map[string]int{}
	kept := evs[:0:0]
	for _, ev := range evs {
		if ev.MediaType != SubjectsMediaType {
			kept = append(kept, ev)
			continue
		}
		var bad []string
		for _, l := range strings.Split(ev.Data, "\n") {
			if strings.TrimSpace(l) == "" {
				continue
			}
			var sub Subject
			if err := json.Unmarshal([]byte(l), &sub); err != nil || sub.Name == "" || !sub.Verdict.valid() {
				bad = append(bad, l)
				continue
			}
			sub.Reason = oneLine(sub.Reason)
			if i, ok := at[sub.Name]; ok {
				if sub.Verdict.worse(out[i].Verdict) {
					out[i] = sub
				}
				continue
			}
			at[sub.Name] = len(out)
			out = append(out, sub)
		}
		if len(bad) > 0 {
			kept = append(kept, Evidence{Name: "subjects (undecoded)", MediaType: "text/plain", Data: strings.Join(bad, "\n")})
		}
	}
	return out, kept
}

// descLine returns the value of the first line of a scenario description
// that starts with key ("source:", "remediation:"), in any case.
func descLine(desc, key string) string {
	for _, l := range strings.Split(desc, "\n") {
		l = strings.TrimSpace(l)
		if len(l) >= len(key) && strings.EqualFold(l[:len(key)], key) {
			return strings.TrimSpace(l[len(key):])
		}
	}
	return ""
}

// oneLine returns the first non-empty line of s, trimmed to maxReason
// characters.
func oneLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			s = l
			break
		}
	}
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if utf8.RuneCountInString(s) <= maxReason {
		return s
	}
	r := []rune(s)
	return string(r[:maxReason-1]) + "…"
}

// duration converts a cucumber duration in nanoseconds. Some producers write
// floats; negative or unparsable values count as zero.
func duration(n json.Number) time.Duration {
	if n == "" {
		return 0
	}
	if i, err := n.Int64(); err == nil {
		if i < 0 {
			return 0
		}
		return time.Duration(i)
	}
	f, err := n.Float64()
	if err != nil || f < 0 || math.IsNaN(f) || f >= math.MaxInt64 {
		return 0
	}
	return time.Duration(f)
}

func evidence(es []cukeEmbedding) []Evidence {
	if len(es) == 0 {
		return nil
	}
	out := make([]Evidence, 0, len(es))
	for _, e := range es {
		mt := e.MimeType
		if mt == "" {
			mt = e.Media.Type
		}
		data := e.Data
		if b, err := base64.StdEncoding.DecodeString(e.Data); err == nil {
			data = string(b)
		}
		out = append(out, Evidence{Name: e.Name, MediaType: mt, Data: data})
	}
	return out
}

// VerdictTagPrefix starts the tag AnnotateCucumber adds to each scenario of
// the cucumber JSON: "@verdict:waived".
const VerdictTagPrefix = "@verdict:"

// AnnotateCucumber adds to every scenario of godog's cucumber JSON a tag
// with the check's verdict ("@verdict:not_applicable", "@verdict:waived"),
// so a cucumber consumer sees the verdicts that cucumber's own statuses
// cannot say. Scenarios are matched by their check ID tag; the rest of the
// document is kept.
func AnnotateCucumber(data []byte, r *Run) ([]byte, error) {
	if len(bytes.TrimSpace(data)) == 0 || r == nil {
		return data, nil
	}
	verdicts := map[string]Verdict{}
	for _, c := range r.Checks {
		if c.ID != "" {
			verdicts[c.ID] = c.Verdict
		}
	}
	var features []map[string]json.RawMessage
	if err := json.Unmarshal(data, &features); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCucumberJSON, err)
	}
	for _, f := range features {
		var elements []map[string]json.RawMessage
		if raw, ok := f["elements"]; ok {
			if err := json.Unmarshal(raw, &elements); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrCucumberJSON, err)
			}
		}
		for _, e := range elements {
			var tags []struct {
				Name string `json:"name"`
				Line int    `json:"line"`
			}
			if raw, ok := e["tags"]; ok {
				if err := json.Unmarshal(raw, &tags); err != nil {
					return nil, fmt.Errorf("%w: %w", ErrCucumberJSON, err)
				}
			}
			tags = slices.DeleteFunc(tags, func(t struct {
				Name string `json:"name"`
				Line int    `json:"line"`
			}) bool {
				return strings.HasPrefix(t.Name, VerdictTagPrefix)
			})
			for _, t := range tags {
				id, ok := checkid.FromTag(t.Name)
				if !ok {
					continue
				}
				if v, ok := verdicts[id]; ok {
					tags = append(tags, struct {
						Name string `json:"name"`
						Line int    `json:"line"`
					}{VerdictTagPrefix + string(v), t.Line})
				}
				break
			}
			b, err := json.Marshal(tags)
			if err != nil {
				return nil, err
			}
			e["tags"] = b
		}
		b, err := json.Marshal(elements)
		if err != nil {
			return nil, err
		}
		f["elements"] = b
	}
	return json.MarshalIndent(features, "", "    ")
}
