package devcfg

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"example.com/cutover/harness/httpx"
)

func TestParseTestdata(t *testing.T) {
	for _, tc := range []struct {
		file  string
		want  Config
		ready bool
		err   bool
	}{
		{file: "tn215572.cnf.xml", ready: true, want: Config{Device: "CSFrado", OAuthMode: 1, HasOAuthMode: true, Nodes: []Node{
			{Name: "10.10.10.1", Description: "ccm12pub", SIPPort: 5060, SecuredPort: 5061, OAuthPort: 5090, MRAOAuthPort: 5091}}}},
		{file: "two-nodes.cnf.xml", ready: true, want: Config{Device: "CSFrado", OAuthMode: 1, HasOAuthMode: true, Nodes: []Node{
			{Name: "ucm1.example.com", Description: "ucm1", SIPPort: 5060, SecuredPort: 5061, OAuthPort: 5090, MRAOAuthPort: 5091},
			{Name: "ucm2.example.com", Description: "ucm2", SIPPort: 5060, SecuredPort: 5061, OAuthPort: 5190, MRAOAuthPort: 5191}}}},
		{file: "mode-off.cnf.xml", want: Config{Device: "CSFrado", OAuthMode: 0, HasOAuthMode: true, Nodes: []Node{
			{Name: "ucm1.example.com", SIPPort: 5060, SecuredPort: 5061, OAuthPort: 5090, MRAOAuthPort: 5091}}}},
		{file: "no-mra-port.cnf.xml", want: Config{Device: "CSFrado", OAuthMode: 1, HasOAuthMode: true, Nodes: []Node{
			{Name: "ucm1.example.com", SIPPort: 5060, SecuredPort: 5061, OAuthPort: 5090}}}},
		{file: "pre-12.5.cnf.xml", want: Config{Device: "CSFrado", Nodes: []Node{
			{Name: "ucm1.example.com", SIPPort: 5060, SecuredPort: 5061}}}},
		{file: "bad-port.cnf.xml", err: true},
		{file: "bad-root.cnf.xml", err: true},
		{file: "bad-mode.cnf.xml", err: true},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Parse("CSFrado", b)
			if tc.err {
				if !errors.Is(err, ErrParse) {
					t.Fatalf("Parse error %v, want ErrParse", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
			if err := got.CheckOAuth(); (err == nil) != tc.ready {
				t.Errorf("CheckOAuth = %v, want ready %v", err, tc.ready)
			} else if err != nil && !errors.Is(err, ErrNotOAuth) {
				t.Errorf("CheckOAuth error %v does not wrap ErrNotOAuth", err)
			}
		})
	}
}

func TestCheckOAuthReasons(t *testing.T) {
	c := Config{Device: "BOTALICE", OAuthMode: 0, HasOAuthMode: true, Nodes: []Node{{Name: "ucm1", OAuthPort: 80, MRAOAuthPort: 0}}}
	err := c.CheckOAuth()
	for _, want := range []string{"got 0", "outside 1024–49151", "no <sipMRAOAuthPort>", "BOTALICE"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckOAuth = %v, want %q", err, want)
		}
	}
}

func TestServerAndFetch(t *testing.T) {
	ctx := context.Background()
	sv, err := Start(ctx, "",
		WithNodes(DefaultNode("ucm1.example.com"), DefaultNode("ucm2.example.com")),
		WithDevices("CSFalice", "BOTALICE", "TCTALICE", "TABALICE"),
		OAuthModeOff("TABALICE"), OmitMRAOAuthPort("ucm2.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	defer sv.Close()
	base := "http://" + sv.Addr()
	hc := &http.Client{}

	cfg, ev, err := Fetch(ctx, hc, base, "CSFalice")
	if err != nil {
		t.Fatalf("Fetch: %v\n%s", err, ev)
	}
	if len(cfg.Nodes) != 2 || cfg.OAuthMode != 1 || cfg.Nodes[1].MRAOAuthPort != 0 || ev.Status != 200 {
		t.Errorf("config %+v", cfg)
	}
	if err := cfg.CheckOAuth(); err == nil || !strings.Contains(err.Error(), "ucm2.example.com has no <sipMRAOAuthPort>") {
		t.Errorf("CheckOAuth = %v", err)
	}
	cfg, _, _ = Fetch(ctx, hc, base, "TABALICE")
	if cfg.OAuthMode != 0 {
		t.Errorf("TABALICE mode %d, want 0 (fault)", cfg.OAuthMode)
	}
	_, ev, err = Fetch(ctx, hc, base, "CSFcarol")
	if !errors.Is(err, ErrStatus) || ev.Status != 404 {
		t.Errorf("unknown device: %v %d", err, ev.Status)
	}
	if err := sv.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := sv.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestHandlerUnexpected(t *testing.T) {
	s, err := New(WithDevices("CSFalice"))
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{h: http.Header{}}
	r, _ := http.NewRequest(http.MethodGet, "http://ucm1.example.com:6970/SEPCAFE.cnf.xml.sgn", nil)
	s.ServeHTTP(rec, r)
	if rec.code != 404 || !errors.Is(s.Close(), ErrUnexpected) {
		t.Errorf("code %d, Close %v", rec.code, s.Close())
	}
	if got := s.Received(); len(got) != 1 || got[0].Path != "/SEPCAFE.cnf.xml.sgn" {
		t.Errorf("Received %+v", got)
	}
}

func TestStatusFault(t *testing.T) {
	s, _ := New(WithDevices("CSFalice"), WithStatus("/CSF", 503))
	rec := &recorder{h: http.Header{}}
	r, _ := http.NewRequest(http.MethodGet, "http://ucm1.example.com:6970/CSFalice.cnf.xml", nil)
	s.ServeHTTP(rec, r)
	if rec.code != 503 {
		t.Errorf("code %d", rec.code)
	}
}

func TestFetchCapped(t *testing.T) {
	big := strings.Repeat("<x/>", httpx.MaxBody/4+10)
	if _, err := Parse("d", []byte("<device>"+big+"</device>")); !errors.Is(err, ErrParse) {
		t.Errorf("oversized: %v", err)
	}
}

type recorder struct {
	h    http.Header
	code int
}

func (r *recorder) Header() http.Header { return r.h }
func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = 200
	}
	return len(b), nil
}
func (r *recorder) WriteHeader(c int) { r.code = c }

// FuzzParse: never panics; errors wrap ErrParse; what parses marshals to
// a document that parses to the same Config.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"tn215572.cnf.xml", "two-nodes.cnf.xml", "no-mra-port.cnf.xml"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := Parse("d", b)
		if err != nil {
			if !errors.Is(err, ErrParse) {
				t.Fatalf("error %v does not wrap ErrParse", err)
			}
			return
		}
		_ = cfg.CheckOAuth()
		out, err := Marshal(cfg)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		again, err := Parse("d", out)
		if err != nil {
			t.Fatalf("marshalled config does not parse: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(again, cfg) {
			t.Fatalf("round trip:\n%+v\n%+v", cfg, again)
		}
	})
}
