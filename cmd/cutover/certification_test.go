package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

const faulted = "../../fixtures/targets/faulted.yaml"

// faultedIDs are the checks the faulted fixture fails.
var faultedIDs = []string{"DISC-03", "DISC-10", "DISC-14", "DISC-17"}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func waiverYAML(id, extra, expires string) string {
	return "  - id: " + id + "\n" + extra + "    owner: jane.doe@example.com\n    reason: certificate on order\n    ticket: CHG-1234\n    expires: " + expires + "\n"
}

// TestDiffAndReport: diff between a healthy and a faulted saved run lists
// exactly the faulted checks and exits 1; report regenerates results.json
// byte for byte; verify accepts the bundle and catches a changed file.
func TestDiffAndReport(t *testing.T) {
	dir := t.TempDir()
	healthy, bad := filepath.Join(dir, "friday"), filepath.Join(dir, "monday")
	if code, _, errs := cutover(t, "run", "--quiet", "--report", healthy); code != 0 {
		t.Fatalf("healthy run: exit %d %s", code, errs)
	}
	if code, _, _ := cutover(t, "run", "--quiet", "--target", faulted, "--report", bad); code != 1 {
		t.Fatalf("faulted run: exit %d", code)
	}
	code, out, errs := cutover(t, "diff", "--json", healthy, bad)
	if code != 1 {
		t.Fatalf("diff: exit %d, want 1 (regressions) %s", code, errs)
	}
	var d struct {
		Changes []struct {
			ID, Subject, Old, New string
			Regression            bool
		}
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range d.Changes {
		if !c.Regression || c.Old != "pass" || c.New != "fail" {
			t.Errorf("change %+v", c)
		}
		ids = append(ids, c.ID)
	}
	if !slices.Equal(ids, faultedIDs) {
		t.Errorf("diff lists %v, want %v", ids, faultedIDs)
	}
	if code, out, _ := cutover(t, "diff", bad, healthy); code != 0 || !strings.Contains(out, "4 change(s), 0 regression(s)") {
		t.Errorf("diff back to healthy: exit %d\n%s", code, out)
	}
	if code, out, _ := cutover(t, "diff", bad, bad); code != 0 || !strings.Contains(out, "0 change(s)") {
		t.Errorf("diff of a run with itself: exit %d\n%s", code, out)
	}

	saved, err := os.ReadFile(filepath.Join(bad, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	again := filepath.Join(dir, "again")
	if code, _, errs := cutover(t, "report", "--out", again, bad); code != 0 {
		t.Fatalf("report: exit %d %s", code, errs)
	}
	for _, name := range []string{"results.json", "junit.xml", "report.html", "cucumber.json"} {
		a, _ := os.ReadFile(filepath.Join(bad, name))
		b, err := os.ReadFile(filepath.Join(again, name))
		if err != nil || string(a) != string(b) {
			t.Errorf("cutover report: %s differs from the run's (%v)", name, err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(again, "results.json")); string(b) != string(saved) {
		t.Error("results.json is not reproduced byte for byte")
	}

	if code, out, errs := cutover(t, "verify", bad); code != 0 || !strings.Contains(out, "verified:") {
		t.Fatalf("verify: exit %d %s %s", code, out, errs)
	}
	var m struct {
		Target string
		Files  []struct{ Path, SHA256 string }
	}
	b, _ := os.ReadFile(filepath.Join(bad, "manifest.json"))
	if err := json.Unmarshal(b, &m); err != nil || m.Target == "" || len(m.Files) < 10 {
		t.Fatalf("manifest %s: %v", b, err)
	}
	var evidence int
	for _, f := range m.Files {
		if strings.HasPrefix(f.Path, "evidence/DISC-") {
			evidence++
		}
	}
	if evidence == 0 {
		t.Error("the manifest lists no evidence files")
	}
	writeFile(t, bad, "screenshot.png", "later")
	os.WriteFile(filepath.Join(bad, "junit.xml"), []byte("<tampered/>"), 0o644)
	code, out, errs = cutover(t, "verify", bad)
	if code != 1 || !strings.Contains(errs+out, "junit.xml: changed") || !strings.Contains(out, "not in the manifest (added later): screenshot.png") {
		t.Errorf("verify of a tampered bundle: exit %d\n%s\n%s", code, out, errs)
	}
}

// TestWaivers: a waived failure is WAIVED in every format and the run
// passes under certification (not under strict); an expired waiver fails
// the run; a waiver of a passing check says it can be removed; a bad
// waivers file exits 2 with file:line.
func TestWaivers(t *testing.T) {
	dir := t.TempDir()
	future := time.Now().AddDate(0, 1, 0).Format(time.DateOnly)
	var all strings.Builder
	all.WriteString("waivers:\n")
	for _, id := range faultedIDs {
		all.WriteString(waiverYAML(id, "", future))
	}
	all.WriteString(waiverYAML("DISC-01", "", future)) // passes: removable
	wf := writeFile(t, dir, "waivers.yaml", all.String())
	rep := filepath.Join(dir, "waived")
	code, out, errs := cutover(t, "run", "--target", faulted, "--waivers", wf, "--report", rep)
	if code != 0 {
		t.Fatalf("every failure waived, certification: exit %d\n%s%s", code, out, errs)
	}
	for _, want := range []string{
		"  WAIVED DISC-10  [blocker] ",
		"(waived: CHG-1234, jane.doe@example.com, until " + future + ")",
		"waiver DISC-01 removable: DISC-01 passes now: the waiver can be removed",
		fmt.Sprintf("RESULT: PASS (4 waived, %d passed of %d checks)", catalogSize(t)-4, catalogSize(t)),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	files := map[string]*regexp.Regexp{
		"results.json":  regexp.MustCompile(`"verdict": "waived"`),
		"junit.xml":     regexp.MustCompile(`<skipped message="waived \(CHG-1234, jane.doe@example.com, until [0-9-]+\): certificate on order; failure: [^"]+" type="WAIVED blocker"`),
		"cucumber.json": regexp.MustCompile(`"name": "@verdict:waived"`),
		"report.html":   regexp.MustCompile(`<strong>Waived:</strong> CHG-1234, jane.doe@example.com`),
	}
	for name, re := range files {
		b, err := os.ReadFile(filepath.Join(rep, name))
		if err != nil || !re.Match(b) {
			t.Errorf("%s does not carry the waived verdict (%s): %v", name, re, err)
		}
	}
	if code, _, _ := cutover(t, "run", "--quiet", "--target", faulted, "--waivers", wf, "--profile", "strict"); code != 1 {
		t.Errorf("strict with waived failures: exit %d, want 1", code)
	}

	expired := writeFile(t, dir, "expired.yaml", "waivers:\n"+waiverYAML("DISC-10", "", "2020-01-31"))
	code, out, _ = cutover(t, "run", "--target", faulted, "--waivers", expired, "--tags", "@DISC-10")
	if code != 1 || !strings.Contains(out, "waiver DISC-10 expired: expired on 2020-01-31") || !strings.Contains(out, "  FAIL  DISC-10") {
		t.Errorf("expired waiver: exit %d\n%s", code, out)
	}

	bad := writeFile(t, dir, "bad.yaml", "waivers:\n  - id: DISC-10\n    owner: o\n    reason: r\n    expires: soon\n")
	code, _, errs = cutover(t, "run", "--waivers", bad)
	if code != 2 || !strings.Contains(errs, "bad.yaml:5: field waivers[0].expires: want a date") {
		t.Errorf("malformed waivers: exit %d: %s", code, errs)
	}
	if code, _, errs := cutover(t, "run", "--profile", "lenient"); code != 2 || !strings.Contains(errs, "unknown profile") {
		t.Errorf("unknown profile: exit %d: %s", code, errs)
	}
}

// TestShardsMergeToTheUnshardedRun: the three shards of the faulted run,
// merged, say what the unsharded run says: the same checks with the same
// verdicts, severities, subjects and reasons (ports aside: each run starts
// its own fakes), the same counts, result and checks left out.
func TestShardsMergeToTheUnshardedRun(t *testing.T) {
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole")
	args := []string{"--quiet", "--target", faulted, "--tags", "not @DISC-02"}
	cutover(t, append([]string{"run", "--report", whole}, args...)...)
	var shards []string
	seen := 0
	for k := 1; k <= 3; k++ {
		d := filepath.Join(dir, "shard", strconv.Itoa(k))
		code, _, errs := cutover(t, append([]string{"run", "--shard", strconv.Itoa(k) + "/3", "--report", d}, args...)...)
		if code != 0 && code != 1 {
			t.Fatalf("shard %d/3: exit %d %s", k, code, errs)
		}
		r := readRun(t, d)
		if r.Shard != strconv.Itoa(k)+"/3" || len(r.Checks) < 6 || len(r.Checks)+len(r.OtherShards) != catalogSize(t)-1 {
			t.Errorf("shard %d/3: %d checks here, %d elsewhere", k, len(r.Checks), len(r.OtherShards))
		}
		seen += len(r.Checks)
		shards = append(shards, d)
	}
	if seen != catalogSize(t)-1 {
		t.Errorf("the shards ran %d checks, want %d", seen, catalogSize(t)-1)
	}
	merged := filepath.Join(dir, "merged")
	code, out, errs := cutover(t, append([]string{"report", "merge", "--out", merged}, shards...)...)
	if code != 1 || !strings.Contains(out, "merged from 3 shards") {
		t.Fatalf("merge: exit %d\n%s%s", code, out, errs)
	}
	want, got := readRun(t, whole), readRun(t, merged)
	if want.Result != got.Result || !slices.Equal(want.NotSelected, got.NotSelected) || len(got.OtherShards) != 0 || got.Shard != "" {
		t.Errorf("merged: result %s, left out %v; unsharded: %s, %v", got.Result, got.NotSelected, want.Result, want.NotSelected)
	}
	if !equalJSON(want.Counts, got.Counts) {
		t.Errorf("counts: merged %v, unsharded %v", got.Counts, want.Counts)
	}
	ports := regexp.MustCompile(`127\.0\.0\.1:\d+`)
	norm := func(r savedRun) map[string]string {
		m := map[string]string{}
		for _, c := range r.Checks {
			b, _ := json.Marshal(c.Subjects)
			m[c.ID] = c.Verdict + "|" + c.Severity + "|" + ports.ReplaceAllString(c.Reason, "127.0.0.1:P") + "|" + string(b)
		}
		return m
	}
	if w, g := norm(want), norm(got); !equalJSON(w, g) {
		t.Errorf("merged checks differ from the unsharded run's:\nmerged   %v\nunsharded %v", g, w)
	}
	// A missing shard is an error, not a smaller pass.
	if code, _, errs := cutover(t, "report", "merge", "--out", filepath.Join(dir, "partial"), shards[0], shards[2]); code != 2 || !strings.Contains(errs, "a shard is missing") {
		t.Errorf("merge without shard 2: exit %d %s", code, errs)
	}
	if code, _, errs := cutover(t, "run", "--shard", "4/3"); code != 2 || !strings.Contains(errs, "1 ≤ K ≤ N") {
		t.Errorf("--shard 4/3: exit %d %s", code, errs)
	}
}

type savedRun struct {
	Result      string         `json:"result"`
	Counts      map[string]int `json:"counts"`
	Shard       string         `json:"shard"`
	NotSelected []string       `json:"not_selected"`
	OtherShards []string       `json:"other_shards"`
	Checks      []struct {
		ID, Verdict, Severity, Reason string
		Subjects                      []json.RawMessage
	} `json:"checks"`
}

func readRun(t *testing.T, dir string) savedRun {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r savedRun
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
