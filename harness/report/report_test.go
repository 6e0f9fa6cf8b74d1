package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cucumber/godog"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

const (
	sampleFeature = "testdata/sample.feature"
	sampleGolden  = "testdata/sample.cucumber.json"
	summaryGolden = "testdata/summary.golden"
)

// scriptAnswer is evidence that must reach the HTML report escaped.
const scriptAnswer = "_cisco-uds._tcp.example.com. 300 IN SRV 10 5 8443 cucm1.example.com.\n<script>alert('xss')</script> & \"quotes\"\n"

// binaryEvidence is not text, so the HTML report links it as a download.
var binaryEvidence = func() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}()

// sampleScenarios defines the steps of testdata/sample.feature: passing,
// failing with evidence, pending, skipped and (by omission) undefined.
func sampleScenarios(sc *godog.ScenarioContext) {
	pass := func() error { return nil }
	sc.Step(`^a fake resolver$`, pass)
	sc.Step(`^I query "([^"]*)" SRV from (inside|outside)$`, func(ctx context.Context, name, where string) (context.Context, error) {
		return godog.Attach(ctx, godog.Attachment{FileName: "dns answer", MediaType: "text/plain", Body: []byte(scriptAnswer)}), nil
	})
	sc.Step(`^the answer is NXDOMAIN$`, func(ctx context.Context) (context.Context, error) {
		ctx = godog.Attach(ctx, godog.Attachment{FileName: "answer.json", MediaType: "application/json", Body: []byte(`{"rcode":"NOERROR","answers":1,"note":"</pre><b>x</b>"}`)})
		return ctx, errors.New("DISC-03: _cisco-uds._tcp.example.com SRV: want NXDOMAIN, got 1 target from 127.0.0.1:40211\nanswer section:\n  cucm1.example.com.:8443")
	})
	sc.Step(`^the answer has (\d+) targets$`, func(n int) error { return nil })
	sc.Step(`^the answer reports a long error$`, func(ctx context.Context) (context.Context, error) {
		ctx = godog.Attach(ctx, godog.Attachment{FileName: "raw.bin", MediaType: "application/octet-stream", Body: binaryEvidence})
		return ctx, errors.New("DISC-02: " + strings.Repeat("x", 300) + "\nsecond line")
	})
	sc.Step(`^an identity provider$`, pass)
	sc.Step(`^the metadata is served$`, pass)
	sc.Step(`^a SIP registrar$`, pass)
	sc.Step(`^the register step is pending$`, func() error { return godog.ErrPending })
	sc.Step(`^an XMPP server that is not reachable$`, func() error { return godog.ErrSkip })
	sc.Step(`^the stream features offer dialback$`, pass)
	sc.Step(`^a hybrid connector$`, pass)
}

var (
	durationRE = regexp.MustCompile(`"duration": [0-9]+`)
	locationRE = regexp.MustCompile(`(_test\.go):[0-9]+"`)
)

// runSample runs testdata/sample.feature through godog's cucumber formatter
// and normalises what changes between runs (durations, test file lines).
func runSample(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	godog.TestSuite{
		Name:                "sample",
		ScenarioInitializer: sampleScenarios,
		Options: &godog.Options{
			Format:      "cucumber",
			Output:      &buf,
			Paths:       []string{sampleFeature},
			Strict:      true,
			Concurrency: 1,
		},
	}.Run() // fails by design: the sample has failing checks
	out := durationRE.ReplaceAll(buf.Bytes(), []byte(`"duration": 1000000`))
	return locationRE.ReplaceAll(out, []byte(`$1:0"`))
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update and review the diff)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// TestSampleGolden keeps testdata/sample.cucumber.json in step with what
// godog v0.15.1 actually writes.
func TestSampleGolden(t *testing.T) {
	golden(t, sampleGolden, runSample(t))
}

