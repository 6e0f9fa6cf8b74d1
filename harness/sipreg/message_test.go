package sipreg

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
)

// tn215572Register is the REGISTER of Cisco TN215572's on-premises log
// (token shortened).
const tn215572Register = "REGISTER sip:10.10.10.1 SIP/2.0\r\n" +
	"Via: SIP/2.0/TLS 10.10.10.10:62162;branch=z9hG4bK00004a82\r\n" +
	"From: <sip:1010@10.10.10.1>;tag=882323451234089000003bdd-00005eff\r\n" +
	"To: <sip:1010@10.10.10.1>\r\n" +
	"Call-ID: 88232345-12340017-00001c0b-00000cfa@10.10.10.10\r\n" +
	"Max-Forwards: 70\r\n" +
	"Date: Mon, 30 Mar 2020 11:03:19 GMT\r\n" +
	"CSeq: 2271 REGISTER\r\n" +
	"User-Agent: Cisco-CSF\r\n" +
	"Contact: <sip:a8ae9f92-4b07-a0d7-d701-29320aed1e2e@10.10.10.10:62162;transport=tls>;+sip.instance=\"<urn:uuid:00000000-0000-0000-0000-882323451234>\";+u.sip!devicename.ccm.cisco.com=\"CSFrado\";+u.sip!model.ccm.cisco.com=\"503\";video\r\n" +
	"Proxy-Authorization: Bearer token=\"eyJhbGciOiJIUzI1NiJ9.e30.sig\"\r\n" +
	"Expires: 3600\r\n" +
	"Content-Length: 0\r\n\r\n"

// tn215572Challenge is UCM's 407 from the same log.
const tn215572Challenge = "SIP/2.0 407 Proxy Authentication Required\r\n" +
	"Via: SIP/2.0/TLS 10.10.10.10:62162;branch=z9hG4bK00001188\r\n" +
	"From: <sip:1010@10.10.10.1>;tag=882323451234089000003bdd-00005eff\r\n" +
	"To: <sip:1010@10.10.10.1>;tag=441122775\r\n" +
	"Date: Mon, 30 Mar 2020 11:03:31 GMT\r\n" +
	"Call-ID: 88232345-12340017-00001c0b-00000cfa@10.10.10.10\r\n" +
	"Server: Cisco-CUCM12.5\r\n" +
	"CSeq: 2270 REGISTER\r\n" +
	"Proxy-Authenticate: Bearer realm=\"ccmsipline\"\r\n" +
	"Content-Length: 0\r\n\r\n"

// tn215572Mismatch is the 403 of TN215572 Scenario 1.
const tn215572Mismatch = "SIP/2.0 403 Forbidden\r\n" +
	"Via: SIP/2.0/TLS 10.5.10.121:50347;branch=z9hG4bK00005163\r\n" +
	"From: <sip:2000@UCM2-PUB>;tag=005056867e66010a00006698-00002a32\r\n" +
	"To: <sip:2000@UCM2-PUB>;tag=1946377502\r\n" +
	"Date: Fri, 03 Aug 2018 05:00:18 GMT\r\n" +
	"Call-ID: 00505686-7e660005-0000216b-0000366f@10.5.10.121\r\n" +
	"Server: Cisco-CUCM12.5\r\n" +
	"CSeq: 363 REGISTER\r\n" +
	"Retry-After: 35\r\n" +
	"Warning: 399 UCM2-PUB \"SIP OAuth Registration port Mismatch\"\r\n" +
	"Content-Length: 0\r\n\r\n"

