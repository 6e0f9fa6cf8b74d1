package xmpps2s

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"example.com/cutover/harness/dnsclient"
	"example.com/cutover/harness/dnsfake"
	"example.com/cutover/harness/pki"
)

// TestInteropProsodyXFED runs the XFED checks through the CLI in lab mode
// against Prosody (scripts/interop-prosody.sh, mode xfed): Prosody is the
// org's federation host for example.com before the cutover (on
// PROSODY_ADDR:5269, alice answering over c2s), this test is the partner
// example.net (our server on PARTNER_ADDR:5269 demanding authenticated TLS,
// and its federation test agent over HTTPS), a dnsfake serves both domains
// to Prosody's libunbound and to the suite, and `cutover run --target` runs
// @xmpp against the lab target file it writes.
//
//	CUTOVER_INTEROP_XFED=dir            the external/ certificates live here
//	CUTOVER_INTEROP_PROSODY_ADDR=ip     Prosody's s2s address (port 5269)
//	CUTOVER_INTEROP_PARTNER_ADDR=ip     our partner's s2s address (port 5269)
//	CUTOVER_INTEROP_DNS, CUTOVER_INTEROP_PROSODY_C2S, CUTOVER_INTEROP_PASSWORD as TestInteropProsody
func TestInteropProsodyXFED(t *testing.T) {
	dir := os.Getenv("CUTOVER_INTEROP_XFED")
	if dir == "" {
		t.Skip("the XFED interop runs under scripts/interop-prosody.sh (CUTOVER_INTEROP_XFED=dir)")
	}
	d := filepath.Join(dir, "external")
	prosodyIP, partnerIP := interopEnv(t, "CUTOVER_INTEROP_PROSODY_ADDR"), interopEnv(t, "CUTOVER_INTEROP_PARTNER_ADDR")
	dnsAddr := interopEnv(t, "CUTOVER_INTEROP_DNS")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	agentLn, err := net.Listen("tcp", net.JoinHostPort(partnerIP, "0"))
	if err != nil {
		t.Fatal(err)
	}
	agentPort := agentLn.Addr().(*net.TCPAddr).Port
	zone := fmt.Sprintf(`example.com. 3600 IN SOA ns.example.com. hostmaster.example.com. 1 7200 3600 1209600 300
_xmpp-server._tcp.example.com. 300 IN SRV 10 50 5269 xmpp.example.com.
xmpp.example.com. 300 IN A %s
example.net. 3600 IN SOA ns.example.net. hostmaster.example.net. 1 7200 3600 1209600 300
_xmpp-server._tcp.example.net. 300 IN SRV 10 50 5269 xmpp.example.net.
xmpp.example.net. 300 IN A %s
`, prosodyIP, partnerIP)
	dns, err := dnsfake.Start(ctx, dnsfake.WithAddr(dnsAddr), dnsfake.WithZoneText(zone))
	if err != nil {
		t.Fatal(err)
	}
	defer dns.Close()
	res := dnsclient.New(dns.Addr(), dnsclient.WithTimeout(2*time.Second))

	partnerCert, err := tls.LoadX509KeyPair(filepath.Join(d, "partner.crt"), filepath.Join(d, "partner.key"))
	if err != nil {
		t.Fatal(err)
	}
	partner, err := Start(ctx, WithDomains("example.net"), WithAddr(net.JoinHostPort(partnerIP, "5269")),
		WithCertificate(partnerCert), WithRoots(loadPool(t, filepath.Join(d, "ca.pem"))), WithUsers("carol"),
		RequireAuthenticatedTLS(), WithDialer(loopbackDialer(res)), WithResolver(res), WithTimeout(20*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := partner.Close(); err != nil {
			t.Errorf("partner Close: %v", err)
		}
	}()

	// The agent's HTTPS certificate, from a CA of its own that the lab
	// target trusts (tls.ca_file).
	agentCA, err := pki.NewCA("Interop Agent Root")
	if err != nil {
		t.Fatal(err)
	}
	agentCert, err := agentCA.Issue("xmpp.example.net", pki.WithDNSNames("xmpp.example.net"))
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, filepath.Join(dir, "agent-ca.pem"), &pem.Block{Type: "CERTIFICATE", Bytes: agentCA.Cert.Raw})
	srv := &http.Server{Handler: AgentHandler(partner, 8*time.Second), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(tls.NewListener(agentLn, &tls.Config{Certificates: []tls.Certificate{agentCert}, MinVersion: tls.VersionTLS12}))
	defer srv.Close()

	loginProsody(t, ctx, interopEnv(t, "CUTOVER_INTEROP_PROSODY_C2S"), interopEnv(t, "CUTOVER_INTEROP_PASSWORD"), loadPool(t, filepath.Join(d, "c2s-ca.pem")))

	targetFile := filepath.Join(dir, "xfed-lab.yaml")
	lab := fmt.Sprintf(`# written by TestInteropProsodyXFED: Prosody is example.com's federation host
name: prosody interop (XFED)
kind: lab
domains:
  services: example.com
vantage:
  inside: {resolver: "%[1]s"}
  outside: {resolver: "%[1]s"}
ucm:
  - name: ucm-a
    nodes: [ucm1.example.com]
users:
  - username: alice
    email: alice@example.com
    home_cluster: ucm-a
    password_env: CUTOVER_INTEROP_PASSWORD
tls:
  ca_file: agent-ca.pem
limits:
  rps: 0
  timeout: 10s
xmpp:
  cutover: before
  imp_hosts: [xmpp.example.com]
  partners:
    - {domain: example.net, policy: allowed, agent: "https://xmpp.example.net:%[2]d", user: carol, authenticated_tls: true}
`, dns.Addr(), agentPort)
	if err := os.WriteFile(targetFile, []byte(lab), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, "go", "run", "./cmd/cutover", "run", "--target", targetFile, "--tags", "@xmpp", "--json")
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = append(os.Environ(), "CUTOVER_STATE_DIR="+dir)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, runErr := cmd.Output()
	t.Logf("cutover run: %v\n%s", runErr, stderr.String())
	var got struct {
		Checks []struct {
			ID      string `json:"id"`
			Verdict string `json:"verdict"`
			Status  string `json:"status"`
		} `json:"checks"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("cutover run --json: %v\n%s", err, out)
	}
	want := map[string]string{"XFED-08": "not_applicable", "XFED-09": "not_applicable", "XFED-11": "not_applicable"}
	// The script's deliberate breakage (Prosody presenting a certificate
	// for another name) names the checks that must fail then.
	for _, id := range strings.FieldsFunc(os.Getenv("CUTOVER_INTEROP_XFED_WANT_FAIL"), func(r rune) bool { return r == ',' }) {
		want[id] = "fail"
	}
	var line []string
	for _, r := range got.Checks {
		w := want[r.ID]
		if w == "" {
			w = "pass"
		}
		line = append(line, r.ID+"="+r.Verdict)
		if r.Verdict != w {
			t.Errorf("%s: want %s, got %s (%s)", r.ID, w, r.Verdict, r.Status)
		}
	}
	if len(got.Checks) != 12 {
		t.Errorf("want the 12 XFED checks, got %d", len(got.Checks))
	}
	var exit *exec.ExitError
	failing := os.Getenv("CUTOVER_INTEROP_XFED_WANT_FAIL") != ""
	if runErr != nil && !(failing && errors.As(runErr, &exit) && exit.ExitCode() == 1) {
		t.Errorf("cutover run: %v", runErr)
	}
	if failing && runErr == nil {
		t.Error("cutover run passed with a broken Prosody")
	}
	fmt.Fprintf(os.Stderr, "INTEROP xfed: cutover run --target %s --tags @xmpp: %s\n", filepath.Base(targetFile), strings.Join(line, " "))
}