func sampleChecks(t *testing.T) []Check {
	t.Helper()
	data, err := os.ReadFile(sampleGolden)
	if err != nil {
		t.Fatal(err)
	}
	checks, err := FromCucumberJSON(data)
	if err != nil {
		t.Fatalf("FromCucumberJSON(%s): %v", sampleGolden, err)
	}
	return checks
}

func sampleRun(t *testing.T) *Run {
	t.Helper()
	return &Run{
		Target:   "embedded",
		Started:  time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC),
		Duration: 420 * time.Millisecond,
		Checks:   sampleChecks(t),
	}
}

func TestFromCucumberJSON(t *testing.T) {
	checks := sampleChecks(t)
	byID := map[string]Check{}
	for _, c := range checks {
		byID[c.ID] = c
	}
	if len(checks) != 7 || len(byID) != 7 {
		t.Fatalf("FromCucumberJSON(%s): got %d checks (%d IDs), want 7", sampleGolden, len(checks), len(byID))
	}
	tests := []struct {
		id, capability, source, title string
		status                        Status
		reason                        string
		steps, evidence               int
	}{
		{"DISC-03", "discovery", "Jabber to Webex guide §Validate DNS: external DNS must not expose UDS", "_cisco-uds._tcp.example.com SRV visible from outside", StatusFailed,
			"DISC-03: _cisco-uds._tcp.example.com SRV: want NXDOMAIN, got 1 target from 127.0.0.1:40211", 3, 2},
		{"DISC-10", "discovery", "RFC 2782", "collab-edge SRV points at Expressway-E", StatusPassed, "", 3, 1},
		{"DISC-02", "discovery", "RFC 2782", "internal resolver returns _cisco-uds SRV", StatusFailed,
			"DISC-02: " + strings.Repeat("x", 190) + "…", 3, 2},
		{"SSO-01", "sso", "SAML 2.0 Metadata §2.3", "IdP metadata is reachable", StatusPassed, "", 2, 0},
		{"SIPO-01", "sip", "RFC 3261 §22", "REGISTER over TLS is challenged", StatusFailed, `step "Then the register step is pending" pending`, 2, 0},
		{"XFED-01", "xmpp", "RFC 7590", "s2s dialback is offered", StatusSkipped, "no step ran", 2, 0},
		{"HYB-01", "hybrid", "TN211304", "hybrid calendar connector is registered", StatusFailed, `step "Then a step nobody wrote" undefined`, 2, 0},
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			c, ok := byID[tc.id]
			if !ok {
				t.Fatalf("no check %s", tc.id)
			}
			if c.Capability != tc.capability || c.Source != tc.source || c.Title != tc.title {
				t.Errorf("%s: got capability %q source %q title %q, want %q %q %q", tc.id, c.Capability, c.Source, c.Title, tc.capability, tc.source, tc.title)
			}
			if c.Status != tc.status {
				t.Errorf("%s: status %q, want %q (steps %+v)", tc.id, c.Status, tc.status, c.Steps)
			}
			if c.Reason != tc.reason {
				t.Errorf("%s: reason %q, want %q", tc.id, c.Reason, tc.reason)
			}
			if len([]rune(c.Reason)) > maxReason {
				t.Errorf("%s: reason is %d characters, want at most %d", tc.id, len([]rune(c.Reason)), maxReason)
			}
			if len(c.Steps) != tc.steps || len(c.Evidence) != tc.evidence {
				t.Errorf("%s: %d steps %d evidence, want %d %d", tc.id, len(c.Steps), len(c.Evidence), tc.steps, tc.evidence)
			}
			if c.Feature != sampleFeature || c.Line == 0 {
				t.Errorf("%s: feature %q line %d, want %q and a line", tc.id, c.Feature, c.Line, sampleFeature)
			}
			if c.Status == StatusFailed && c.Error == "" {
				t.Errorf("%s: failed without Error", tc.id)
			}
		})
	}

	c := byID["DISC-03"]
	if want := []string{"@sample", "@DISC-03", "@discovery", "@ref:RFC2782"}; strings.Join(c.Tags, " ") != strings.Join(want, " ") {
		t.Errorf("DISC-03 tags %q, want %q", c.Tags, want)
	}
	if !strings.Contains(c.Error, "\nanswer section:\n") {
		t.Errorf("DISC-03 Error %q lacks the full multi-line error", c.Error)
	}
	wantEv := []Evidence{
		{Name: "dns answer", MediaType: "text/plain", Data: scriptAnswer},
		{Name: "answer.json", MediaType: "application/json", Data: `{"rcode":"NOERROR","answers":1,"note":"</pre><b>x</b>"}`},
	}
	if len(c.Evidence) != 2 || c.Evidence[0] != wantEv[0] || c.Evidence[1] != wantEv[1] {
		t.Errorf("DISC-03 evidence %+v, want %+v", c.Evidence, wantEv)
	}
	if st := c.Steps[1]; st.Status != StatusPassed || len(st.Evidence) != 1 || st.Evidence[0] != wantEv[0] {
		t.Errorf("DISC-03 step 2 %+v, want passed with the dns answer", st)
	}
	if st := c.Steps[2]; st.Keyword != "Then " || st.Text != "the answer is NXDOMAIN" || st.Status != StatusFailed {
		t.Errorf("DISC-03 step 3 %+v", st)
	}
	if c.Duration != 3*time.Millisecond {
		t.Errorf("DISC-03 duration %v, want 3ms (3 steps of the normalised 1ms)", c.Duration)
	}
	if d := byID["DISC-02"].Evidence[1].Data; d != string(binaryEvidence) {
		t.Errorf("DISC-02 binary evidence decoded to %q", d)
	}
}

