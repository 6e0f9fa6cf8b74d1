package runner_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"example.com/cutover/features"
	"example.com/cutover/harness/embedded"
	"example.com/cutover/harness/fakesite"
	"example.com/cutover/harness/report"
	"example.com/cutover/harness/runner"
	"example.com/cutover/steps"
)

// TestSelftest is the proof that every check can say no: each fault of the
// catalogue fails exactly the checks it lists, and the healthy site passes
// everything.
func TestSelftest(t *testing.T) {
	if raceDetector {
		// Every fault against the whole suite is minutes of CPU, ten times
		// that under the race detector; make test proves the same without
		// it (make selftest, the same Selftest), and the runner's other
		// tests cover its code under the detector.
		t.Skip("the selftest runs without the race detector: make selftest")
	}
	rep, err := runner.Selftest(context.Background(), features.FS, runner.SelftestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Clean) > 0 {
		t.Errorf("healthy embedded site fails %v", rep.Clean)
	}
	for _, c := range rep.Checks {
		if c.Verdict != runner.Killed {
			t.Errorf("%s: verdict %s (faults %v)", c.ID, c.Verdict, c.Faults)
		}
	}
	for _, f := range rep.Faults {
		if len(f.Missed) > 0 || len(f.Unexpected) > 0 {
			t.Errorf("fault %s: want exactly %v to fail, got %v (missed %v, unexpected %v)", f.Name, f.Kills, f.Failed, f.Missed, f.Unexpected)
		}
		if len(f.ErrorsMissed) > 0 || len(f.ErrorsUnexpected) > 0 {
			t.Errorf("fault %s: want exactly %v to report could-not-test, got %v (missed %v, unexpected %v)", f.Name, f.Errors, f.Errored, f.ErrorsMissed, f.ErrorsUnexpected)
		}
	}
	if !rep.OK() {
		t.Error("selftest is not OK")
	}
}

func TestCatalogHouseRules(t *testing.T) {
	checks, err := runner.Catalog(features.FS)
	if err != nil {
		t.Fatal(err)
	}
	if len(checks) < 15 {
		t.Errorf("want at least 15 checks, got %d", len(checks))
	}
	doc, err := os.ReadFile("../../features/CHECKS.md")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, c := range checks {
		ids[c.ID] = true
		row := regexp.MustCompile(`(?m)^\| ` + c.ID + ` \|.*\| (blocker|major|minor) \|[^|]*\|$`).FindSubmatch(doc)
		switch {
		case row == nil:
			t.Errorf("%s is not documented in features/CHECKS.md (with a severity)", c.ID)
		case string(row[1]) != c.Severity:
			t.Errorf("%s: severity %s in features/CHECKS.md, @%s in the feature", c.ID, row[1], c.Severity)
		}
		if len(fakesite.FaultsFor(c.ID)) == 0 {
			t.Errorf("%s: no fault in the catalogue kills it", c.ID)
		}
	}
	for _, f := range fakesite.Catalogue() {
		for _, k := range f.Kills {
			if !ids[k] {
				t.Errorf("fault %s kills %s, which no feature defines", f.Name, k)
			}
		}
	}
}

func TestCatalogRejectsBrokenFeatures(t *testing.T) {
	for _, tc := range []struct {
		name, feature, want string
	}{
		{"no id", "@discovery\nFeature: f\n  Scenario: s\n    Source: x\n    Given a client inside the network\n", "exactly one check ID"},
		{"two ids", "@discovery\nFeature: f\n  @DISC-01 @DISC-02\n  Scenario: s\n    Source: x\n    Given a\n", "exactly one check ID"},
		{"no capability", "Feature: f\n  @DISC-01\n  Scenario: s\n    Source: x\n    Given a\n", "capability tag"},
		{"wrong prefix", "@sso\nFeature: f\n  @DISC-01\n  Scenario: s\n    Source: x\n    Given a\n", "whose IDs start SSO-"},
		{"no source", "@discovery\nFeature: f\n  @DISC-01\n  Scenario: s\n    Given a\n", "Source:"},
		{"duplicate", "@discovery\nFeature: f\n  @DISC-01\n  Scenario: s\n    Source: x\n    Given a\n  @DISC-01\n  Scenario: t\n    Source: x\n    Given a\n", "already used"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runner.Catalog(fstest.MapFS{"x/x.feature": {Data: []byte(tc.feature)}})
			if err == nil || !regexp.MustCompile(regexp.QuoteMeta(tc.want)).MatchString(err.Error()) {
				t.Fatalf("want error with %q, got %v", tc.want, err)
			}
		})
	}
}

