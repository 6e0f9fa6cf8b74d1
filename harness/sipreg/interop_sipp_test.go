package sipreg_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"example.com/cutover/harness/sipreg"
)

// TestInteropSipp has sipp (Debian's sip-tester, an independent SIP
// client built without TLS) register with the fake over its plain TCP and
// UDP ports, for both profiles: with a valid bearer token it gets 200 and
// unregisters; with a bad one it gets the profile's rejection. Run by
// scripts/interop-sipp.sh, which installs sipp and sets
// CUTOVER_INTEROP_SIPP to its path.
func TestInteropSipp(t *testing.T) {
	sipp := os.Getenv("CUTOVER_INTEROP_SIPP")
	if sipp == "" {
		t.Skip("set CUTOVER_INTEROP_SIPP to the sipp binary (scripts/interop-sipp.sh does) to run the sipp interop proof")
	}
	for _, p := range []sipreg.Profile{sipreg.ProfileUCM, sipreg.ProfileRFC8898} {
		for _, network := range []string{"tcp", "udp"} {
			for _, good := range []bool{true, false} {
				name := fmt.Sprintf("%s/%s/good=%v", p, network, good)
				t.Run(name, func(t *testing.T) { runSipp(t, sipp, p, network, good) })
			}
		}
	}
}

func runSipp(t *testing.T, sipp string, p sipreg.Profile, network string, good bool) {
	r := start(t, sipreg.WithProfile(p))
	tok := r.issuer.Mint("alice", r.clock.Now().Add(time.Hour))
	if !good {
		tok = r.issuer.Mint("alice", r.clock.Now().Add(-time.Minute)) // expired
	}
	dir := t.TempDir()
	scen := filepath.Join(dir, "register.xml")
	if err := os.WriteFile(scen, []byte(sippScenario(p, good)), 0o644); err != nil {
		t.Fatal(err)
	}
	authHdr, authVal := "Proxy-Authorization", `Bearer token="`+tok+`"` // UCM's form
	if p == sipreg.ProfileRFC8898 {
		authHdr, authVal = "Authorization", "Bearer "+tok // RFC 6750 §2.1
	}
	transport := map[string]string{"tcp": "t1", "udp": "u1"}[network]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, sipp, r.srv.PlainAddr(network),
		"-sf", scen, "-m", "1", "-t", transport,
		"-i", "127.0.0.1", "-p", strconv.Itoa(freePort(t, network)), "-bind_local",
		"-ci", "127.0.0.1", "-cp", strconv.Itoa(freePort(t, "udp")),
		"-timeout", "20s", "-timeout_error", "-nostdin",
		"-key", "aor_user", "alice", "-key", "device", "CSFalice",
		"-key", "auth_hdr", authHdr, "-key", "auth_val", authVal,
		"-trace_err", "-error_file", filepath.Join(dir, "errors.log"),
		"-trace_msg", "-message_file", filepath.Join(dir, "messages.log"))
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	msgs, _ := os.ReadFile(filepath.Join(dir, "messages.log"))
	errs, _ := os.ReadFile(filepath.Join(dir, "errors.log"))
	if err != nil {
		t.Fatalf("sipp: %v\n%s\nerrors:\n%s\nmessages:\n%s", err, tail(out), errs, tail(msgs))
	}
	got := r.srv.Received()
	var statuses []string
	for _, rq := range got {
		statuses = append(statuses, strconv.Itoa(rq.Status))
		if strings.Contains(rq.Auth, tok) {
			t.Errorf("Received keeps the token: %q", rq.Auth)
		}
	}
	challenge := "407"
	if p == sipreg.ProfileRFC8898 {
		challenge = "401"
	}
	want := challenge + " 200 200"
	if !good {
		want = challenge + " " + challenge
	}
	if s := strings.Join(statuses, " "); s != want {
		t.Errorf("fake answered %s, want %s: %+v", s, want, got)
	}
	if good && got[1].Transport != strings.ToUpper(network) {
		t.Errorf("transport %q", got[1].Transport)
	}
	if !good && !strings.Contains(got[1].Note, "expired") {
		t.Errorf("rejection note %q", got[1].Note)
	}
	if b := r.srv.Bindings(); len(b) != 0 {
		t.Errorf("sipp left bindings: %+v", b)
	}
	t.Logf("sipp %s over %s, token good=%v: fake answered %s", p, network, good, want)
}

// sippScenario is the REGISTER exchange as a sipp scenario: challenge,
// REGISTER with the bearer token ([auth_hdr]: [auth_val]), then 200 and
// Expires: 0, or the profile's rejection carrying error="invalid_token".
func sippScenario(p sipreg.Profile, good bool) string {
	challenge, chHdr, chRe := "407", "Proxy-Authenticate:", `Bearer realm="ccmsipline"`
	if p == sipreg.ProfileRFC8898 {
		challenge, chHdr, chRe = "401", "WWW-Authenticate:", `Bearer realm="[^"]+", scope="[^"]+", authz_server="https://`
	}
	reg := func(cseq int, auth bool, expires int) string {
		a := ""
		if auth {
			a = "[auth_hdr]: [auth_val]\n"
		}
		return fmt.Sprintf(`  <send retrans="500"><![CDATA[
REGISTER sip:ucm1.example.com;transport=[transport] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[aor_user]@ucm1.example.com>;tag=[pid]SIPpTag[call_number]
To: <sip:[aor_user]@ucm1.example.com>
Call-ID: [call_id]
CSeq: %d REGISTER
Contact: <sip:[aor_user]@[local_ip]:[local_port];transport=[transport]>;+sip.instance="<urn:uuid:00000000-0000-0000-0000-00000000sipp>";+u.sip!devicename.ccm.cisco.com="[device]";+u.sip!model.ccm.cisco.com="503"
Max-Forwards: 70
User-Agent: sipp
%sExpires: %d
Content-Length: 0

]]></send>
  <recv response="100" optional="true"/>
`, cseq, a, expires)
	}
	check := func(hdr, re, v string) string {
		return fmt.Sprintf(`<action><ereg regexp=%q search_in="hdr" header=%q check_it="true" assign_to="%s"/><log message="%s [$%s]"/></action>`,
			re, hdr, v, v, v)
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="ISO-8859-1" ?>` + "\n<scenario name=\"SIP OAuth REGISTER\">\n")
	b.WriteString(reg(1, false, 120))
	fmt.Fprintf(&b, "  <recv response=%q>%s</recv>\n", challenge, check(chHdr, chRe, "challenge"))
	b.WriteString(reg(2, true, 120))
	if good {
		fmt.Fprintf(&b, "  <recv response=\"200\">%s</recv>\n", check("Contact:", "expires=[0-9]+", "granted"))
		b.WriteString(reg(3, true, 0))
		b.WriteString("  <recv response=\"200\"/>\n")
	} else {
		fmt.Fprintf(&b, "  <recv response=%q>%s</recv>\n", challenge, check(chHdr, `error="invalid_token"`, "refusal"))
	}
	b.WriteString("</scenario>\n")
	return b.String()
}

// freePort asks the kernel for a free loopback port.
func freePort(t *testing.T, network string) int {
	t.Helper()
	if network == "udp" {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		return pc.LocalAddr().(*net.UDPAddr).Port
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func tail(b []byte) string {
	if len(b) > 4000 {
		return "…" + string(b[len(b)-4000:])
	}
	return string(b)
}
