package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// TestEveryVerdictInEveryFormat: PASS, FAIL, ERROR, N/A and WAIVED, with
// severity, remediation and hints, reach the console, JUnit, cucumber
// JSON, JSON and HTML.
func TestEveryVerdictInEveryFormat(t *testing.T) {
	w := &Waiver{ID: "DISC-05", Owner: "jane", Reason: "node replaced Monday", Ticket: "CHG-7", Expires: "2027-01-01"}
	r := &Run{Target: "t", Profile: ProfileCertification, Checks: []Check{
		{ID: "DISC-01", Capability: "discovery", Title: "passes", Verdict: Pass, Severity: Blocker},
		{ID: "DISC-02", Capability: "discovery", Title: "fails", Verdict: Fail, Severity: Major, Reason: "DISC-02: broken", Error: "DISC-02: broken",
			Remediation: "fix the thing", Hints: []string{"publish x"}},
		{ID: "DISC-03", Capability: "discovery", Title: "untested", Verdict: Error, Severity: Blocker, Reason: "could not test: silent"},
		{ID: "DISC-04", Capability: "discovery", Title: "nothing here", Verdict: NotApplicable, Severity: Minor, Reason: "no profile domain"},
		{ID: "DISC-05", Capability: "discovery", Title: "waived", Verdict: Waived, Severity: Blocker, Reason: "DISC-05: node down", Waiver: w},
	}, Waivers: []WaiverStatus{{Waiver: *w, State: WaiverApplied, Note: "accepted"}}}

	var cuke strings.Builder
	cuke.WriteString(`[{"uri":"discovery/d.feature","elements":[`)
	for i, c := range r.Checks {
		if i > 0 {
			cuke.WriteString(",")
		}
		fmt.Fprintf(&cuke, `{"name":%q,"type":"scenario","line":%d,"tags":[{"name":"@%s","line":1}],"steps":[]}`, c.Title, i+2, c.ID)
	}
	cuke.WriteString(`]}]`)
	annotated, err := AnnotateCucumber([]byte(cuke.String()), r)
	if err != nil {
		t.Fatal(err)
	}
	again, err := AnnotateCucumber(annotated, r)
	if err != nil || !bytes.Equal(again, annotated) {
		t.Errorf("annotating twice changes the file (%v)", err)
	}
	var sum, junit, html, js bytes.Buffer
	for _, f := range []func() error{
		func() error { return WriteSummary(&sum, r) },
		func() error { return WriteJUnit(&junit, r) },
		func() error { return WriteHTML(&html, r) },
		func() error { return WriteJSON(&js, r) },
	} {
		if err := f(); err != nil {
			t.Fatal(err)
		}
	}
	for format, want := range map[string][]string{
		"console":  {"  FAIL  DISC-02  [major] broken", "  ERROR DISC-03  [blocker] could not test: silent", "  WAIVED DISC-05  [blocker] node down (waived: CHG-7, jane, until 2027-01-01)", "1 n/a", "profile certification"},
		"junit":    {`type="FAIL major"`, `type="ERROR (could not test) blocker"`, `message="not applicable: no profile domain" type="N/A"`, `type="WAIVED blocker"`, "Remediation: fix the thing", "Hint: publish x", `name="profile"`},
		"html":     {">FAIL<", ">ERROR<", ">N/A<", ">WAIVED<", ">PASS<", "not applicable: no profile domain", "<strong>What to do:</strong><p>publish x</p><p>fix the thing</p>", "sev-blocker", "certification (fails on FAIL, ERROR)"},
		"json":     {`"verdict": "pass"`, `"verdict": "fail"`, `"verdict": "error"`, `"verdict": "not_applicable"`, `"verdict": "waived"`, `"severity": "major"`, `"profile": "certification"`, `"state": "applied"`},
		"cucumber": {`"@verdict:pass"`, `"@verdict:fail"`, `"@verdict:error"`, `"@verdict:not_applicable"`, `"@verdict:waived"`},
	} {
		got := map[string]string{"console": sum.String(), "junit": junit.String(), "html": html.String(), "json": js.String(), "cucumber": string(annotated)}[format]
		for _, s := range want {
			if !strings.Contains(got, s) {
				t.Errorf("%s lacks %q", format, s)
			}
		}
	}
	// Failures sort first, blockers on top.
	if i, j := strings.Index(sum.String(), "FAIL  DISC-02"), strings.Index(sum.String(), "ERROR DISC-03"); i < 0 || j < i {
		t.Errorf("the console does not put the failure before the could-not-test:\n%s", sum.String())
	}
	// And read back, the JSON is the same run.
	back, err := ReadJSON(bytes.NewReader(js.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var js2 bytes.Buffer
	WriteJSON(&js2, back)
	if js2.String() != js.String() {
		t.Error("results JSON does not round-trip byte for byte")
	}
}
