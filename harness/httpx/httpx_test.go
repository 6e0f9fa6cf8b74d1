package httpx

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestReadCapped(t *testing.T) {
	for _, tc := range []struct {
		name    string
		n, max  int
		wantErr bool
	}{
		{"under", 10, 11, false},
		{"exact", 11, 11, false},
		{"over", 12, 11, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := ReadCapped(bytes.NewReader(make([]byte, tc.n)), int64(tc.max))
			if gotErr := errors.Is(err, ErrTooLarge); gotErr != tc.wantErr {
				t.Fatalf("ReadCapped(%d, %d) err = %v", tc.n, tc.max, err)
			}
			if len(b) > tc.max {
				t.Errorf("read %d bytes, cap %d", len(b), tc.max)
			}
		})
	}
}

func TestCheckXML(t *testing.T) {
	for _, tc := range []struct {
		ct string
		ok bool
	}{
		{"application/xml", true},
		{"application/xml; charset=UTF-8", true},
		{"text/xml", true},
		{"application/soap+xml", true},
		{"text/html", false},
		{"", false},
		{"application/json", false},
		{";;;", false},
	} {
		if err := CheckXML(tc.ct); (err == nil) != tc.ok {
			t.Errorf("CheckXML(%q) = %v", tc.ct, err)
		} else if err != nil && (!errors.Is(err, ErrContentType) || !strings.Contains(err.Error(), "unexpected content type")) {
			t.Errorf("CheckXML(%q) = %v, want ErrContentType", tc.ct, err)
		}
	}
}

func TestDecodeXML(t *testing.T) {
	type doc struct {
		A string `xml:"a"`
	}
	for _, tc := range []struct {
		name, in, want string
		err            error
	}{
		{"ok", `<?xml version="1.0"?><doc><a>x</a></doc>`, "x", nil},
		{"wrong root", `<other/>`, "", ErrRoot},
		{"empty", ``, "", ErrRoot},
		{"trailing element", `<doc/><doc/>`, "", nil},
		{"trailing text", `<doc/>junk`, "", nil},
		{"unclosed", `<doc><a>x</doc>`, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d doc
			err := DecodeXML([]byte(tc.in), "doc", &d)
			if tc.want != "" {
				if err != nil || d.A != tc.want {
					t.Fatalf("DecodeXML(%q) = %+v, %v", tc.in, d, err)
				}
				return
			}
			if err == nil || (tc.err != nil && !errors.Is(err, tc.err)) {
				t.Fatalf("DecodeXML(%q) err = %v, want %v", tc.in, err, tc.err)
			}
		})
	}
	if err := DecodeXML(make([]byte, MaxBody+1), "doc", new(doc)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversize: %v", err)
	}
}