func TestParseMessageSamples(t *testing.T) {
	for _, tc := range []struct {
		name, in  string
		check     func(*Message) string
		wantError bool
	}{
		{name: "TN215572 REGISTER", in: tn215572Register, check: func(m *Message) string {
			if m.Method != "REGISTER" || m.RequestURI != "sip:10.10.10.1" || m.Get("user-agent") != "Cisco-CSF" {
				return "start line or User-Agent"
			}
			if n, meth, err := m.CSeq(); err != nil || n != 2271 || meth != "REGISTER" {
				return "CSeq"
			}
			return ""
		}},
		{name: "TN215572 407", in: tn215572Challenge, check: func(m *Message) string {
			if m.StatusCode != 407 || m.Reason != "Proxy Authentication Required" || m.Get("Server") != "Cisco-CUCM12.5" {
				return "status line or Server"
			}
			return ""
		}},
		{name: "TN215572 403", in: tn215572Mismatch, check: func(m *Message) string {
			if m.StatusCode != 403 || m.Get("Retry-After") != "35" || !strings.Contains(m.Get("Warning"), "port Mismatch") {
				return "403 headers"
			}
			return ""
		}},
		{name: "compact forms and folding", in: "SIP/2.0 200 OK\r\nv: SIP/2.0/TLS a;branch=z9hG4bK1\r\nf: <sip:a@b>;tag=1\r\nt: <sip:a@b>\r\ni: x\r\nCSeq: 1\r\n REGISTER\r\nm: <sip:a@c>;expires=60\r\nl: 3\r\n\r\nabc", check: func(m *Message) string {
			if m.Get("Call-ID") != "x" || m.Get("Contact") != "<sip:a@c>;expires=60" || string(m.Body) != "abc" {
				return "compact forms"
			}
			if n, meth, err := m.CSeq(); err != nil || n != 1 || meth != "REGISTER" {
				return "folded CSeq " + m.Get("CSeq")
			}
			return ""
		}},
		{name: "keepalive CRLFs before", in: "\r\n\r\nSIP/2.0 100 Trying\r\nCSeq: 1 REGISTER\r\n\r\n", check: func(m *Message) string {
			if m.StatusCode != 100 {
				return "status"
			}
			return ""
		}},
		{name: "LF only", in: "SIP/2.0 200 OK\nCSeq: 1 REGISTER\n\n", check: func(m *Message) string { return "" }},
		{name: "bad start line", in: "SIP/2.0 Proxy Authentication Required 407\r\n\r\n", wantError: true},
		{name: "bad version", in: "REGISTER sip:a SIP/3.0\r\n\r\n", wantError: true},
		{name: "status 99", in: "SIP/2.0 099 Low\r\n\r\n", wantError: true},
		{name: "header without colon", in: "SIP/2.0 407 X\r\nProxy-Authenticate Bearer realm=\"x\"\r\n\r\n", wantError: true},
		{name: "NUL in header", in: "SIP/2.0 200 OK\r\nX: a\x00b\r\n\r\n", wantError: true},
		{name: "continuation first", in: "SIP/2.0 200 OK\r\n folded\r\n\r\n", wantError: true},
		{name: "bad Content-Length", in: "SIP/2.0 200 OK\r\nContent-Length: -1\r\n\r\n", wantError: true},
		{name: "truncated body", in: "SIP/2.0 200 OK\r\nContent-Length: 10\r\n\r\nabc", wantError: true},
		{name: "truncated headers", in: "SIP/2.0 200 OK\r\nVia: SIP/2.0/TLS a", wantError: true},
		{name: "trailing bytes", in: "SIP/2.0 200 OK\r\n\r\nextra", wantError: true},
		{name: "64 KiB header", in: "SIP/2.0 407 X\r\nX-Padding: " + strings.Repeat("a", 64<<10) + "\r\n\r\n", wantError: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ParseMessage([]byte(tc.in), Limits{})
			if tc.wantError {
				if err == nil {
					t.Fatalf("ParseMessage(%q) = nil error", clip(tc.in))
				}
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("error %v does not wrap ErrMalformed", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseMessage(%q): %v", clip(tc.in), err)
			}
			if why := tc.check(m); why != "" {
				t.Errorf("%s: wrong %s: %#v", tc.name, why, m)
			}
		})
	}
}

func TestReadMessageLimitsAndErrors(t *testing.T) {
	huge := "SIP/2.0 407 X\r\nX-Padding: " + strings.Repeat("a", 64<<10) + "\r\n\r\n"
	_, err := ReadMessage(bufio.NewReader(strings.NewReader(huge)), Limits{})
	if !errors.Is(err, ErrTooLarge) || !errors.Is(err, ErrMalformed) {
		t.Errorf("64 KiB header: got %v, want ErrTooLarge and ErrMalformed", err)
	}
	body := "SIP/2.0 200 OK\r\nContent-Length: 70000\r\n\r\n"
	if _, err := ReadMessage(bufio.NewReader(strings.NewReader(body)), Limits{}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("70000-byte body: got %v, want ErrTooLarge", err)
	}
	if _, err := ReadMessage(bufio.NewReader(strings.NewReader("")), Limits{}); err != io.EOF {
		t.Errorf("empty stream: got %v, want io.EOF", err)
	}
	// Two messages back to back on one stream.
	br := bufio.NewReader(strings.NewReader(tn215572Challenge + tn215572Mismatch))
	for _, want := range []int{407, 403} {
		m, err := ReadMessage(br, Limits{})
		if err != nil || m.StatusCode != want {
			t.Fatalf("stream: got %v %v, want %d", m, err, want)
		}
	}
}

func TestRedacted(t *testing.T) {
	m, err := ParseMessage([]byte(tn215572Register), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	r := m.Redacted()
	if strings.Contains(r, "eyJ") || !strings.Contains(r, "Proxy-Authorization: Bearer [redacted]") {
		t.Errorf("Redacted leaks or loses the scheme:\n%s", r)
	}
	if !strings.Contains(m.String(), "eyJ") {
		t.Error("String must keep the credentials (it is what goes on the wire)")
	}
}

func TestReply(t *testing.T) {
	req, _ := ParseMessage([]byte(tn215572Register), Limits{})
	res := Reply(req, 200, "OK")
	res.SetBody(nil)
	m, err := ParseMessage(res.Bytes(), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Get("Call-ID") != req.Get("Call-ID") || m.Get("CSeq") != req.Get("CSeq") || !strings.Contains(m.Get("To"), ";tag=") {
		t.Errorf("Reply lost a header: %s", m)
	}
}
