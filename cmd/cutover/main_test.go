package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"example.com/cutover/harness/report"
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
	cases := 0
	for _, s := range suites.Suites {
		cases += len(s.Cases)
	}
	_, list, _ := cutover(t, "list", "--json")
	var checks []json.RawMessage
	json.Unmarshal([]byte(list), &checks)
	if cases != len(checks) {
		t.Errorf("junit.xml: want one test case per scenario (%d), got %d", len(checks), cases)
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
	dir := t.TempDir()
	code, out, _ := cutover(t, "run", "--target", "../../fixtures/targets/faulted.yaml", "--report", dir)
	if code != 1 {
		t.Fatalf("want exit 1, got %d\n%s", code, out)
	}
	want := []string{"DISC-03", "DISC-10", "DISC-14", "DISC-17"}
	if got := failedIDs(t, dir); !slices.Equal(got, want) {
		t.Fatalf("want exactly %v failing, got %v\n%s", want, got, out)
	}
	for _, id := range want {
		if !regexp.MustCompile(`(?m)^  FAIL ` + id + ` `).MatchString(out) {
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
	file := filepath.Join(dir, "fakes.yaml")
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"fakes", "--write-target", file}, pw, io.Discard)
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
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("cutover fakes did not stop on cancel")
		}
	}()
	if len(env) == 0 {
		t.Fatal("cutover fakes printed no password variables")
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	code, out, errs := cutover(t, "run", "--target", file)
	if code != 0 {
		t.Fatalf("lab run against the fakes: exit %d\n%s\n%s", code, out, errs)
	}

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