func TestGetAndEvidence(t *testing.T) {
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			w.Header().Set("WWW-Authenticate", `Basic realm="R"`)
			w.Header().Set("Server", "fake")
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Set-Cookie", "JSESSIONID=secret")
		w.Header().Set("Content-Type", "text/xml")
		w.Write([]byte("<doc/>"))
	}))
	defer ts.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()

	_, ev, err := Get(ctx, ts.Client(), ts.URL+"/x", Auth{})
	var se *StatusError
	if !errors.As(err, &se) || !errors.Is(err, ErrStatus) || se.Code != 401 || se.WWWAuthenticate != `Basic realm="R"` || se.Server != "fake" {
		t.Fatalf("err = %#v", err)
	}
	if !strings.Contains(se.Error(), "401") || ev.Err == "" {
		t.Errorf("error %q evidence %+v", se.Error(), ev)
	}

	body, ev, err := Get(ctx, ts.Client(), ts.URL+"/x", Auth{Username: "u", Password: "p"})
	if err != nil || string(body) != "<doc/>" {
		t.Fatalf("Get = %q, %v", body, err)
	}
	s := ev.String()
	for _, want := range []string{"GET " + ts.URL + "/x", "status: 200 OK", "Set-Cookie: [redacted]", "<doc/>"} {
		if !strings.Contains(s, want) {
			t.Errorf("evidence lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "secret") || ev.PeerCert == nil {
		t.Errorf("evidence leaks or lacks the peer cert:\n%s", s)
	}

	if _, _, err := Get(ctx, ts.Client(), ts.URL+"/x", Auth{Bearer: "tok"}); err != nil {
		t.Errorf("bearer: %v", err)
	}
	if _, ev, err := Get(ctx, ts.Client(), "://bad", Auth{}); err == nil || ev.Err == "" {
		t.Errorf("bad url: %v", err)
	}
}

func TestRedact(t *testing.T) {
	h := http.Header{"Authorization": {"Basic x"}, "Cookie": {"a=b"}, "X-Ok": {"1"}}
	r := Redact(h)
	if r.Get("Authorization") != "[redacted]" || r.Get("Cookie") != "[redacted]" || r.Get("X-Ok") != "1" {
		t.Errorf("Redact = %v", r)
	}
	if h.Get("Authorization") != "Basic x" {
		t.Error("Redact changed its input")
	}
}

func TestRecorder(t *testing.T) {
	var rec Recorder
	req := httptest.NewRequest("GET", "/cucm-uds/version?x=1", nil)
	req.Header.Set("Authorization", "Basic c2VjcmV0")
	rec.Record(req)
	if got := rec.Received(); len(got) != 1 || got[0].Path != "/cucm-uds/version" || got[0].RawQuery != "x=1" || !got[0].HasAuth {
		t.Fatalf("Received() = %+v", got)
	}
	sentinel := Sentinel("fake: unexpected requests")
	if err := rec.Err(sentinel); err != nil {
		t.Fatalf("no unexpected request yet, got %v", err)
	}
	rec.Unexpected(httptest.NewRequest("POST", "/nope", nil))
	if err := rec.Err(sentinel); !errors.Is(err, sentinel) || !strings.Contains(err.Error(), "POST /nope") {
		t.Fatalf("Err() = %v", err)
	}
	if code, ok := MatchStatus([]StatusRule{{"/a", 503}, {"/", 500}}, "/a/b"); !ok || code != 503 {
		t.Fatalf("MatchStatus = %d %v", code, ok)
	}
	if _, ok := MatchStatus(nil, "/a"); ok {
		t.Fatal("MatchStatus with no rules matched")
	}
}

// fakeCfg is a fake's config as the fakes write it: httpx.Fake embedded.
type fakeCfg struct {
	Fake
}

type fakeOpt func(*fakeCfg) error

func TestConfigure(t *testing.T) {
	ctx := context.Background()
	cfg := fakeCfg{Fake: Fake{Addr: "127.0.0.1:0"}}
	if err := Configure(ctx, "demo", &cfg, []fakeOpt{func(c *fakeCfg) error { return c.SetHostname("a.example.com") }}); err != nil {
		t.Fatalf("a handler needs no certificate: got %v", err)
	}
	if err := cfg.RequireCert("demo"); err == nil || err.Error() != "demo: option: WithCertificate is required" {
		t.Fatalf("no certificate: got %v", err)
	}
	err := Configure(ctx, "demo", &cfg, []fakeOpt{func(c *fakeCfg) error { return c.SetHostname("bad/name") }})
	if err == nil || !strings.HasPrefix(err.Error(), "demo: option: httpx: bad hostname") {
		t.Fatalf("bad hostname: got %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := Configure(cctx, "demo", &cfg, []fakeOpt(nil)); !errors.Is(err, context.Canceled) {
		t.Fatalf("done context: got %v", err)
	}
	if err := cfg.SetCertificate(tls.Certificate{}); err == nil {
		t.Fatal("empty certificate accepted")
	}
	if err := cfg.SetAddr(""); err == nil {
		t.Fatal("empty address accepted")
	}
}