func TestFromCucumberJSONHooks(t *testing.T) {
	// Shape written by cucumber-ruby/-jvm: hooks with results and
	// embeddings, a background element, and a float duration.
	const in = `[{"uri":"features/sso/x.feature","elements":[
	 {"type":"background","keyword":"Background","steps":[{"keyword":"Given ","name":"bg","result":{"status":"passed","duration":5}}]},
	 {"type":"scenario","name":"with hooks","line":7,"description":"  Some text\n  source:  RFC 7522 §3 \n",
	  "tags":[{"name":"@SSO-04"},{"name":"@sso"}],
	  "before":[{"match":{"location":"h.go:1"},"result":{"status":"passed","duration":1},"embeddings":[{"mime_type":"text/plain","data":"YmVmb3Jl","name":"b"}]}],
	  "steps":[{"keyword":"When ","name":"s","result":{"status":"passed","duration":2.5e1},
	            "after":[{"result":{"status":"passed"},"embeddings":[{"media":{"type":"text/plain"},"data":"c3RlcC1hZnRlcg=="}]}]}],
	  "after":[{"result":{"status":"failed","error_message":"SSO-04: teardown: want clean, got leak\nstack"},"embeddings":[{"mime_type":"text/plain","data":"not base64!"}]}]},
	 {"type":"scenario","name":"no steps","tags":[{"name":"@SSO-05"},{"name":"@lab"}]}
	]}]`
	checks, err := FromCucumberJSON([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(checks) != 2 {
		t.Fatalf("got %d checks, want 2", len(checks))
	}
	c := checks[0]
	if c.ID != "SSO-04" || c.Capability != "sso" || c.Source != "RFC 7522 §3" || c.Status != StatusFailed {
		t.Errorf("check %+v", c)
	}
	if c.Reason != "SSO-04: teardown: want clean, got leak" {
		t.Errorf("reason %q", c.Reason)
	}
	if len(c.Steps) != 2 || c.Steps[0].Text != "bg" {
		t.Errorf("background steps not merged: %+v", c.Steps)
	}
	var data []string
	for _, e := range c.Evidence {
		data = append(data, e.Data)
	}
	if got, want := strings.Join(data, "|"), "before|step-after|not base64!"; got != want {
		t.Errorf("evidence %q, want %q", got, want)
	}
	if c.Duration != 31 {
		t.Errorf("duration %d, want 31ns", c.Duration)
	}
	if c2 := checks[1]; c2.Status != StatusSkipped || c2.Capability != "lab" {
		t.Errorf("empty scenario %+v, want skipped with capability lab", c2)
	}
}

func TestFromCucumberJSONInvalid(t *testing.T) {
	for _, in := range []string{`{`, `{"uri":"x"}`, `[{"elements":"no"}]`} {
		if _, err := FromCucumberJSON([]byte(in)); err == nil || !strings.HasPrefix(err.Error(), "report: malformed cucumber json: ") {
			t.Errorf("FromCucumberJSON(%q) error %v, want report: malformed cucumber json: ...", in, err)
		}
	}
	if c, err := FromCucumberJSON(nil); err != nil || c != nil {
		t.Errorf("FromCucumberJSON(nil) = %v, %v; want no checks, no error", c, err)
	}
}

func TestCompareIDs(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"DISC-02", "DISC-10", -1},
		{"DISC-10", "DISC-02", 1},
		{"DISC-02", "DISC-10", -1},
		{"DISC-03", "DISC-3", -1},
		{"DISC-3", "DISC-3", 0},
		{"DISC-99", "HYB-01", -1},
		{"", "DISC-01", -1},
		{"SIPO-1", "SIPO-1a", -1},
	}
	for _, tc := range tests {
		if got := compareIDs(tc.a, tc.b); got != tc.want {
			t.Errorf("compareIDs(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestByCapability(t *testing.T) {
	r := &Run{Checks: []Check{
		{ID: "LAB-1", Capability: "zeta", Verdict: Pass},
		{ID: "X-1", Capability: "", Verdict: Fail},
		{ID: "HYB-01", Capability: "hybrid", Verdict: NotApplicable},
		{ID: "DISC-10", Capability: "discovery", Verdict: Fail},
		{ID: "LAB-2", Capability: "alpha", Verdict: Pass},
		{ID: "DISC-02", Capability: "discovery", Verdict: Error},
		{ID: "SSO-01", Capability: "sso", Verdict: Pass},
		{ID: "DISC-01", Capability: "discovery", Verdict: Pass},
	}}
	var got []string
	for _, s := range r.ByCapability() {
		var ids []string
		for _, c := range s.Failing {
			ids = append(ids, c.ID)
		}
		got = append(got, s.Capability+":"+itoa(s.Counts[Pass])+itoa(s.Counts[Fail])+itoa(s.Counts[Error])+itoa(s.Counts[NotApplicable])+"["+strings.Join(ids, ",")+"]")
	}
	want := "discovery:1110[DISC-10,DISC-02] sso:1000[] hybrid:0001[] alpha:1000[] zeta:1000[] :0100[X-1]"
	if strings.Join(got, " ") != want {
		t.Errorf("ByCapability = %s\nwant          %s", strings.Join(got, " "), want)
	}
	var failed []string
	for _, c := range r.Failed() {
		failed = append(failed, c.ID)
	}
	if got, want := strings.Join(failed, ","), "DISC-10,X-1"; got != want {
		t.Errorf("Failed() = %s, want %s", got, want)
	}
	if got := r.Result(); got != "fail" {
		t.Errorf("Result() = %s, want fail", got)
	}
	var nilRun *Run
	if nilRun.Failed() != nil || nilRun.ByCapability() != nil {
		t.Error("nil Run: want no checks")
	}
}

func itoa(n int) string { return string(rune('0' + n)) }

func TestWriteSummary(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSummary(&buf, sampleRun(t)); err != nil {
		t.Fatal(err)
	}
	golden(t, summaryGolden, buf.Bytes())
}

func TestWriteSummaryResult(t *testing.T) {
	tests := []struct {
		name   string
		checks []Check
		want   string
	}{
		{"none", nil, "RESULT: FAIL (no checks ran)\n"},
		{"pass", []Check{{ID: "SSO-01", Capability: "sso", Verdict: Pass}}, "RESULT: PASS (1 passed of 1 check)\n"},
		{"not applicable", []Check{{ID: "SSO-01", Capability: "sso", Verdict: Pass}, {ID: "SSO-02", Capability: "sso", Verdict: NotApplicable}}, "RESULT: PASS (1 not applicable, 1 passed of 2 checks)\n"},
		{"error", []Check{{ID: "SSO-01", Capability: "sso", Verdict: Error, Reason: "SSO-01: could not test: x"}}, "  ERROR SSO-01  could not test: x\nRESULT: ERROR (1 could not be tested, 0 passed of 1 check)\n"},
		{"fail", []Check{{ID: "SSO-01", Capability: "sso", Verdict: Fail, Reason: "SSO-01: a\x1b[31mred\rb"}}, "  FAIL  SSO-01  a [31mred b\nRESULT: FAIL (1 failed, 0 passed of 1 check)\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteSummary(&buf, &Run{Target: "lab", Checks: tc.checks}); err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(buf.String(), tc.want) {
				t.Errorf("%s: summary\n%s\nwant suffix\n%s", tc.name, buf.String(), tc.want)
			}
		})
	}
	if err := WriteSummary(&bytes.Buffer{}, nil); !errors.Is(err, ErrNilRun) {
		t.Errorf("WriteSummary(nil) = %v, want ErrNilRun", err)
	}
}

func TestWriteJSON(t *testing.T) {
	r := sampleRun(t)
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var back Run
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatalf("WriteJSON output does not parse: %v", err)
	}
	if back.Target != r.Target || !back.Started.Equal(r.Started) || back.Duration != r.Duration || len(back.Checks) != len(r.Checks) {
		t.Errorf("round trip lost data: %+v", back)
	}
	if !strings.Contains(buf.String(), "\n  \"target\": \"embedded\",\n") {
		t.Errorf("WriteJSON not indented with lowercase keys:\n%.200s", buf.String())
	}
}

