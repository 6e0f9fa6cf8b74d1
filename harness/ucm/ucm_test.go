package ucm

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"example.com/cutover/harness/httpx"
	"example.com/cutover/harness/pki"
)

const base = "https://ucm1.example.com:8443"

func alice() User {
	return User{Username: "alice", Email: "Alice@example.com", Password: "s3cret",
		Devices: []Device{{Name: "CSFalice", Model: "Cisco Unified Client Services Framework", Type: "device"}}}
}

func bob() User {
	return User{Username: "bob", Email: "bob@example.com", Password: "hunter2", HomeCluster: "ucm1.emea.example.com"}
}

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

func start(t *testing.T, opts ...Option) fixture {
	t.Helper()
	ca, err := pki.NewCA("UCM Test Root")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.Issue("ucm1.example.com", pki.WithDNSNames("ucm1.example.com", "ucm2.example.com", "ucm1.emea.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]Option{WithCertificate(cert), WithUsers(alice(), bob())}, opts...)
	srv, err := Start(t.Context(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return fixture{ca: ca, srv: srv, c: NewClient(clientTo(ca, srv.Addr()))}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func wantStatus(t *testing.T, err error, code int) *StatusError {
	t.Helper()
	var se *StatusError
	if !errors.As(err, &se) || !errors.Is(err, ErrStatus) {
		t.Fatalf("err = %v, want *StatusError %d", err, code)
	}
	if se.Code != code {
		t.Fatalf("status %d, want %d", se.Code, code)
	}
	return se
}

func TestVersion(t *testing.T) {
	f := start(t, WithVersion("15.0.1.10000(1)"))
	v, ev, err := f.c.Version(ctx(t), base+"/")
	if err != nil {
		t.Fatalf("Version: %v\n%s", err, ev)
	}
	if v.Version != "15.0.1.10000(1)" {
		t.Errorf("Version = %q", v.Version)
	}
	if ev.Status != 200 || ev.PeerCert == nil || ev.PeerCert.Subject.CommonName != "ucm1.example.com" {
		t.Errorf("evidence status %d peer %v", ev.Status, ev.PeerCert)
	}
	if got := ev.Header.Get("Content-Type"); got != "application/xml" {
		t.Errorf("Content-Type = %q", got)
	}
	want := []Request{{Method: "GET", Path: "/cucm-uds/version"}}
	if got := f.srv.Received(); !slices.Equal(got, want) {
		t.Errorf("Received = %+v, want %+v", got, want)
	}
}

func TestClusterUser(t *testing.T) {
	tests := []struct {
		name         string
		opts         []Option
		param, value string
		want         ClusterUser
		wantCode     int
	}{
		{name: "by username", param: "username", value: "alice",
			want: ClusterUser{Found: true, URI: base + "/cucm-uds/user/alice", UserName: "alice", HomeCluster: "ucm1.example.com", ServersURI: base + "/cucm-uds/servers"}},
		{name: "by email, case-insensitive", param: "email", value: "alice@EXAMPLE.com",
			want: ClusterUser{Found: true, URI: base + "/cucm-uds/user/alice", UserName: "alice", HomeCluster: "ucm1.example.com", ServersURI: base + "/cucm-uds/servers"}},
		{name: "useridentifier email", param: "useridentifier", value: "bob@example.com",
			want: ClusterUser{Found: true, URI: base + "/cucm-uds/user/bob", UserName: "bob", HomeCluster: "ucm1.emea.example.com", ServersURI: "https://ucm1.emea.example.com:8443/cucm-uds/servers"}},
		{name: "useridentifier username", param: "useridentifier", value: "BOB",
			want: ClusterUser{Found: true, URI: base + "/cucm-uds/user/bob", UserName: "bob", HomeCluster: "ucm1.emea.example.com", ServersURI: "https://ucm1.emea.example.com:8443/cucm-uds/servers"}},
		{name: "unknown", param: "username", value: "mallory", want: ClusterUser{}},
		{name: "HideUser", opts: []Option{HideUser("Alice")}, param: "username", value: "alice", want: ClusterUser{}},
		{name: "WrongHomeCluster", opts: []Option{WrongHomeCluster("ucm9.example.net")}, param: "email", value: "alice@example.com",
			want: ClusterUser{Found: true, URI: base + "/cucm-uds/user/alice", UserName: "alice", HomeCluster: "ucm9.example.net", ServersURI: "https://ucm9.example.net:8443/cucm-uds/servers"}},
		{name: "UnknownUserStatus", opts: []Option{UnknownUserStatus(401)}, param: "username", value: "mallory", wantCode: 401},
		{name: "UnknownUserStatus spares known users", opts: []Option{UnknownUserStatus(401)}, param: "username", value: "alice",
			want: ClusterUser{Found: true, URI: base + "/cucm-uds/user/alice", UserName: "alice", HomeCluster: "ucm1.example.com", ServersURI: base + "/cucm-uds/servers"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := start(t, tc.opts...)
			got, ev, err := f.c.ClusterUser(ctx(t), base, tc.param, tc.value)
			if tc.wantCode != 0 {
				wantStatus(t, err, tc.wantCode)
				return
			}
			if err != nil {
				t.Fatalf("ClusterUser(%s=%s): %v\n%s", tc.param, tc.value, err, ev)
			}
			if got != tc.want {
				t.Errorf("ClusterUser(%s=%s) = %+v, want %+v", tc.param, tc.value, got, tc.want)
			}
			if r := f.srv.Received(); len(r) != 1 || r[0].HasAuth {
				t.Errorf("Received = %+v, want one unauthenticated request", r)
			}
		})
	}
}

func TestClusterUserBadParam(t *testing.T) {
	c := NewClient(nil)
	if _, _, err := c.ClusterUser(ctx(t), base, "uid", "alice"); err == nil || !strings.HasPrefix(err.Error(), "ucm: cluster user: ") {
		t.Errorf("err = %v", err)
	}
}

func TestServers(t *testing.T) {
	f := start(t, WithClusterNodes("ucm1.example.com", "ucm2.example.com"))
	cu, _, err := f.c.ClusterUser(ctx(t), base, "username", "alice")
	if err != nil {
		t.Fatal(err)
	}
	got, ev, err := f.c.Servers(ctx(t), cu.ServersURI)
	if err != nil {
		t.Fatalf("Servers: %v\n%s", err, ev)
	}
	if want := []string{"ucm1.example.com", "ucm2.example.com"}; !slices.Equal(got, want) {
		t.Errorf("Servers = %q, want %q", got, want)
	}
	f2 := start(t, WithHostname("ucm2.example.com"))
	got, _, err = f2.c.Servers(ctx(t), "https://ucm2.example.com:8443/cucm-uds/servers")
	if err != nil || !slices.Equal(got, []string{"ucm2.example.com"}) {
		t.Errorf("default Servers = %q, %v; want just the hostname", got, err)
	}
}

func TestUserDevices(t *testing.T) {
	tokens := func(tok string) (string, bool) {
		if tok == "token-alice" {
			return "alice", true
		}
		return "", false
	}
	csf := []Device{{Name: "CSFalice", Model: "Cisco Unified Client Services Framework", Type: "device"}}
	tests := []struct {
		name      string
		opts      []Option
		user      string
		auth      Auth
		want      []Device
		wantRealm string // non-empty: want 401 with this WWW-Authenticate
	}{
		{name: "unauthenticated", user: "alice", wantRealm: `Basic realm="Cisco Web Services Realm"`},
		{name: "wrong password", user: "alice", auth: Auth{Username: "alice", Password: "nope"}, wantRealm: `Basic realm="Cisco Web Services Realm"`},
		{name: "other user's password", user: "alice", auth: Auth{Username: "bob", Password: "hunter2"}, wantRealm: `Basic realm="Cisco Web Services Realm"`},
		{name: "basic", user: "alice", auth: Auth{Username: "alice", Password: "s3cret"}, want: csf},
		{name: "no devices", user: "bob", auth: Auth{Username: "bob", Password: "hunter2"}, want: []Device{}},
		{name: "bearer without validator", user: "alice", auth: Auth{Bearer: "token-alice"}, wantRealm: `Basic realm="Cisco Web Services Realm"`},
		{name: "bearer", opts: []Option{WithTokenValidator(tokens)}, user: "alice", auth: Auth{Bearer: "token-alice"}, want: csf},
		{name: "bearer for another user", opts: []Option{WithTokenValidator(tokens)}, user: "bob", auth: Auth{Bearer: "token-alice"}, wantRealm: `Basic realm="Cisco Web Services Realm"`},
		{name: "bad bearer", opts: []Option{WithTokenValidator(tokens)}, user: "alice", auth: Auth{Bearer: "forged"}, wantRealm: `Basic realm="Cisco Web Services Realm"`},
		{name: "unknown user", user: "mallory", wantRealm: `Basic realm="Cisco Web Services Realm"`},
		{name: "WithRealm", opts: []Option{WithRealm("Other Realm")}, user: "alice", wantRealm: `Basic realm="Other Realm"`},
		{name: "DevicesOpen", opts: []Option{DevicesOpen()}, user: "alice", want: csf},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := start(t, tc.opts...)
			got, ev, err := f.c.UserDevices(ctx(t), base, tc.user, tc.auth)
			if tc.wantRealm != "" {
				se := wantStatus(t, err, 401)
				if se.WWWAuthenticate != tc.wantRealm {
					t.Errorf("WWW-Authenticate = %q, want %q", se.WWWAuthenticate, tc.wantRealm)
				}
				if ev.Status != 401 || ev.Err == "" {
					t.Errorf("evidence status %d err %q", ev.Status, ev.Err)
				}
				return
			}
			if err != nil {
				t.Fatalf("UserDevices(%s): %v\n%s", tc.user, err, ev)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("UserDevices(%s) = %+v, want %+v", tc.user, got, tc.want)
			}
		})
	}
}

func TestUserResource(t *testing.T) {
	f := start(t)
	c := clientTo(f.ca, f.srv.Addr())
	for _, tc := range []struct {
		name string
		auth bool
		code int
	}{{"unauthenticated", false, 401}, {"basic", true, 200}} {
		req, _ := http.NewRequestWithContext(ctx(t), "GET", base+"/cucm-uds/user/alice", nil)
		if tc.auth {
			req.SetBasicAuth("alice", "s3cret")
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := httpx.ReadCapped(resp.Body, httpx.MaxBody)
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.code)
		}
		if tc.code == 200 && !strings.Contains(string(b), "<userName>alice</userName>") {
			t.Errorf("%s: body %s", tc.name, b)
		}
	}
	if r := f.srv.Received(); len(r) != 2 || r[0].HasAuth || !r[1].HasAuth {
		t.Errorf("Received = %+v", r)
	}
	if s := fmt.Sprintf("%+v", f.srv.Received()); strings.Contains(s, "s3cret") || strings.Contains(s, "Basic") {
		t.Errorf("Received keeps credentials: %s", s)
	}
}

func TestWithStatus(t *testing.T) {
	f := start(t, WithStatus("/cucm-uds/version", 503))
	_, ev, err := f.c.Version(ctx(t), base)
	wantStatus(t, err, 503)
	if !strings.Contains(ev.String(), "status: 503 Service Unavailable") {
		t.Errorf("evidence:\n%s", ev)
	}
	if _, _, err := f.c.ClusterUser(ctx(t), base, "username", "alice"); err != nil {
		t.Errorf("other paths affected: %v", err)
	}
}

func TestUnexpectedRequests(t *testing.T) {
	f := start(t)
	c := clientTo(f.ca, f.srv.Addr())
	for _, tc := range []struct {
		method, path string
		code         int
	}{
		{"POST", "/cucm-uds/version", 405},
		{"GET", "/cucm-uds/nope", 404},
		{"GET", "/cucm-uds/user/alice/phones", 404},
	} {
		req, _ := http.NewRequestWithContext(ctx(t), tc.method, base+tc.path, nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("%s %s: status %d, want %d", tc.method, tc.path, resp.StatusCode, tc.code)
		}
	}
	err := f.srv.Close()
	if !errors.Is(err, ErrUnexpected) || !strings.Contains(err.Error(), "POST /cucm-uds/version") {
		t.Errorf("Close = %v, want ErrUnexpected naming the POST", err)
	}
	if err2 := f.srv.Close(); err2 == nil || err2.Error() != err.Error() {
		t.Errorf("second Close = %v", err2)
	}
}

func TestStartErrors(t *testing.T) {
	ca, _ := pki.NewCA("x")
	cert, _ := ca.Issue("ucm1.example.com")
	tests := []struct {
		name string
		opts []Option
	}{
		{"no certificate", nil},
		{"bad status", []Option{WithCertificate(cert), WithStatus("/", 42)}},
		{"relative prefix", []Option{WithCertificate(cert), WithStatus("cucm-uds", 503)}},
		{"duplicate user", []Option{WithCertificate(cert), WithUsers(alice(), User{Username: "ALICE"})}},
		{"bad hostname", []Option{WithCertificate(cert), WithHostname("https://x")}},
		{"bad addr", []Option{WithCertificate(cert), WithAddr("127.0.0.1:-1")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Start(t.Context(), tc.opts...)
			if err == nil {
				s.Close()
				t.Fatal("Start succeeded")
			}
			if !strings.HasPrefix(err.Error(), "ucm: ") {
				t.Errorf("err = %v", err)
			}
		})
	}
}

// misbehaving starts an httptest TLS server and a client trusting it.
func misbehaving(t *testing.T, h http.HandlerFunc) (*Client, string) {
	t.Helper()
	ts := httptest.NewTLSServer(h)
	t.Cleanup(ts.Close)
	return NewClient(ts.Client()), ts.URL
}

func TestMisbehavingServers(t *testing.T) {
	t.Run("garbage", func(t *testing.T) {
		c, u := misbehaving(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/xml")
			w.Write([]byte("\x00\x01\x02 not xml <<<"))
		})
		_, ev, err := c.ClusterUser(ctx(t), u, "username", "alice")
		if err == nil || !errors.Is(err, ErrBadReply) {
			t.Errorf("err = %v", err)
		}
		if ev.Status != 200 || ev.Err == "" {
			t.Errorf("evidence %+v", ev)
		}
	})
	t.Run("huge body", func(t *testing.T) {
		c, u := misbehaving(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/xml")
			w.Write([]byte("<servers>"))
			chunk := []byte(strings.Repeat("<server>ucm.example.com</server>", 1024))
			for range 200 { // ~6 MiB
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		})
		_, ev, err := c.Servers(ctx(t), u+"/cucm-uds/servers")
		if !errors.Is(err, httpx.ErrTooLarge) {
			t.Errorf("err = %v, want ErrTooLarge", err)
		}
		if len(ev.Body) != httpx.EvidenceBody {
			t.Errorf("evidence body %d bytes, want %d", len(ev.Body), httpx.EvidenceBody)
		}
	})
	t.Run("wrong content type", func(t *testing.T) {
		c, u := misbehaving(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte(`<versionInformation version="14"/>`))
		})
		_, _, err := c.Version(ctx(t), u)
		if err == nil || !strings.Contains(err.Error(), "unexpected content type") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("never answers", func(t *testing.T) {
		c, u := misbehaving(t, func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		})
		short, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		_, ev, err := c.Version(short, u)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want deadline exceeded", err)
		}
		if ev.Err == "" || ev.Status != 0 {
			t.Errorf("evidence %+v", ev)
		}
	})
	t.Run("untrusted CA", func(t *testing.T) {
		f := start(t)
		other, _ := pki.NewCA("Other Root")
		c := NewClient(clientTo(other, f.srv.Addr()))
		_, _, err := c.Version(ctx(t), base)
		if err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("err = %v, want a certificate error", err)
		}
	})
	t.Run("redacts cookies", func(t *testing.T) {
		c, u := misbehaving(t, func(w http.ResponseWriter, r *http.Request) {
			http.SetCookie(w, &http.Cookie{Name: "JSESSIONID", Value: "topsecret"})
			w.Header().Set("Content-Type", "application/xml")
			w.Write([]byte(`<versionInformation version="14"/>`))
		})
		_, ev, err := c.Version(ctx(t), u)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(ev.String(), "topsecret") || ev.Header.Get("Set-Cookie") != "[redacted]" {
			t.Errorf("evidence leaks cookie:\n%s", ev)
		}
	})
}

