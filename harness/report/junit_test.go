package report

import (
	"bytes"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// junitRun has one check of every verdict, a control character and
// markup in a reason, and a tag filter that left one check out.
func junitRun() *Run {
	return &Run{
		Tool: "cutover test", Command: []string{"cutover", "run", "--tags", "not @DISC-03"},
		Target: "embedded", Tags: "not @DISC-03", NotSelected: []string{"DISC-03"},
		Started: time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC), Duration: 420 * time.Millisecond,
		Checks: []Check{
			{ID: "DISC-01", Capability: "discovery", Title: "passes", Verdict: Pass, Duration: time.Millisecond,
				Evidence: []Evidence{{Name: "dns", MediaType: "text/plain", Data: "answer\n"}}},
			{ID: "DISC-02", Capability: "discovery", Title: "fails", Verdict: Fail, Reason: "want <a>, got \x01b",
				Error: "DISC-02: want <a>, got b\nsecond line", Source: "RFC 2782"},
			{ID: "DISC-04", Capability: "discovery", Title: "cannot test", Verdict: Error, Reason: "could not test: the resolver did not answer"},
			{ID: "DISC-11", Capability: "discovery", Title: "nothing to check", Verdict: NotApplicable, Reason: "no UC Manager Profile domain"},
			{ID: "SSO-01", Capability: "sso", Title: "passes too", Verdict: Pass},
		},
	}
}

// TestJUnitShape: suites per capability, IDs in names, outcomes, counts.
func TestJUnitShape(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJUnit(&b, junitRun()); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("junit.xml does not parse: %v\n%s", err, b.String())
	}
	if doc.Tests != 5 || doc.Failures != 1 || doc.Errors != 1 || len(doc.Suites) != 2 {
		t.Fatalf("totals %+v", doc)
	}
	d := doc.Suites[0]
	if d.Name != "cutover.discovery" || d.Tests != 4 || d.Failures != 1 || d.Errors != 1 || d.Skipped != 1 || d.Timestamp != "2026-12-01T09:30:00" {
		t.Errorf("discovery suite %+v", d)
	}
	c := d.Cases[1]
	if c.Name != "DISC-02 fails" || c.Classname != "cutover.discovery" || c.Failure == nil || !strings.Contains(c.Failure.Text, "second line") || !strings.Contains(c.Failure.Text, "RFC 2782") {
		t.Errorf("failing case %+v", c)
	}
	if d.Cases[2].Error == nil || d.Cases[3].Skipped == nil || d.Cases[0].SystemOut != "== dns\nanswer\n" {
		t.Errorf("outcomes %+v", d.Cases)
	}
	if !strings.Contains(b.String(), `name="not_selected" value="DISC-03"`) {
		t.Errorf("the left-out check is not in the properties:\n%s", b.String())
	}
}

// TestJUnitAgainstConsumers validates junit.xml against the Jenkins xUnit
// schema with xmllint and reads it with python3-junitparser, when they
// are installed (scripts/check-junit.sh installs them and sets
// CUTOVER_JUNIT_TOOLS=1, which makes them required).
func TestJUnitAgainstConsumers(t *testing.T) {
	required := os.Getenv("CUTOVER_JUNIT_TOOLS") == "1"
	need := func(err error, what string) bool {
		if err == nil {
			return true
		}
		if required {
			t.Fatalf("%s: %v", what, err)
		}
		t.Logf("%s not installed (%v): skipped; scripts/check-junit.sh installs it", what, err)
		return false
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "junit.xml")
	var b bytes.Buffer
	if err := WriteJUnit(&b, junitRun()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("xmllint"); need(err, "xmllint") {
		out, err := exec.Command("xmllint", "--noout", "--schema", "testdata/junit/junit-10.xsd", file).CombinedOutput()
		if err != nil {
			t.Errorf("xmllint against the Jenkins xUnit schema: %v\n%s", err, out)
		}
	}
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import junitparser").Run(); need(err, "python3-junitparser") {
		script := `import sys, junitparser
x = junitparser.JUnitXml.fromfile(sys.argv[1])
t = f = e = s = 0
for suite in x:
    for case in suite:
        t += 1
        for r in case.result:
            if isinstance(r, junitparser.Failure): f += 1
            elif isinstance(r, junitparser.Error): e += 1
            elif isinstance(r, junitparser.Skipped): s += 1
print(t, f, e, s, x.tests, x.failures, x.errors)`
		out, err := exec.Command(py, "-c", script, file).CombinedOutput()
		if err != nil {
			t.Fatalf("junitparser: %v\n%s", err, out)
		}
		if got := strings.TrimSpace(string(out)); got != "5 1 1 1 5 1 1" {
			t.Errorf("junitparser counts (cases failures errors skipped, then the header's tests failures errors): got %s, want 5 1 1 1 5 1 1", got)
		}
	}
}
