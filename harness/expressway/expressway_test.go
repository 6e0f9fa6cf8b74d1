package expressway

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"example.com/cutover/harness/httpx"
	"example.com/cutover/harness/pki"
)

const base = "https://expe1.example.com:8443"

func good() Credentials { return Credentials{Username: "alice", Password: "s3cret"} }

// clientTo returns an http.Client trusting ca that dials addr whatever
// the URL host says, standing in for the harness resolver.
func clientTo(ca *pki.CA, addr string) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:     &tls.Config{RootCAs: ca.Pool()},
			TLSHandshakeTimeout: 5 * time.Second,
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return d.DialContext(ctx, network, addr)
			},
		},
	}
}

type fixture struct {
	ca  *pki.CA
	srv *Server
	c   *Client
}

func startWith(t *testing.T, leaf []pki.LeafOption, opts ...Option) fixture {
	t.Helper()
	ca, err := pki.NewCA("Edge Test Root")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.Issue("expe1.example.com", leaf...)
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]Option{WithCertificate(cert), WithUsers(User{Username: "alice", Password: "s3cret"})}, opts...)
	srv, err := Start(t.Context(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return fixture{ca: ca, srv: srv, c: NewClient(clientTo(ca, srv.Addr()))}
}

func start(t *testing.T, opts ...Option) fixture {
	t.Helper()
	return startWith(t, []pki.LeafOption{pki.WithDNSNames("expe1.example.com"), pki.WithSRVNames("_collab-edge._tls.example.com")}, opts...)
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestEncodeDomain(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"example.com", "ZXhhbXBsZS5jb20"},             // 11 bytes: one '=' stripped
		{"emea.example.com", "ZW1lYS5leGFtcGxlLmNvbQ"}, // 16 bytes: two stripped
		{"abc.example.com", "YWJjLmV4YW1wbGUuY29t"},    // 15 bytes: none
	} {
		if got := EncodeDomain(tc.in); got != tc.want {
			t.Errorf("EncodeDomain(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := base64.StdEncoding.EncodeToString([]byte(tc.in)); strings.TrimRight(got, "=") != tc.want {
			t.Errorf("%q: padded %q", tc.in, got)
		}
	}
}

func TestGetEdgeConfigHealthy(t *testing.T) {
	f := start(t)
	ec, ev, err := f.c.GetEdgeConfig(ctx(t), base, "example.com", good())
	if err != nil {
		t.Fatalf("GetEdgeConfig: %v\n%s", err, ev)
	}
	want := EdgeConfig{
		Services: []Service{
			{Name: "_cisco-uds", Servers: []Target{{1, 1, 8443, "ucm1.example.com"}}},
			{Name: "_cuplogin", Servers: []Target{{1, 1, 8443, "imp1.example.com"}}},
		},
		SIPEdge:  []HostPort{{"expe1.example.com", 5061}},
		XMPPEdge: []HostPort{{"expe1.example.com", 5222}},
		HTTPEdge: []HostPort{{"expe1.example.com", 8443}},
		TURNEdge: []HostPort{{"expe1.example.com", 3478}},
		SIPRoute: "<sip:expe1.example.com:5061;transport=tls;lr>",
	}
	if !reflect.DeepEqual(ec, want) {
		t.Errorf("EdgeConfig =\n%+v\nwant\n%+v", ec, want)
	}
	if ev.Header.Get("Server") != "CE_C ECS" || ev.Status != 200 {
		t.Errorf("evidence:\n%s", ev)
	}
	r := f.srv.Received()
	if len(r) != 1 || r[0].Path != "/ZXhhbXBsZS5jb20/get_edge_config" || !r[0].HasAuth ||
		r[0].RawQuery != "service_name=_cisco-uds&service_name=_cuplogin" {
		t.Errorf("Received = %+v", r)
	}
	if s, ok := ec.Service("_cisco-uds"); !ok || len(s.Servers) != 1 {
		t.Errorf("Service(_cisco-uds) = %+v, %v", s, ok)
	}
	if _, ok := ec.Service("_cisco-phone-tftp"); ok {
		t.Error("Service found a service not in the response")
	}
}

func TestGetEdgeConfigOptions(t *testing.T) {
	uds := Service{Name: "_cisco-uds", Servers: []Target{{1, 10, 8443, "ucm1.example.com"}, {2, 10, 8443, "ucm2.example.com"}}}
	tests := []struct {
		name     string
		opts     []Option
		domain   string
		creds    Credentials
		services []string
		check    func(t *testing.T, ec EdgeConfig)
		wantCode int
		wantAuth string
	}{
		{name: "WithServices", opts: []Option{WithServices(uds)}, domain: "example.com", creds: good(), services: []string{"_cisco-uds", "_cuplogin"},
			check: func(t *testing.T, ec EdgeConfig) {
				want := []Service{uds, {Name: "_cuplogin", Error: "NameError"}}
				if !reflect.DeepEqual(ec.Services, want) {
					t.Errorf("Services = %+v, want %+v", ec.Services, want)
				}
			}},
		{name: "unrequested service not sent", domain: "example.com", creds: good(), services: []string{"_cisco-uds"},
			check: func(t *testing.T, ec EdgeConfig) {
				if len(ec.Services) != 1 || ec.Services[0].Name != "_cisco-uds" {
					t.Errorf("Services = %+v", ec.Services)
				}
			}},
		{name: "unknown service", domain: "example.com", creds: good(), services: []string{"_cisco-phone-tftp"},
			check: func(t *testing.T, ec EdgeConfig) {
				if s, _ := ec.Service("_cisco-phone-tftp"); s.Error != "NameError" {
					t.Errorf("service = %+v", s)
				}
			}},
		{name: "WithEdge", domain: "example.com", creds: good(), opts: []Option{WithEdge(Edge{
			SIPEdgeServers:  []HostPort{{Address: "expe1.example.com"}, {Address: "expe2.example.com", Port: 5062}},
			HTTPEdgeServers: []HostPort{{Address: "expe2.example.com"}}, SIPRequestRoute: "<sip:route@expe2.example.com;lr>",
			UserUDSServer: "ucm1.example.com"})},
			check: func(t *testing.T, ec EdgeConfig) {
				if want := []HostPort{{"expe1.example.com", 5061}, {"expe2.example.com", 5062}}; !slices.Equal(ec.SIPEdge, want) {
					t.Errorf("SIPEdge = %+v, want %+v", ec.SIPEdge, want)
				}
				if len(ec.XMPPEdge) != 0 || len(ec.TURNEdge) != 0 || !slices.Equal(ec.HTTPEdge, []HostPort{{"expe2.example.com", 8443}}) {
					t.Errorf("edges = %+v", ec)
				}
				if ec.SIPRoute != "<sip:route@expe2.example.com;lr>" || ec.UserUDSServer != "ucm1.example.com" {
					t.Errorf("route %q uds %q", ec.SIPRoute, ec.UserUDSServer)
				}
			}},
		{name: "WithHostname", domain: "example.com", creds: good(), opts: []Option{WithHostname("expe9.example.com")},
			check: func(t *testing.T, ec EdgeConfig) {
				if len(ec.SIPEdge) != 1 || ec.SIPEdge[0].Address != "expe9.example.com" {
					t.Errorf("SIPEdge = %+v", ec.SIPEdge)
				}
			}},
		{name: "OmitService", opts: []Option{OmitService("_cisco-uds")}, domain: "example.com", creds: good(),
			check: func(t *testing.T, ec EdgeConfig) {
				if s, _ := ec.Service("_cisco-uds"); s.Error != "NameError" || len(s.Servers) != 0 {
					t.Errorf("_cisco-uds = %+v, want NameError", s)
				}
				if s, _ := ec.Service("_cuplogin"); s.Error != "" {
					t.Errorf("_cuplogin = %+v", s)
				}
			}},
		{name: "WithDomains second domain", opts: []Option{WithDomains("example.com", "emea.example.com")}, domain: "emea.example.com", creds: good(),
			check: func(t *testing.T, ec EdgeConfig) {}},
		{name: "unknown domain", domain: "example.net", creds: good(), wantCode: 404},
		{name: "domain case matters to base64", domain: "Example.com", creds: good(), wantCode: 404},
		{name: "bad password", domain: "example.com", creds: Credentials{"alice", "nope"}, wantCode: 401, wantAuth: `Basic realm="Cisco-Edge"`},
		{name: "no credentials", domain: "example.com", wantCode: 401, wantAuth: `Basic realm="Cisco-Edge"`},
		{name: "WithRealm", opts: []Option{WithRealm("Edge2")}, domain: "example.com", wantCode: 401, wantAuth: `Basic realm="Edge2"`},
		{name: "AcceptAnyCredentials", opts: []Option{AcceptAnyCredentials()}, domain: "example.com", creds: Credentials{"mallory", "x"},
			check: func(t *testing.T, ec EdgeConfig) {
				if _, ok := ec.Service("_cisco-uds"); !ok {
					t.Error("no _cisco-uds")
				}
			}},
		{name: "PaddedPathOnly", opts: []Option{PaddedPathOnly()}, domain: "example.com", creds: good(), wantCode: 404},
		{name: "PaddedPathOnly, domain without padding", opts: []Option{PaddedPathOnly(), WithDomains("abc.example.com")}, domain: "abc.example.com", creds: good(),
			check: func(t *testing.T, ec EdgeConfig) {}},
		{name: "WithStatus", opts: []Option{WithStatus("/ZXhh", 503)}, domain: "example.com", creds: good(), wantCode: 503},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := start(t, tc.opts...)
			ec, ev, err := f.c.GetEdgeConfig(ctx(t), base, tc.domain, tc.creds, tc.services...)
			if tc.wantCode != 0 {
				var se *StatusError
				if !errors.As(err, &se) || !errors.Is(err, ErrStatus) || se.Code != tc.wantCode {
					t.Fatalf("GetEdgeConfig(%s) err = %v, want status %d", tc.domain, err, tc.wantCode)
				}
				if se.WWWAuthenticate != tc.wantAuth || se.Server != "CE_C ECS" {
					t.Errorf("WWW-Authenticate %q Server %q, want %q, CE_C ECS", se.WWWAuthenticate, se.Server, tc.wantAuth)
				}
				if !strings.HasPrefix(err.Error(), "expressway: get edge config: ") {
					t.Errorf("err = %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("GetEdgeConfig(%s): %v\n%s", tc.domain, err, ev)
			}
			tc.check(t, ec)
		})
	}
}

func TestPaddedPath(t *testing.T) {
	for _, tc := range []struct {
		name       string
		opts       []Option
		seg        string
		wantStatus int
	}{
		{"healthy unpadded", nil, "ZXhhbXBsZS5jb20", 200},
		{"healthy padded", nil, "ZXhhbXBsZS5jb20=", 404},
		{"fault padded", []Option{PaddedPathOnly()}, "ZXhhbXBsZS5jb20=", 200},
		{"fault unpadded", []Option{PaddedPathOnly()}, "ZXhhbXBsZS5jb20", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := start(t, tc.opts...)
			req, _ := http.NewRequestWithContext(ctx(t), "GET", base+"/"+tc.seg+"/get_edge_config?service_name=_cisco-uds", nil)
			req.SetBasicAuth("alice", "s3cret")
			resp, err := clientTo(f.ca, f.srv.Addr()).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("GET /%s/get_edge_config: %d, want %d", tc.seg, resp.StatusCode, tc.wantStatus)
			}
		})
	}
}