// kindParsers maps a testdata file prefix to its parser.
func kindParsers() map[string]func([]byte) (any, error) {
	return map[string]func([]byte) (any, error){
		"version":     func(b []byte) (any, error) { return ParseVersion(b) },
		"clusteruser": func(b []byte) (any, error) { return ParseClusterUser(b) },
		"servers":     func(b []byte) (any, error) { return ParseServers(b) },
		"devices":     func(b []byte) (any, error) { return ParseDevices(b) },
	}
}

func TestParseTestdata(t *testing.T) {
	for _, dir := range []string{"valid", "invalid"} {
		files, err := filepath.Glob(filepath.Join("testdata", dir, "*.xml"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no testdata in %s: %v", dir, err)
		}
		for _, path := range files {
			t.Run(path, func(t *testing.T) {
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				kind, _, _ := strings.Cut(filepath.Base(path), "-")
				parse := kindParsers()[kind]
				if parse == nil {
					t.Fatalf("no parser for %s", kind)
				}
				got, err := parse(b)
				if (err == nil) != (dir == "valid") {
					t.Errorf("%s: got %+v, %v", path, got, err)
				}
			})
		}
	}
}

func TestParseValues(t *testing.T) {
	b, _ := os.ReadFile("testdata/valid/clusteruser-found.xml")
	cu, err := ParseClusterUser(b)
	want := ClusterUser{Found: true, URI: base + "/cucm-uds/user/alice", UserName: "alice", HomeCluster: "ucm1.example.com", ServersURI: base + "/cucm-uds/servers"}
	if err != nil || cu != want {
		t.Errorf("clusteruser-found.xml = %+v, %v; want %+v", cu, err, want)
	}
	b, _ = os.ReadFile("testdata/valid/devices-csf.xml")
	d, err := ParseDevices(b)
	if err != nil || len(d) != 2 || d[0] != (Device{"CSFalice", "Cisco Unified Client Services Framework", "device"}) {
		t.Errorf("devices-csf.xml = %+v, %v", d, err)
	}
	b, _ = os.ReadFile("testdata/valid/version-element.xml")
	if v, err := ParseVersion(b); err != nil || v.Version != "12.5.1.11900(146)" {
		t.Errorf("version-element.xml = %+v, %v", v, err)
	}
	if _, err := ParseServers([]byte("<html/>")); !errors.Is(err, httpx.ErrRoot) || !strings.Contains(err.Error(), "got <html>, want <servers>") {
		t.Errorf("wrong root: %v", err)
	}
	if _, err := ParseServers(make([]byte, httpx.MaxBody+1)); !errors.Is(err, httpx.ErrTooLarge) {
		t.Errorf("oversize: %v", err)
	}
}

func seed(f *testing.F, kind string) {
	for _, dir := range []string{"valid", "invalid"} {
		files, _ := filepath.Glob(filepath.Join("testdata", dir, kind+"-*.xml"))
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
}

// FuzzParseVersion: ParseVersion never panics, its errors wrap
// ErrBadReply, and a version that parses is not empty.
func FuzzParseVersion(f *testing.F) {
	seed(f, "version")
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := ParseVersion(b)
		if err != nil && !errors.Is(err, ErrBadReply) {
			t.Fatalf("error %v does not wrap ErrBadReply", err)
		}
		if err == nil && v.Version == "" {
			t.Fatal("empty version without error")
		}
	})
}

