package target_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"example.com/cutover/harness/pki"
	"example.com/cutover/harness/target"
)

// env is the environment the tests see: only these variables exist.
func env(vars map[string]string) target.Env {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

var fullEnv = env(map[string]string{"CUTOVER_PASSWORD_ALICE": "s3cret-alice", "CUTOVER_PASSWORD_BOB": "s3cret-bob"})

// labExample copies the documented example target and its CA into a
// temporary directory.
func labExample(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	b, err := os.ReadFile("../../fixtures/targets/lab-example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "lab-example.yaml")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	ca, err := pki.NewCA("test")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "lab-example.ca.pem"), ca.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadExample(t *testing.T) {
	s, err := target.LoadFile(labExample(t), fullEnv)
	if err != nil {
		t.Fatal(err)
	}
	if s.Users[0].Password != "s3cret-alice" || s.Users[1].Password != "s3cret-bob" {
		t.Errorf("passwords not read from the environment")
	}
	if s.Roots == nil {
		t.Errorf("ca_file not loaded")
	}
	if s.Discovery.Budget.D().Seconds() != 20 || s.Discovery.TopN != 2 || s.Limits.RPS != 5 {
		t.Errorf("discovery/limits not as written: %+v %+v", s.Discovery, s.Limits)
	}
	if s.SSO.IdP != "https://adfs.example.com" || s.IdPLogin(s.Users[0]) != "alice@example.com" || s.SSO.App().ID == "" {
		t.Errorf("sso section not as written: %+v", s.SSO)
	}
	if got := s.Line("users[1].email"); got == 0 {
		t.Errorf("no line recorded for users[1].email")
	}
}

// TestLoadErrors: every bad file names file, line and field.
func TestLoadErrors(t *testing.T) {
	base, err := os.ReadFile(labExample(t))
	if err != nil {
		t.Fatal(err)
	}
	// lineOf is the line of the fixture that holds sub, so that a line
	// added above does not move every expectation below it.
	lineOf := func(sub string) int {
		i := strings.Index(string(base), sub)
		if i < 0 {
			t.Fatalf("the fixture has no %q", sub)
		}
		return strings.Count(string(base[:i]), "\n") + 1
	}
	for _, tc := range []struct {
		name        string
		edit        func(string) string
		env         target.Env
		wantLine    int
		wantField   string
		wantMessage string
	}{
		{name: "unknown key", edit: func(s string) string {
			return strings.Replace(s, "  imp: example.com\n", "  imp: example.com\n  voice_service: x.example.com\n", 1)
		}, wantLine: 11, wantField: "domains.voice_service", wantMessage: "unknown key"},
		{name: "bad resolver port", edit: func(s string) string {
			return strings.Replace(s, "127.0.0.1:5300", "127.0.0.1:70000", 1)
		}, wantLine: 13, wantField: "vantage.inside.resolver", wantMessage: "out of range"},
		{name: "resolver not an address", edit: func(s string) string {
			return strings.Replace(s, "127.0.0.1:5301", "dns.example.com:53", 1)
		}, wantLine: 15, wantField: "vantage.outside.resolver", wantMessage: "want an IP address"},
		{name: "missing env var", env: env(map[string]string{"CUTOVER_PASSWORD_ALICE": "x1x"}),
			wantLine: 36, wantField: "users[1].password_env", wantMessage: "CUTOVER_PASSWORD_BOB is not set"},
		{name: "unreadable certificate", edit: func(s string) string {
			return strings.Replace(s, "ca_file: lab-example.ca.pem", "ca_file: nowhere.pem", 1)
		}, wantLine: 43, wantField: "tls.ca_file", wantMessage: "unreadable certificate"},
		{name: "certificate is a device", edit: func(s string) string {
			return strings.Replace(s, "ca_file: lab-example.ca.pem", "ca_file: /dev/zero", 1)
		}, wantLine: 43, wantField: "tls.ca_file", wantMessage: "not a regular file"},
		{name: "unknown home cluster", edit: func(s string) string {
			return strings.Replace(s, "home_cluster: ucm-b", "home_cluster: ucm-z", 1)
		}, wantLine: 34, wantField: "users[1].home_cluster", wantMessage: `no UCM cluster named "ucm-z"`},
		{name: "node is an IP", edit: func(s string) string {
			return strings.Replace(s, "nodes: [ucmb1.example.com]", "nodes: [192.0.2.10]", 1)
		}, wantLine: 20, wantField: "ucm[1].nodes[0]", wantMessage: "want a host name"},
		{name: "bad duration", edit: func(s string) string {
			return strings.Replace(s, "budget: 20s", "budget: twenty", 1)
		}, wantLine: 40, wantField: "discovery.budget", wantMessage: "not a duration"},
		{name: "wrong type", edit: func(s string) string {
			return strings.Replace(s, "top_n: 2 ", "top_n: [2] ", 1)
		}, wantLine: 41, wantField: "discovery.top_n", wantMessage: "cannot unmarshal"},
		{name: "delivery timeout above the call timeout", edit: func(s string) string {
			return strings.Replace(s, "  dns_timeout: 2s ", "  delivery_timeout: 11s\n  dns_timeout: 2s ", 1)
		}, wantLine: lineOf("  dns_timeout: 2s"), wantField: "limits.delivery_timeout", wantMessage: "must not exceed limits.timeout (10s), got 11s"},
		{name: "bad kind", edit: func(s string) string {
			return strings.Replace(s, "kind: lab", "kind: cloud", 1)
		}, wantLine: 4, wantField: "kind", wantMessage: `got "cloud"`},
		{name: "faults on a lab site", edit: func(s string) string {
			return s + "fakes:\n  faults: [dns-tcp-refused]\n"
		}, wantLine: -1, wantField: "fakes.faults", wantMessage: "only to kind: embedded or kind: containers"},
		{name: "sso idp not https", edit: func(s string) string {
			return strings.Replace(s, "idp: https://adfs.example.com", "idp: http://adfs.example.com", 1)
		}, wantLine: lineOf("idp: https://adfs.example.com"), wantField: "sso.idp", wantMessage: "want an https URL"},
		{name: "sso metadata an IP", edit: func(s string) string {
			return strings.Replace(s, "metadata: https://adfs.example.com/", "metadata: https://192.0.2.7/", 1)
		}, wantLine: lineOf("metadata: https://adfs.example.com/"), wantField: "sso.metadata", wantMessage: "want a host name"},
		{name: "sso login username", edit: func(s string) string {
			return strings.Replace(s, "username: email}", "username: upn}", 1)
		}, wantLine: lineOf("  login: {"), wantField: "sso.login.username", wantMessage: `got "upn"`},
		{name: "sso unknown key", edit: func(s string) string {
			return strings.Replace(s, "  login: {", "  logon: x\n  login: {", 1)
		}, wantLine: lineOf("  login: {"), wantField: "sso.logon", wantMessage: "unknown key"},
		{name: "sso admin without password_env", edit: func(s string) string {
			return strings.Replace(s, "  # admin: {username: ccmadmin, password_env: CUTOVER_UCM_ADMIN_PASSWORD}", "  admin: {username: ccmadmin}", 1)
		}, wantLine: lineOf("  # admin: {"), wantField: "sso.admin.password_env", wantMessage: "required"},
		{name: "sso admin password not set", edit: func(s string) string {
			return strings.Replace(s, "  # admin: {", "  admin: {", 1)
		}, wantLine: lineOf("  # admin: {"), wantField: "sso.admin.password_env", wantMessage: "CUTOVER_UCM_ADMIN_PASSWORD is not set"},
		{name: "sip oauth port below 1024", edit: func(s string) string {
			return strings.Replace(s, "  oauth_port: 5090 ", "  oauth_port: 80 ", 1)
		}, wantLine: lineOf("  oauth_port: 5090 "), wantField: "sip.oauth_port", wantMessage: "out of range 1024-49151"},
		{name: "sip ports equal", edit: func(s string) string {
			return strings.Replace(s, "mra_oauth_port: 5091", "mra_oauth_port: 5090", 1)
		}, wantLine: lineOf("mra_oauth_port: 5091"), wantField: "sip.mra_oauth_port", wantMessage: "must differ"},
		{name: "sip unknown device type", edit: func(s string) string {
			return strings.Replace(s, "device_types: [CSF, BOT, TCT, TAB]", "device_types: [CSF, SEP]", 1)
		}, wantLine: lineOf("device_types: [CSF, BOT, TCT, TAB]"), wantField: "sip.device_types[1]", wantMessage: `got "SEP"`},
		{name: "sip unknown key", edit: func(s string) string {
			return strings.Replace(s, "  tftp_port: 6970", "  tftp_prot: 6970", 1)
		}, wantLine: lineOf("  tftp_port: 6970"), wantField: "sip.tftp_prot", wantMessage: "unknown key"},
		{name: "sip mra client half given", edit: func(s string) string {
			return strings.Replace(s, "  # mra_client: {cert_file: expc1.pem, key_file: expc1.key}", "  mra_client: {cert_file: expc1.pem}", 1)
		}, wantLine: lineOf("  # mra_client: {"), wantField: "sip.mra_client", wantMessage: "want both cert_file and key_file"},
		{name: "sip mra client unreadable", edit: func(s string) string {
			return strings.Replace(s, "  # mra_client: {cert_file: expc1.pem, key_file: expc1.key}", "  mra_client: {cert_file: expc1.pem, key_file: expc1.key}", 1)
		}, wantLine: lineOf("  # mra_client: {"), wantField: "sip.mra_client.cert_file", wantMessage: "unreadable"},
		{name: "sip rfc8898 authz server not https", edit: func(s string) string {
			return strings.Replace(s, `  # rfc8898: {registrar: "sip.example.com:5061", trusted_authz_servers: ["https://as.example.com/"]}`,
				`  rfc8898: {registrar: "sip.example.com:5061", trusted_authz_servers: ["http://as.example.com/"]}`, 1)
		}, wantLine: lineOf("  # rfc8898: {"), wantField: "sip.rfc8898.trusted_authz_servers[0]", wantMessage: "want an https URL"},
		{name: "user device type", edit: func(s string) string {
			return strings.Replace(s, "    devices: [CSFBOB]\n", "    devices: [CSFBOB]\n    device_types: [PC]\n", 1)
		}, wantLine: lineOf("    devices: [CSFBOB]\n") + 1, wantField: "users[1].device_types[0]", wantMessage: `got "PC"`},
		{name: "not yaml", edit: func(string) string { return "name: [unclosed\n" }, wantLine: 1, wantField: "(syntax)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := string(base)
			if tc.edit != nil {
				data = tc.edit(data)
			}
			e := tc.env
			if e == nil {
				e = fullEnv
			}
			if tc.wantLine == -1 { // the faults: line the edit appended, after "fakes:"
				tc.wantLine = strings.Count(string(base), "\n") + 2
			}
			dir := t.TempDir()
			ca, _ := pki.NewCA("t")
			os.WriteFile(filepath.Join(dir, "lab-example.ca.pem"), ca.CertPEM, 0o644)
			p := filepath.Join(dir, "site.yaml")
			os.WriteFile(p, []byte(data), 0o644)
			_, err := target.LoadFile(p, e)
			if !errors.Is(err, target.ErrConfig) {
				t.Fatalf("want a configuration error, got %v", err)
			}
			var le *target.LoadError
			if !errors.As(err, &le) {
				t.Fatalf("want *LoadError, got %T %v", err, err)
			}
			var found bool
			for _, fe := range le.Errs {
				if fe.File == p && fe.Line == tc.wantLine && fe.Field == tc.wantField && strings.Contains(fe.Msg, tc.wantMessage) {
					found = true
				}
			}
			if !found {
				t.Fatalf("want %s:%d: field %s: …%s…, got:\n%v", p, tc.wantLine, tc.wantField, tc.wantMessage, err)
			}
			if !strings.Contains(err.Error(), p+":") {
				t.Errorf("message does not start with the file name: %v", err)
			}
		})
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	_, err := target.Load("t.yaml", []byte("domains:\n  services: example.com\nvantage:\n  inside: {resolver: 'x'}\n"), env(nil))
	var le *target.LoadError
	if !errors.As(err, &le) || len(le.Errs) < 4 {
		t.Fatalf("want several problems at once, got %v", err)
	}
}

// TestLoadReportsTypeAndValueErrorsTogether: an unknown key does not hide a
// bad port further down.
func TestLoadReportsTypeAndValueErrorsTogether(t *testing.T) {
	_, err := target.Load("t.yaml", []byte("kind: embedded\nbogus: 1\nlimits:\n  rps: -1\n"), env(nil))
	var le *target.LoadError
	if !errors.As(err, &le) || len(le.Errs) != 2 || le.Errs[0].Field != "bogus" || le.Errs[1].Field != "limits.rps" {
		t.Fatalf("want the unknown key and the negative rps, got %v", err)
	}
}

func TestEmbeddedKindNeedsNothingElse(t *testing.T) {
	s, err := target.Load("e.yaml", []byte("kind: embedded\nfakes:\n  faults: [dns-tcp-refused]\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if s.Kind != target.KindEmbedded || len(s.Fakes.Faults) != 1 {
		t.Fatalf("got %+v", s)
	}
}

// BenchmarkLoadManyErrors: a target file of nearly 1 MiB with about
// 40,000 errors is rejected in one pass (positions are indexed once, not
// searched per error). Run with -bench LoadManyErrors; the README quotes it.
func BenchmarkLoadManyErrors(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("domains:\n  services: example.com\nusers:\n")
	for i := 0; sb.Len() < 1<<20-200; i++ {
		fmt.Fprintf(&sb, "  - {username: u%d, email: bad%d, home_cluster: none}\n", i, i)
	}
	data := []byte(sb.String())
	b.ReportMetric(float64(len(data)), "bytes")
	for b.Loop() {
		_, err := target.Load("big.yaml", data, env(nil))
		var le *target.LoadError
		if !errors.As(err, &le) || len(le.Errs) < 40000 {
			b.Fatalf("want over 40,000 errors, got %d", len(le.Errs))
		}
	}
}

// TestFIFOIsRefusedAtOnce: a FIFO named as the target file is refused
// before it is opened (opening it would block until a writer came).
func TestFIFOIsRefusedAtOnce(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "site.yaml")
	if err := mkfifo(fifo); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	_, err := target.LoadFile(fifo, env(nil))
	if !errors.Is(err, target.ErrConfig) || !strings.Contains(err.Error(), fifo+": not a regular file") {
		t.Fatalf("want %s: not a regular file, got %v", fifo, err)
	}
}