func TestEdgeSAN(t *testing.T) {
	tests := []struct {
		name string
		leaf []pki.LeafOption
		want string
	}{
		{"srvname", []pki.LeafOption{pki.WithDNSNames("expe1.example.com"), pki.WithSRVNames("_collab-edge._tls.example.com")}, "SRVName:_collab-edge._tls.example.com"},
		{"collab-edge", []pki.LeafOption{pki.WithDNSNames("expe1.example.com", "collab-edge.example.com")}, "DNS:collab-edge.example.com"},
		{"none", []pki.LeafOption{pki.WithDNSNames("expe1.example.com")}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := startWith(t, tc.leaf)
			_, ev, err := f.c.GetEdgeConfig(ctx(t), base, "example.com", good())
			if err != nil {
				t.Fatal(err)
			}
			if ev.PeerCert == nil {
				t.Fatal("no PeerCert")
			}
			if got := pki.EdgeSANForm(ev.PeerCert, "example.com"); got != tc.want {
				t.Errorf("EdgeSANForm = %q, want %q", got, tc.want)
			}
			if time.Until(ev.PeerCert.NotAfter) < 300*24*time.Hour {
				t.Errorf("NotAfter %v", ev.PeerCert.NotAfter)
			}
			if strings.Contains(ev.String(), "BEGIN CERTIFICATE") {
				t.Error("String prints the certificate")
			}
		})
	}
}

