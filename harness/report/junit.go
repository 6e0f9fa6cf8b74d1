package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// JUnit shapes, as the Jenkins xUnit plugin's junit-10.xsd has them
// (testdata/junit/junit-10.xsd), which GitLab and most dashboards read too.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Hostname   string          `xml:"hostname,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitOutcome `xml:"failure,omitempty"`
	Error     *junitOutcome `xml:"error,omitempty"`
	Skipped   *junitOutcome `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitOutcome struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// maxSystemOut caps one test case's evidence in the file (64 KiB).
const maxSystemOut = 64 << 10

// WriteJUnit writes the run as JUnit XML that CI dashboards read: one
// <testsuite> per capability (name cutover.<capability>, with the run's
// target, tool, tag filter and the checks it left out as properties), one
// <testcase> per check (classname cutover.<capability>, name "DISC-03
// <title>", so history follows the ID), or per subject for a check that
// covers each user ("SIPO-02 <title> [alice/CSFALICE]"). A failure is <failure> with the
// reason as message and the reason, error and source as text (GitLab shows
// the text); a check that could not test is <error>; not applicable is
// <skipped> with the reason. <system-out> holds the check's redacted
// evidence. Counts and times are those of the checks.
func WriteJUnit(w io.Writer, r *Run) error {
	if r == nil {
		return fmt.Errorf("report: write junit: %w", ErrNilRun)
	}
	host, _ := os.Hostname()
	props := []junitProperty{{"target", r.Target}}
	if r.Tool != "" {
		props = append(props, junitProperty{"tool", r.Tool})
	}
	if len(r.Command) > 0 {
		props = append(props, junitProperty{"command", strings.Join(r.Command, " ")})
	}
	props = append(props, junitProperty{"tags", r.Tags}, junitProperty{"not_selected", strings.Join(r.NotSelected, " ")},
		junitProperty{"not_selected_count", strconv.Itoa(len(r.NotSelected))})
	if r.Interrupted != "" {
		props = append(props, junitProperty{"interrupted", r.Interrupted})
	}
	props = append(props, junitProperty{"profile", r.ProfileOf().String()}, junitProperty{"result", r.Result()})
	if r.TLSVerification != "" {
		props = append(props, junitProperty{"tls_verification", r.TLSVerification})
	}
	if r.Shard != "" {
		props = append(props, junitProperty{"shard", r.Shard}, junitProperty{"other_shards_count", strconv.Itoa(len(r.OtherShards))})
	}
	for _, st := range r.Waivers {
		props = append(props, junitProperty{"waiver " + st.Waiver.ID, st.State + ": " + st.Note})
	}
	doc := junitSuites{Name: "cutover", Time: junitTime(r.Duration)}
	for _, g := range groupChecks(r.Checks) {
		name := "cutover." + capabilityName(g.Capability)
		s := junitSuite{Name: name, Hostname: host, Properties: props}
		if !r.Started.IsZero() {
			s.Timestamp = r.Started.UTC().Format("2006-01-02T15:04:05")
		}
		var d time.Duration
		for _, c := range g.Checks {
			base := strings.TrimSpace(checkID(c) + " " + c.Title)
			out := systemOut(c)
			if len(c.Subjects) == 0 {
				text := c.Reason
				if c.Error != "" && c.Error != c.Reason {
					text += "\n\n" + c.Error
				}
				s.add(junitCase{Name: base, Classname: name, Time: junitTime(c.Duration), SystemOut: out}, c, c.Verdict, c.Reason, text, c.Waiver)
			} else {
				// One test case per subject: the dashboard follows each
				// user's history; the check's time and evidence go with
				// each of them.
				for _, sub := range c.Subjects {
					s.add(junitCase{Name: base + " [" + sub.Name + "]", Classname: name, Time: junitTime(c.Duration), SystemOut: out}, c, sub.Verdict, sub.Reason, sub.Reason, sub.Waiver)
				}
			}
			d += c.Duration
		}
		s.Time = junitTime(d)
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		doc.Suites = append(doc.Suites, s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("report: write junit: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("report: write junit: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("report: write junit: %w", err)
	}
	return nil
}

// add appends a test case with the verdict's outcome element: a failure
// (type "FAIL blocker") with the reason as message and the reason,
// remediation and source as text (GitLab shows the text), an error for
// could-not-test, skipped for not applicable and for waived (with the
// waiver).
func (s *junitSuite) add(tc junitCase, c Check, v Verdict, reason, text string, w *Waiver) {
	for _, h := range c.Hints {
		text += "\n\nHint: " + h
	}
	if c.Remediation != "" {
		text += "\n\nRemediation: " + c.Remediation
	}
	if c.Source != "" {
		text += "\n\nSource: " + c.Source
	}
	sev := ""
	if c.Severity != "" {
		sev = " " + c.Severity
	}
	text, reason = xmlSafe(text), xmlSafe(reason)
	switch v {
	case Fail:
		tc.Failure = &junitOutcome{Message: reason, Type: "FAIL" + sev, Text: text}
		s.Failures++
	case Error:
		tc.Error = &junitOutcome{Message: reason, Type: "ERROR (could not test)" + sev, Text: text}
		s.Errors++
	case NotApplicable:
		tc.Skipped = &junitOutcome{Message: "not applicable: " + reason, Type: "N/A", Text: text}
		s.Skipped++
	case Waived:
		msg := "waived"
		if w != nil {
			msg += " (" + waiverLabel(*w) + "): " + w.Reason
			text += "\n\nWaiver: " + waiverLabel(*w) + ", " + w.Reason
		}
		tc.Skipped = &junitOutcome{Message: xmlSafe(msg) + "; failure: " + reason, Type: "WAIVED" + sev, Text: xmlSafe(text)}
		s.Skipped++
	}
	s.Cases = append(s.Cases, tc)
	s.Tests++
}

// systemOut is a check's evidence as text, capped.
func systemOut(c Check) string {
	var b strings.Builder
	for _, ev := range c.Evidence {
		if !inlineMediaType(ev.MediaType) {
			fmt.Fprintf(&b, "== %s (%s, %d bytes, in report.html)\n", ev.Name, ev.MediaType, len(ev.Data))
			continue
		}
		fmt.Fprintf(&b, "== %s\n%s\n", ev.Name, strings.TrimRight(ev.Data, "\n"))
		if b.Len() > maxSystemOut {
			break
		}
	}
	s := b.String()
	if len(s) > maxSystemOut {
		s = strings.ToValidUTF8(s[:maxSystemOut], "") + "\n… (cut: the whole evidence is in report.html)\n"
	}
	return xmlSafe(s)
}

// xmlSafe drops the characters XML 1.0 cannot carry at all (most C0
// controls), which encoding/xml would otherwise write as U+FFFD anyway.
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' {
			return -1
		}
		return r
	}, s)
}

// junitTime is seconds with at most three decimals (SUREFIRE_TIME).
func junitTime(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) }