func TestLessID(t *testing.T) {
	ids := []string{"HYB-01", "DISC-10", "SSO-02", "DISC-02", "XFED-01", "SIPO-03"}
	slices.SortFunc(ids, func(a, b string) int {
		if runner.LessID(a, b) {
			return -1
		}
		if runner.LessID(b, a) {
			return 1
		}
		return 0
	})
	want := []string{"DISC-02", "DISC-10", "SSO-02", "SIPO-03", "XFED-01", "HYB-01"}
	if !slices.Equal(ids, want) {
		t.Fatalf("got %v, want %v", ids, want)
	}
}

// TestPerUserSubjects: a per-user check names each user's outcome, and
// JUnit gives each user a test case of their own (DISC-06 with alice
// hidden: alice fails, bob passes).
func TestPerUserSubjects(t *testing.T) {
	ctx := context.Background()
	tg, err := embedded.Start(ctx, fakesite.Options{Faults: []string{"uds-user-hidden"}})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	run, err := runner.Run(ctx, runner.Options{Target: tg, FS: features.FS, Tags: "@DISC-06"})
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Checks) != 1 {
		t.Fatalf("got %d checks", len(run.Checks))
	}
	c := run.Checks[0]
	got := map[string]report.Verdict{}
	for _, s := range c.Subjects {
		got[s.Name] = s.Verdict
	}
	if c.Verdict != report.Fail || got["alice"] != report.Fail || got["bob"] != report.Pass || len(got) != 2 {
		t.Fatalf("DISC-06 %s, subjects %v", c.Verdict, c.Subjects)
	}
	for _, ev := range c.Evidence {
		if ev.MediaType == report.SubjectsMediaType {
			t.Errorf("the subjects attachment is left in the evidence")
		}
	}
	var b strings.Builder
	if err := report.WriteJUnit(&b, run); err != nil {
		t.Fatal(err)
	}
	x := b.String()
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`<testcase name="DISC-06 [^"]*\[alice\]"[^>]*>\s*<failure message="[^"]*alice`),
		regexp.MustCompile(`<testcase name="DISC-06 [^"]*\[bob\]"[^>]*>\s*<system-out>`),
		regexp.MustCompile(`<testsuite name="cutover.discovery" tests="2" failures="1" errors="0" skipped="0"`),
	} {
		if !want.MatchString(x) {
			t.Errorf("JUnit lacks %s:\n%s", want, x)
		}
	}
	b.Reset()
	if err := report.WriteHTML(&b, run); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`<td><code>alice</code></td><td class="st [a-z-]+">FAIL</td>`).MatchString(b.String()) {
		t.Errorf("the HTML report does not list alice's failure among the subjects")
	}
}

// TestSerialChecksRunApart: checks tagged @serial run in a pass of their
// own after the others, and the run reports every check once, in every
// format (the two passes' cucumber JSON merged).
func TestSerialChecksRunApart(t *testing.T) {
	ctx := context.Background()
	tg, err := embedded.Start(ctx, fakesite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	feature := "@discovery\nFeature: f\n" +
		"  @DISC-01 @minor\n  Scenario: a\n    Source: x\n    Remediation: y\n    Given a client inside the network\n" +
		"  @DISC-02 @minor @serial\n  Scenario: b\n    Source: x\n    Remediation: y\n    Given a client outside the network\n" +
		"  @DISC-03 @minor\n  Scenario: c\n    Source: x\n    Remediation: y\n    Given a client inside the network\n"
	fsys := fstest.MapFS{"discovery/x.feature": {Data: []byte(feature)}}
	var order []string
	var mu sync.Mutex
	dir := t.TempDir()
	run, err := runner.Run(ctx, runner.Options{Target: tg, FS: fsys, ReportDir: dir, Progress: func(d steps.Done) {
		mu.Lock()
		order = append(order, d.ID)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Checks) != 3 || len(run.Failed()) != 0 {
		t.Fatalf("got %d checks, %d failed", len(run.Checks), len(run.Failed()))
	}
	if len(order) != 3 || order[2] != "DISC-02" {
		t.Errorf("the @serial check ran in order %v, want it last", order)
	}
	b, err := os.ReadFile(filepath.Join(dir, runner.FileCucumber))
	if err != nil {
		t.Fatal(err)
	}
	back, err := report.FromCucumberJSON(b)
	if err != nil || len(back) != 3 {
		t.Fatalf("cucumber.json holds %d checks (%v), want 3", len(back), err)
	}
}