func TestUntrustedEdge(t *testing.T) {
	f := start(t)
	other, _ := pki.NewCA("Other Root")
	_, ev, err := NewClient(clientTo(other, f.srv.Addr())).GetEdgeConfig(ctx(t), base, "example.com", good())
	if err == nil || !strings.Contains(err.Error(), "certificate") || ev.Err == "" {
		t.Errorf("err = %v, want a certificate error", err)
	}
}

func TestUnexpectedRequests(t *testing.T) {
	f := start(t)
	c := clientTo(f.ca, f.srv.Addr())
	for _, tc := range []struct {
		method, path string
		code         int
	}{
		{"POST", "/ZXhhbXBsZS5jb20/get_edge_config", 405},
		{"GET", "/ZXhhbXBsZS5jb20/authorize", 404},
	} {
		req, _ := http.NewRequestWithContext(ctx(t), tc.method, base+tc.path, nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.code || resp.Header.Get("Server") != "CE_C ECS" {
			t.Errorf("%s %s: %d Server %q", tc.method, tc.path, resp.StatusCode, resp.Header.Get("Server"))
		}
	}
	err := f.srv.Close()
	if !errors.Is(err, ErrUnexpected) || !strings.Contains(err.Error(), "GET /ZXhhbXBsZS5jb20/authorize") {
		t.Errorf("Close = %v", err)
	}
	if err2 := f.srv.Close(); err2 == nil {
		t.Error("second Close lost the error")
	}
}

func TestStartErrors(t *testing.T) {
	ca, _ := pki.NewCA("x")
	cert, _ := ca.Issue("expe1.example.com")
	for _, tc := range []struct {
		name string
		opts []Option
	}{
		{"no certificate", nil},
		{"bad status", []Option{WithCertificate(cert), WithStatus("/", 1000)}},
		{"empty domain", []Option{WithCertificate(cert), WithDomains("")}},
		{"empty service", []Option{WithCertificate(cert), WithServices(Service{})}},
		{"bad addr", []Option{WithCertificate(cert), WithAddr("127.0.0.1:-1")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Start(t.Context(), tc.opts...)
			if err == nil {
				s.Close()
				t.Fatal("Start succeeded")
			}
			if !strings.HasPrefix(err.Error(), "expressway: ") {
				t.Errorf("err = %v", err)
			}
		})
	}
}

func TestParseTestdata(t *testing.T) {
	for _, dir := range []string{"valid", "invalid"} {
		files, _ := filepath.Glob(filepath.Join("testdata", dir, "*.xml"))
		if len(files) == 0 {
			t.Fatalf("no testdata in %s", dir)
		}
		for _, path := range files {
			t.Run(path, func(t *testing.T) {
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				ec, err := ParseEdgeConfig(b)
				if (err == nil) != (dir == "valid") {
					t.Errorf("%s: got %+v, %v", path, ec, err)
				}
			})
		}
	}
}

func TestParseFull(t *testing.T) {
	b, _ := os.ReadFile("testdata/valid/full.xml")
	ec, err := ParseEdgeConfig(b)
	if err != nil {
		t.Fatal(err)
	}
	uds, _ := ec.Service("_cisco-uds")
	if len(uds.Servers) != 2 || uds.Servers[1] != (Target{2, 5, 8443, "ucm2.example.com"}) {
		t.Errorf("_cisco-uds = %+v", uds)
	}
	if cup, _ := ec.Service("_cuplogin"); cup.Error != "NameError" {
		t.Errorf("_cuplogin = %+v", cup)
	}
	if !slices.Equal(ec.TURNEdge, []HostPort{{"expe1.example.com", 3478}}) || ec.UserUDSServer != "ucm1.example.com" {
		t.Errorf("TURN %+v uds %q", ec.TURNEdge, ec.UserUDSServer)
	}
	b, _ = os.ReadFile("testdata/valid/uds-in-edge.xml")
	if ec, err := ParseEdgeConfig(b); err != nil || ec.UserUDSServer != "ucm1.example.com" {
		t.Errorf("uds-in-edge.xml: %+v, %v", ec, err)
	}
	if _, err := ParseEdgeConfig([]byte("<getEdgeConfig/>")); !errors.Is(err, httpx.ErrRoot) {
		t.Errorf("wrong root: %v", err)
	}
}

func TestQueryEncoding(t *testing.T) {
	f := start(t)
	if _, _, err := f.c.GetEdgeConfig(ctx(t), base+"/", "example.com", good(), "_cisco-uds", "_cisco-phone-tftp"); err != nil {
		t.Fatal(err)
	}
	q, _ := url.ParseQuery(f.srv.Received()[0].RawQuery)
	if !slices.Equal(q["service_name"], []string{"_cisco-uds", "_cisco-phone-tftp"}) {
		t.Errorf("query = %v", q)
	}
}

// FuzzParseEdgeConfig feeds arbitrary bytes to ParseEdgeConfig, seeded
// from testdata/valid and testdata/invalid. It must never panic, every
// error wraps ErrBadReply, and what parses names every service and edge
// server it lists.
func FuzzParseEdgeConfig(f *testing.F) {
	for _, dir := range []string{"valid", "invalid"} {
		files, _ := filepath.Glob(filepath.Join("testdata", dir, "*.xml"))
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ec, err := ParseEdgeConfig(b)
		if err != nil {
			if !errors.Is(err, ErrBadReply) {
				t.Fatalf("ParseEdgeConfig: error %v does not wrap ErrBadReply", err)
			}
			return
		}
		for _, s := range ec.Services {
			if s.Name == "" {
				t.Fatal("nameless service without error")
			}
		}
		for _, hp := range slices.Concat(ec.SIPEdge, ec.XMPPEdge, ec.HTTPEdge, ec.TURNEdge) {
			if hp.Address == "" || hp.Port < 1 || hp.Port > 65535 {
				t.Fatalf("bad edge server %+v without error", hp)
			}
		}
	})
}