// FuzzParseClusterUser: ParseClusterUser never panics and its errors wrap
// ErrBadReply.
func FuzzParseClusterUser(f *testing.F) {
	seed(f, "clusteruser")
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := ParseClusterUser(b)
		if err != nil && !errors.Is(err, ErrBadReply) {
			t.Fatalf("error %v does not wrap ErrBadReply", err)
		}
	})
}

// FuzzParseServers: ParseServers never panics, its errors wrap
// ErrBadReply, and no server it returns is empty.
func FuzzParseServers(f *testing.F) {
	seed(f, "servers")
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseServers(b)
		if err != nil && !errors.Is(err, ErrBadReply) {
			t.Fatalf("error %v does not wrap ErrBadReply", err)
		}
		if err == nil && slices.Contains(s, "") {
			t.Fatal("empty server without error")
		}
	})
}

// FuzzParseDevices: ParseDevices never panics, its errors wrap
// ErrBadReply, and every device it returns has a name.
func FuzzParseDevices(f *testing.F) {
	seed(f, "devices")
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ParseDevices(b)
		if err != nil && !errors.Is(err, ErrBadReply) {
			t.Fatalf("error %v does not wrap ErrBadReply", err)
		}
		for _, x := range d {
			if err == nil && x.Name == "" {
				t.Fatal("nameless device without error")
			}
		}
	})
}