func TestRedact(t *testing.T) {
	r := &Run{Checks: []Check{{
		Reason:   "token s3cret",
		Error:    "full s3cret",
		Evidence: []Evidence{{Data: "ev s3cret"}},
		Steps:    []Step{{Error: "step s3cret", Evidence: []Evidence{{Data: "step ev s3cret"}}}},
		Title:    "title s3cret stays",
	}}}
	calls := 0
	Redact(r, func(s string) string { calls++; return strings.ReplaceAll(s, "s3cret", "[redacted]") })
	if calls != 5 {
		t.Errorf("redact called %d times, want 5", calls)
	}
	var out bytes.Buffer
	if err := WriteJSON(&out, r); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "s3cret"); n != 1 {
		t.Errorf("after Redact %d secrets remain, want only the title's:\n%s", n, out.String())
	}
	Redact(r, nil)
	Redact(nil, strings.ToUpper)
}

// FuzzFromCucumberJSON feeds arbitrary bytes to FromCucumberJSON. It must
// never panic, every error wraps ErrCucumberJSON, and what parses renders
// as a summary and a page, each reason one line.
func FuzzFromCucumberJSON(f *testing.F) {
	seed, err := os.ReadFile(sampleGolden)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`[{"elements":[{"type":"background"},{"before":[{"result":{"status":"failed"}}],"steps":[{"result":{"duration":-1e400}}]}]}]`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		checks, err := FromCucumberJSON(data)
		if err != nil {
			if !errors.Is(err, ErrCucumberJSON) {
				t.Fatalf("FromCucumberJSON: error %v does not wrap ErrCucumberJSON", err)
			}
			return
		}
		r := &Run{Target: "fuzz", Checks: checks}
		for _, c := range checks {
			if len([]rune(c.Reason)) > maxReason || strings.Contains(c.Reason, "\n") {
				t.Fatalf("reason %q is not one line of at most %d characters", c.Reason, maxReason)
			}
		}
		if err := WriteSummary(&bytes.Buffer{}, r); err != nil {
			t.Fatal(err)
		}
		if err := WriteHTML(&bytes.Buffer{}, r); err != nil {
			t.Fatal(err)
		}
	})
}
