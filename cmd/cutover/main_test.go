package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"example.com/cutover/harness/report"
	"example.com/cutover/harness/target"
)

// TestMain keeps the authentication state of lab runs in a directory of
// the test's own: the user's cache is never touched.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cutover-state-")
	if err != nil {
		panic(err)
	}
	os.Setenv("CUTOVER_STATE_DIR", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func cutover(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestListJSON(t *testing.T) {
	code, out, errs := cutover(t, "list", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var checks []struct {
		ID, Capability, Title, Source, Feature string
		Line                                   int
		Faults                                 []string
	}
	if err := json.Unmarshal([]byte(out), &checks); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range checks {
		if c.Capability == "discovery" {
			n++
		}
		if c.ID == "" || c.Title == "" || c.Source == "" || c.Feature == "" || c.Line == 0 || len(c.Faults) == 0 {
			t.Errorf("incomplete entry %+v", c)
		}
	}
	if n < 15 {
		t.Errorf("want at least 15 discovery checks, got %d", n)
	}
}

func TestRunWritesReports(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := cutover(t, "run", "--report", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(out, "RESULT: PASS") {
		t.Errorf("summary lacks RESULT: PASS:\n%s", out)
	}
	for _, f := range []string{"junit.xml", "cucumber.json", "report.html"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: missing or empty (%v)", f, err)
		}
	}
	var suites struct {
		Suites []struct {
			Cases []struct {
				Name string `xml:"name,attr"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	b, _ := os.ReadFile(filepath.Join(dir, "junit.xml"))
	if err := xml.Unmarshal(b, &suites); err != nil {
		t.Fatal(err)
	}
	cases := map[string]int{}
	for _, s := range suites.Suites {
		for _, c := range s.Cases {
			id, _, _ := strings.Cut(c.Name, " ")
			cases[id]++
		}
	}
	// One test case per check, or one per subject of a per-user check.
	var results struct {
		Checks []struct {
			ID       string            `json:"id"`
			Subjects []json.RawMessage `json:"subjects"`
		} `json:"checks"`
	}
	b, _ = os.ReadFile(filepath.Join(dir, "results.json"))
	if err := json.Unmarshal(b, &results); err != nil {
		t.Fatal(err)
	}
	_, list, _ := cutover(t, "list", "--json")
	var checks []json.RawMessage
	json.Unmarshal([]byte(list), &checks)
	if len(results.Checks) != len(checks) || len(cases) != len(checks) {
		t.Errorf("want every check (%d) in results.json (%d) and junit.xml (%d)", len(checks), len(results.Checks), len(cases))
	}
	for _, c := range results.Checks {
		if want := max(1, len(c.Subjects)); cases[c.ID] != want {
			t.Errorf("junit.xml: %s has %d test cases, want %d", c.ID, cases[c.ID], want)
		}
	}
}

// failedIDs reads the failing check IDs from a report directory.
func failedIDs(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r report.Run
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range r.Failed() {
		ids = append(ids, c.ID)
	}
	return ids
}

func TestFaultedFixtureFailsExactly(t *testing.T) {
	faultedFixtureFails(t, "faulted.yaml", "DISC-03", "DISC-10", "DISC-14", "DISC-17", "JRNY-01")
}

// The SSO faulted fixture: another IdP for Webex, UCM's refresh login flow
// left at its default, an IdP signing certificate about to expire.
func TestFaultedSSOFixtureFailsExactly(t *testing.T) {
	faultedFixtureFails(t, "faulted-sso.yaml", "SSO-01", "SSO-02", "SSO-03", "SSO-04", "SSO-06", "SSO-07", "SSO-09", "SSO-13")
}

// The SIP OAuth faulted fixture: a security profile without OAuth (SIPO-02,
// SIPO-03 and the journey's SIP stage), a one-way TLS MRA port (SIPO-11)
// and bindings that outlive the access token (SIPO-12).
func TestFaultedSIPFixtureFailsExactly(t *testing.T) {
	faultedFixtureFails(t, "faulted-sip.yaml", "JRNY-01", "SIPO-02", "SIPO-03", "SIPO-11", "SIPO-12")
}

// The XMPP faulted fixture breaks dialback, STARTTLS and the one federated
// domain on the embedded site.
func TestFaultedXMPPFixtureFailsExactly(t *testing.T) {
	faultedFixtureFails(t, "faulted-xmpp.yaml", "JRNY-01", "XFED-07", "XFED-09", "XFED-11", "XFED-12")
}

// faultedFixtureFails runs fixtures/targets/file: exit 1, exactly want
// failing (in ID order), each listed in the summary.
func faultedFixtureFails(t *testing.T, file string, want ...string) {
	t.Helper()
	dir := t.TempDir()
	code, out, _ := cutover(t, "run", "--target", "../../fixtures/targets/"+file, "--report", dir)
	if code != 1 {
		t.Fatalf("want exit 1, got %d\n%s", code, out)
	}
	got := failedIDs(t, dir)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("want exactly %v failing, got %v\n%s", want, got, out)
	}
	for _, id := range want {
		if !regexp.MustCompile(`(?m)^  FAIL +` + id + ` `).MatchString(out) {
			t.Errorf("summary does not list %s:\n%s", id, out)
		}
	}
}

func TestConfigErrorsExit2(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	for _, tc := range []struct {
		name string
		args []string
		want string // regexp on stderr
	}{
		{"unknown key", []string{"run", "--target", write("k.yaml", "kind: embedded\nembeded:\n  faults: []\n")}, `k\.yaml:2: field embeded: unknown key`},
		{"bad port", []string{"run", "--target", write("p.yaml", "domains: {services: example.com}\nvantage:\n  inside: {resolver: '127.0.0.1:0'}\n")}, `p\.yaml:3: field vantage\.inside\.resolver: port "0" out of range`},
		{"missing env", []string{"run", "--target", write("e.yaml", "domains: {services: example.com}\nusers:\n  - username: a\n    email: a@example.com\n    password_env: CUTOVER_TEST_UNSET_VARIABLE\n")}, `e\.yaml:5: field users\[0\]\.password_env: environment variable CUTOVER_TEST_UNSET_VARIABLE is not set`},
		{"unknown fault", []string{"run", "--target", write("f.yaml", "kind: embedded\nfakes:\n  faults: [no-such-fault]\n")}, `f\.yaml:3: field fakes\.faults\[0\]: unknown fault "no-such-fault"`},
		{"missing file", []string{"run", "--target", filepath.Join(dir, "absent.yaml")}, `no such file`},
		{"no check selected", []string{"run", "--tags", "@NOPE-99"}, `no check selected`},
		{"bad flag", []string{"run", "--concurrency", "0"}, `--concurrency must be at least 1`},
		{"unknown flag", []string{"run", "--bogus"}, `unknown flag`},
		{"unknown command", []string{"frobnicate"}, `unknown command`},
		{"old tag syntax", []string{"run", "--tags", "@discovery && ~@DISC-03"}, `write "@a and @b"\. \(column 12\)`},
		{"tags: lone comma", []string{"run", "--tags", ","}, `--tags: .*column 1`},
		{"tags: lone @", []string{"run", "--tags", "@"}, `no check selected`},
		{"tags: trailing comma", []string{"run", "--tags", "@DISC-01,"}, `"@a,@b" is godog's old syntax`},
		{"tags: dangling and", []string{"run", "--tags", "@DISC-01 and "}, `Expected operand`},
		{"tags: blank", []string{"run", "--tags", "not"}, `Expected operand`},
		{"tags: unmatched", []string{"run", "--tags", "(@DISC-01"}, `Unmatched \(`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := cutover(t, tc.args...)
			if code != 2 {
				t.Fatalf("want exit 2, got %d\nstdout: %s\nstderr: %s", code, out, errs)
			}
			if !regexp.MustCompile(tc.want).MatchString(errs) {
				t.Fatalf("stderr does not match %q:\n%s", tc.want, errs)
			}
		})
	}
}

func TestRepeatReportsNoFlakes(t *testing.T) {
	code, out, errs := cutover(t, "run", "--repeat", "3")
	if code != 0 || !strings.Contains(out, "repeat: 3 runs, 0 check(s) changed verdict") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
}

// TestLabModeAgainstFakes starts `cutover fakes --write-target`, then runs
// the suite in lab mode against the file it wrote: the lab path (YAML
// target, resolvers, connect_to, CA file, passwords from the environment)
// on a real wire.
func TestLabModeAgainstFakes(t *testing.T) {
	dir := t.TempDir()
	file, env := labFakes(t, dir)
	full := filepath.Join(dir, "full")
	// Not the @serial checks: in lab mode site time passes for real (a
	// 10-minute poll takes 10 minutes), which is for a lab, not a test.
	code, out, errs := cutover(t, "run", "--target", file, "--report", full, "--tags", "not @serial")
	if code != 0 {
		t.Fatalf("lab run against the fakes: exit %d\n%s\n%s", code, out, errs)
	}
	checkPlanCovers(t, file, filepath.Join(full, "results.json"))

	// The same lab with the default budget of 2 authentication failures:
	// six runs in a row send DISC-09's bad-credential probe twice; the
	// others could not test it and say why.
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	strict := filepath.Join(dir, "strict.yaml")
	if err := os.WriteFile(strict, []byte(strings.Replace(string(b), "max_auth_failures: 1000", "max_auth_failures: 2", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "strict.ca.pem"), mustRead(t, strings.TrimSuffix(file, ".yaml")+".ca.pem"), 0o644); err != nil {
		t.Fatal(err)
	}
	sent := 0
	for i := 0; i < 6; i++ {
		rep := filepath.Join(dir, fmt.Sprintf("run%d", i))
		code, out, errs := cutover(t, "run", "--target", strict, "--tags", "@DISC-09", "--report", rep)
		switch {
		case code == 0:
			sent++
		case strings.Contains(string(mustRead(t, filepath.Join(rep, "results.json"))), "safety limit reached"):
		default:
			t.Fatalf("run %d: exit %d\n%s\n%s", i+1, code, out, errs)
		}
	}
	if sent != 2 {
		t.Fatalf("six runs sent the probe %d times, want max_auth_failures = 2", sent)
	}
	if code, out, errs := cutover(t, "run", "--target", strict, "--tags", "@DISC-09", "--reset-auth-budget"); code != 0 {
		t.Fatalf("after --reset-auth-budget: exit %d\n%s\n%s", code, out, errs)
	}
	b, _ = os.ReadFile(file)
	for _, v := range env {
		if strings.Contains(string(b), v) {
			t.Errorf("the target file contains a password")
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestStandardTagExpressions: Cucumber's syntax selects what it says.
func TestStandardTagExpressions(t *testing.T) {
	total := 0
	for _, tc := range []struct {
		tags string
		n    func(total int) int
	}{
		{"@DISC-01 or @DISC-02", func(int) int { return 2 }},
		{"@discovery and not @DISC-03", func(int) int { return 19 }},
		{"not @DISC-03", func(n int) int { return n - 1 }},
		{"(@DISC-01 or @DISC-02) and not @DISC-02", func(int) int { return 1 }},
	} {
		dir := t.TempDir()
		code, out, errs := cutover(t, "run", "--tags", tc.tags, "--report", dir)
		if code != 0 {
			t.Fatalf("--tags %q: exit %d\n%s\n%s", tc.tags, code, out, errs)
		}
		var res struct {
			Checks      []json.RawMessage
			NotSelected []string `json:"not_selected"`
		}
		if err := json.Unmarshal(mustRead(t, filepath.Join(dir, "results.json")), &res); err != nil {
			t.Fatal(err)
		}
		if total == 0 {
			total = len(res.Checks) + len(res.NotSelected)
		}
		if len(res.Checks) != tc.n(total) || len(res.Checks)+len(res.NotSelected) != total || total < 21 {
			t.Errorf("--tags %q: %d checks ran, %d left out; want %d ran of %d", tc.tags, len(res.Checks), len(res.NotSelected), tc.n(total), total)
		}
	}
}

// TestLeftOutInEveryFormat: a faulted run with --tags 'not @DISC-03' says
// in every format that one check was left out.
func TestLeftOutInEveryFormat(t *testing.T) {
	dir := t.TempDir()
	code, out, _ := cutover(t, "run", "--target", "../../fixtures/targets/faulted.yaml", "--tags", "not @DISC-03", "--report", dir)
	if code != 1 {
		t.Fatalf("want exit 1 (DISC-10, -14, -17 still fail), got %d\n%s", code, out)
	}
	if !strings.Contains(out, "1 left out by the tag filter") {
		t.Errorf("console: no word of the left-out check:\n%s", out)
	}
	for file, want := range map[string]string{
		"results.json":  `"not_selected": [`,
		"junit.xml":     `name="not_selected" value="DISC-03"`,
		"report.html":   `1 check(s) left out`,
		"cucumber.json": `"name": "@DISC-01"`, // cucumber JSON lists what ran: DISC-03 is absent
	} {
		b := string(mustRead(t, filepath.Join(dir, file)))
		if !strings.Contains(b, want) {
			t.Errorf("%s lacks %q", file, want)
		}
		if file == "cucumber.json" && strings.Contains(b, `"@DISC-03"`) {
			t.Errorf("cucumber.json ran DISC-03")
		}
	}
}

// TestSilentResolverIsNotTested: a resolver that never answers makes the
// checks that needed it ERROR (could not test), never FAIL or PASS, with
// progress lines while the run waits.
func TestSilentResolverIsNotTested(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "silent.yaml")
	if err := os.WriteFile(f, []byte("kind: embedded\nfakes:\n  faults: [dns-outside-silent]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := cutover(t, "run", "--target", f, "--tags", "@DISC-02 or @DISC-04 or @DISC-01", "--progress", "--heartbeat", "50ms")
	if code != 1 {
		t.Fatalf("want exit 1, got %d\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{"ERROR DISC-02", "ERROR DISC-04", "PASS  DISC-01", "still running"} {
		if !strings.Contains(errs, want) {
			t.Errorf("progress lacks %q:\n%s", want, errs)
		}
	}
	if !strings.Contains(out, "RESULT: ERROR (2 could not be tested, 1 passed of 3 checks") {
		t.Errorf("summary:\n%s", out)
	}
}

// TestInterruptedRun: a run stopped half-way writes reports that say so
// and exits 130.
func TestInterruptedRun(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "slow.yaml")
	if err := os.WriteFile(f, []byte("kind: embedded\nfakes:\n  faults: [dns-inside-slow]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var out bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"run", "--target", f, "--progress", "--concurrency", "1", "--report", dir}, &out, pw)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	if !sc.Scan() { // the first check finished: stop the run
		t.Fatal("no progress line")
	}
	cancel()
	go io.Copy(io.Discard, pr)
	if code := <-done; code != 130 {
		t.Fatalf("want exit 130, got %d\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "RESULT: INTERRUPTED") {
		t.Errorf("summary:\n%s", out.String())
	}
	if b := string(mustRead(t, filepath.Join(dir, "results.json"))); !strings.Contains(b, `"result": "interrupted"`) || !strings.Contains(b, `"interrupted": "interrupted: `) {
		t.Errorf("results.json does not say the run was interrupted")
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, out, _ := cutover(t, args...)
		if code != 0 || !strings.HasPrefix(out, "cutover ") || !strings.Contains(out, "go1.") {
			t.Errorf("%v: exit %d, %q", args, code, out)
		}
	}
}

// checkPlanCovers: every host the lab run sent anything to is in the
// contact plan `cutover lab plan` printed before it, within its budget,
// and credentials went only to hosts the plan says may receive them.
func checkPlanCovers(t *testing.T, file, results string) {
	t.Helper()
	code, out, errs := cutover(t, "lab", "plan", "--target", file, "--json")
	if code != 0 {
		t.Fatalf("lab plan: exit %d\n%s\n%s", code, out, errs)
	}
	var plan target.ContactPlan
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatal(err)
	}
	var run report.Run
	if err := json.Unmarshal(mustRead(t, results), &run); err != nil {
		t.Fatal(err)
	}
	if len(run.Contacts) < 3 {
		t.Fatalf("the run recorded %d contacts: %+v", len(run.Contacts), run.Contacts)
	}
	credentials := map[string]bool{}
	for _, h := range plan.Hosts {
		credentials[h.Name] = h.Credentials
	}
	t.Logf("contacts of the lab run: %+v", run.Contacts)
	for _, c := range run.Contacts {
		if !plan.Covers(c.Host) {
			t.Errorf("the run sent %d to %s, which the plan does not list", c.Sent, c.Host)
		}
		if plan.Limits.MaxRequestsPerHost > 0 && c.Sent > plan.Limits.MaxRequestsPerHost {
			t.Errorf("the run sent %d to %s, past the plan's budget of %d", c.Sent, c.Host, plan.Limits.MaxRequestsPerHost)
		}
		if c.Credentials > 0 && !credentials[c.Host] {
			t.Errorf("the run sent %d credentials to %s, which the plan does not allow", c.Credentials, c.Host)
		}
	}
}

// labFakes starts `cutover fakes --write-target` with the faults until the
// test ends, and returns the lab target file it wrote and the password
// variables it printed, set in the test's environment.
func labFakes(t *testing.T, dir string, faults ...string) (string, map[string]string) {
	t.Helper()
	file := filepath.Join(dir, "fakes.yaml")
	args := []string{"fakes", "--write-target", file}
	for _, f := range faults {
		args = append(args, "--fault", f)
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, args, pw, io.Discard)
		pw.Close()
	}()
	env := map[string]string{}
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		line := sc.Text()
		if k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "="); ok && strings.HasPrefix(line, "export ") {
			env[k] = v
		}
		if strings.HasPrefix(line, "serving") {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("cutover fakes did not stop on cancel")
		}
	})
	if len(env) == 0 {
		t.Fatal("cutover fakes printed no password variables")
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	return file, env
}

// TestFaultedLabBundleHoldsNoSecret: a lab-mode run against faulted fakes
// (passwords refused on Expressway-E, UDS devices open, credentials
// accepted for anyone) writes a bundle with failures and evidence, and no
// file of it holds any form of any test user's password: raw, base64 of
// user:password (the Basic header), base64, URL- and path-escaped.
func TestFaultedLabBundleHoldsNoSecret(t *testing.T) {
	dir := t.TempDir()
	file, env := labFakes(t, dir, "edge-refuses-test-password", "uds-devices-open", "uds-wrong-realm")
	rep := filepath.Join(dir, "report")
	code, out, errs := cutover(t, "run", "--target", file, "--report", rep, "--json", "--tags", "not @serial")
	if code != 1 {
		t.Fatalf("faulted lab run: exit %d, want 1\n%s", code, errs)
	}
	site, err := target.LoadFile(file, os.LookupEnv)
	if err != nil {
		t.Fatal(err)
	}
	var forms []string
	for _, u := range site.Users {
		if u.Password == "" {
			continue
		}
		forms = append(forms, u.Password,
			base64.StdEncoding.EncodeToString([]byte(u.Username+":"+u.Password)),
			base64.StdEncoding.EncodeToString([]byte(u.Password)),
			base64.RawURLEncoding.EncodeToString([]byte(u.Password)),
			url.QueryEscape(u.Password), url.PathEscape(u.Password))
	}
	if len(forms) == 0 || len(env) == 0 {
		t.Fatal("no passwords to look for")
	}
	files := 0
	outputs := map[string]string{"stdout": out, "stderr": errs}
	err = filepath.WalkDir(rep, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		outputs[path] = string(mustRead(t, path))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 5 || !strings.Contains(outputs[filepath.Join(rep, "results.json")], "DISC-08") {
		t.Fatalf("the bundle has %d files; want the reports and evidence of the failures", files)
	}
	t.Logf("%d files", files)
	for name, text := range outputs {
		for _, f := range forms {
			if strings.Contains(text, f) {
				t.Errorf("%s holds a form of a password (%d bytes)", name, len(f))
			}
		}
	}
}
