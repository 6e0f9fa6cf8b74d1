package target_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"example.com/cutover/harness/target"
)

// hybridTarget is the lab example with alice migrating and a hybrid
// section, written beside its CA and a Control Hub export.
func hybridTarget(t *testing.T, section, aliceHybrid string) string {
	t.Helper()
	p := labExample(t)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), "    devices: [CSFALICE, BOTALICE, TCTALICE, TABALICE]\n",
		"    devices: [CSFALICE, BOTALICE, TCTALICE, TABALICE]\n"+aliceHybrid, 1) + section
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"exports/ucm-a.csv", "exports/hub.csv"} {
		if err := os.MkdirAll(filepath.Join(filepath.Dir(p), "exports"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(filepath.Dir(p), f), []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

var hybridEnv = env(map[string]string{"CUTOVER_PASSWORD_ALICE": "s3cret-alice", "CUTOVER_PASSWORD_BOB": "s3cret-bob",
	"AXL_PW": "axl-secret", "WX_ALICE": "wx-token-alice"})

func TestLoadHybrid(t *testing.T) {
	p := hybridTarget(t, `hybrid:
  axl: {username: cutover-axl, password_env: AXL_PW}
  connectors: [{name: expc1.example.com, nodes: 2, imp_clusters: [imp1.example.com], users: 10}]
  exports:
    ucm: [{file: exports/ucm-a.csv, cluster: ucm-a}]
    control_hub: exports/hub.csv
`, "    hybrid: {webex_token_env: WX_ALICE}\n")
	s, err := target.LoadFile(p, hybridEnv)
	if err != nil {
		t.Fatal(err)
	}
	h := s.Hybrid
	if h.WebexAPI != "webexapis.com" || h.AXL.Host != "imp1.example.com" || h.AXL.Password != "axl-secret" || h.AXLHost() != "imp1.example.com:8443" {
		t.Errorf("defaults: %+v", h)
	}
	users := s.HybridUsers()
	if len(users) != 1 || users[0].Hybrid.JID != "alice@example.com" || users[0].Hybrid.WebexEmail != "alice@example.com" || users[0].Hybrid.WebexToken != "wx-token-alice" {
		t.Fatalf("migrating users: %+v", users)
	}
	r, err := h.OpenExport("exports/hub.csv")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r)
	r.Close()
	if string(b) != "x\n" {
		t.Errorf("export read relative to the target file: %q", b)
	}
}

func TestLoadHybridErrors(t *testing.T) {
	p := hybridTarget(t, `hybrid:
  axl: {password_env: NOPE}
  connectors: [{name: "", nodes: 0, imp_clusters: ["192.0.2.1"], users: -1}]
  exports:
    ucm: [{file: exports/missing.csv, cluster: ucm-z}]
    control_hub: exports/hub.csv
  colour: blue
`, "    hybrid: {jid: \"not a jid\", webex_email: nobody}\n")
	_, err := target.LoadFile(p, hybridEnv)
	var le *target.LoadError
	if !errors.As(err, &le) {
		t.Fatalf("want a LoadError, got %v", err)
	}
	for _, want := range []string{
		"hybrid.colour: unknown key",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
	// A key error stops validation; without it every value is reported.
	p = hybridTarget(t, `hybrid:
  axl: {password_env: NOPE}
  connectors: [{name: "", nodes: 0, imp_clusters: ["192.0.2.1"], users: -1}]
  email_change: {user: carol, new_email: nobody}
  exports:
    ucm: [{file: exports/missing.csv, cluster: ucm-z}]
    control_hub: exports/hub.csv
`, "    hybrid: {jid: \"not a jid\", webex_email: nobody}\n")
	_, err = target.LoadFile(p, hybridEnv)
	if !errors.As(err, &le) {
		t.Fatalf("want a LoadError, got %v", err)
	}
	for _, want := range []string{
		"hybrid.axl.username: required",
		"hybrid.axl.password_env: environment variable NOPE is not set",
		"hybrid.connectors[0].name: required",
		"hybrid.connectors[0].nodes: at least 1",
		"hybrid.connectors[0].users: must not be negative",
		"hybrid.connectors[0].imp_clusters[0]",
		"hybrid.exports.ucm[0].file: target: no such file",
		`hybrid.exports.ucm[0].cluster: no UCM cluster named "ucm-z"`,
		`users[0].hybrid.jid: want a bare JID`,
		`users[0].hybrid.webex_email: want an address`,
		"users[0].hybrid.webex_token_env: required",
		`hybrid.email_change.user: no migrating test user "carol"`,
		`hybrid.email_change.new_email: want an address`,
		"hybrid.email_change.webex_token_env: required",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
	for _, fe := range le.Errs {
		if fe.Line == 0 {
			t.Errorf("%s: no line", fe.Field)
		}
	}
}
