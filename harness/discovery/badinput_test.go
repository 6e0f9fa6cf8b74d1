package discovery_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"example.com/cutover/harness/discovery"
	"example.com/cutover/harness/dnsfake"
	"example.com/cutover/harness/httpx"
	"example.com/cutover/harness/pki"
	"example.com/cutover/harness/target"
	"example.com/cutover/harness/ucm"
)

const (
	// callTimeout is limits.timeout of the hand-built target in the cases
	// that must time out: every single network call gives up after it.
	callTimeout = 300 * time.Millisecond
	// slackTimeout is limits.timeout in every other case: those fail (or
	// pass) for another reason, and a loaded machine must not turn them
	// into timeouts.
	slackTimeout = 5 * time.Second
	// budget is the discovery budget.
	budget = 8 * time.Second
	// outerDeadline is how long the test waits before calling a call hung.
	outerDeadline = 20 * time.Second
	// trickle is how often the slowloris server sends one more byte.
	trickle = 50 * time.Millisecond
	// hugeBody is what the huge-body server streams (50 MiB).
	hugeBody = 50 << 20

	udsHost = "ucm1.example.com"
	udsBase = "https://" + udsHost + ":8443"
)

// zone is the inside view: one _cisco-uds target at 127.0.0.1, which the
// connect_to map sends to the misbehaving server of the case.
const zone = `
_cisco-uds._tcp.example.com. 300 IN SRV 10 10 8443 ucm1.example.com.
ucm1.example.com.            300 IN A   127.0.0.1
`

// pkiSet is the trusted site CA with a leaf for udsHost, and a leaf for the
// same name from a CA nobody trusts.
type pkiSet struct {
	ca        *pki.CA
	leaf      tls.Certificate
	untrusted tls.Certificate
}

func newPKI(t *testing.T) pkiSet {
	t.Helper()
	ca, err := pki.NewCA("cutover badinput test CA")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue(udsHost, pki.WithDNSNames(udsHost))
	if err != nil {
		t.Fatal(err)
	}
	rogue, err := pki.NewCA("cutover untrusted CA")
	if err != nil {
		t.Fatal(err)
	}
	untrusted, err := rogue.Issue(udsHost, pki.WithDNSNames(udsHost))
	if err != nil {
		t.Fatal(err)
	}
	return pkiSet{ca: ca, leaf: leaf, untrusted: untrusted}
}

// rawServer accepts TCP connections on 127.0.0.1:0 and hands each to
// handle, which must return once stop is closed. Close ends everything and
// waits for every goroutine.
type rawServer struct {
	ln   net.Listener
	stop chan struct{}
	wg   sync.WaitGroup

	mu    sync.Mutex
	conns []net.Conn
}

func startRaw(t *testing.T, handle func(c net.Conn, stop <-chan struct{})) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &rawServer{ln: ln, stop: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer c.Close()
				handle(c, s.stop)
			}()
		}
	}()
	t.Cleanup(s.close)
	return ln.Addr().String()
}

func (s *rawServer) close() {
	close(s.stop)
	s.ln.Close()
	s.mu.Lock()
	for _, c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func serveTLS(t *testing.T, cert tls.Certificate, h http.HandlerFunc) string {
	t.Helper()
	s, err := httpx.ServeTLS("127.0.0.1:0", cert, h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s.Addr()
}

// versionXML is a healthy /cucm-uds/version answer.
func versionXML(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/xml")
	io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><versionInformation version="15.0.1.10000-1"/>`)
}

// Misbehaving servers. Each returns the address to connect_to.

func garbageServer(t *testing.T, _ pkiSet) string {
	return startRaw(t, func(c net.Conn, _ <-chan struct{}) {
		c.Write([]byte("\x00\xff\xfe\xfd\x7f garbage, neither TLS nor HTTP\r\n"))
	})
}

// plainHTTPServer answers in clear text on the TLS port.
func plainHTTPServer(t *testing.T, _ pkiSet) string {
	return startRaw(t, func(c net.Conn, _ <-chan struct{}) {
		c.Write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"))
	})
}

func halfOpenServer(t *testing.T, _ pkiSet) string {
	return startRaw(t, func(_ net.Conn, stop <-chan struct{}) {
		<-stop // accepted, never answers
	})
}

func slowlorisServer(t *testing.T, p pkiSet) string {
	return startRaw(t, func(c net.Conn, stop <-chan struct{}) {
		tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{p.leaf}, MinVersion: tls.VersionTLS12})
		if err := tc.Handshake(); err != nil {
			return
		}
		if _, err := http.ReadRequest(bufio.NewReader(tc)); err != nil {
			return
		}
		if _, err := io.WriteString(tc, "HTTP/1.1 200 OK\r\nX-Slow: "); err != nil {
			return
		}
		tick := time.NewTicker(trickle)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := tc.Write([]byte("a")); err != nil {
					return
				}
			}
		}
	})
}

func hugeBodyServer(t *testing.T, p pkiSet) string {
	return serveTLS(t, p.leaf, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		chunk := []byte(strings.Repeat("<versionInformation>", 32<<10/20))
		for sent := 0; sent < hugeBody; sent += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return // the client hung up at its cap
			}
		}
	})
}

func htmlServer(t *testing.T, p pkiSet) string {
	return serveTLS(t, p.leaf, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<html><body>Welcome to the captive portal</body></html>")
	})
}

func untrustedServer(t *testing.T, p pkiSet) string {
	return serveTLS(t, p.untrusted, versionXML)
}

// midHandshakeServer reads the ClientHello record, then hangs up.
func midHandshakeServer(t *testing.T, _ pkiSet) string {
	return startRaw(t, func(c net.Conn, _ <-chan struct{}) {
		var hdr [5]byte
		if _, err := io.ReadFull(c, hdr[:]); err != nil {
			return
		}
		io.CopyN(io.Discard, c, int64(binary.BigEndian.Uint16(hdr[3:])))
	})
}

func healthyServer(t *testing.T, p pkiSet) string {
	return serveTLS(t, p.leaf, versionXML)
}

// ops are the calls a misbehaving site must fail with a reason.
type op struct {
	name string
	run  func(ctx context.Context, tg *target.Target) error
}

func client(tg *target.Target) *discovery.Client {
	return &discovery.Client{Resolver: tg.From(target.Inside), Budget: budget}
}

var (
	opDiscover = op{"Discover", func(ctx context.Context, tg *target.Target) error {
		_, err := client(tg).Discover(ctx, discovery.Input{Email: "alice@example.com", Username: "alice", Password: "not-a-real-password"})
		return err
	}}
	opFindUDS = op{"FindUDS", func(ctx context.Context, tg *target.Target) error {
		_, _, err := client(tg).FindUDS(ctx, "example.com")
		return err
	}}
	opVersion = op{"ucm.Version", func(ctx context.Context, tg *target.Target) error {
		ctx, cancel := context.WithTimeout(ctx, budget)
		defer cancel()
		_, _, err := ucm.NewClient(tg.HTTPClient(target.Inside)).Version(ctx, udsBase)
		return err
	}}
	// opPeerCert fetches the chain without verifying, then verifies it as
	// the certificate checks do.
	opPeerCert = op{"PeerCertificates", func(ctx context.Context, tg *target.Target) error {
		chain, err := pki.PeerCertificates(ctx, tg.DialContext(target.Inside), udsHost+":8443", udsHost, tg.Timeout())
		if err != nil {
			return err
		}
		return pki.VerifyChain(chain, tg.Site.Roots, udsHost, time.Now())
	}}
	httpOps = []op{opDiscover, opFindUDS, opVersion}
	allOps  = []op{opDiscover, opFindUDS, opVersion, opPeerCert}
)

// newTarget starts the inside DNS fake with faults and builds a Target
// whose UDS node is connected to the server at to.
func newTarget(t *testing.T, p pkiSet, to string, timeout time.Duration, faults ...dnsfake.Option) *target.Target {
	t.Helper()
	opts := append([]dnsfake.Option{dnsfake.WithZoneText(zone)}, faults...)
	f, err := dnsfake.Start(context.Background(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	tg := target.New(&target.Site{
		Name:      "badinput",
		Kind:      target.KindLab,
		Domains:   target.Domains{Services: "example.com", VoiceServices: []string{"example.com"}},
		Vantage:   target.Vantages{Inside: target.Vantage{Resolver: f.Addr()}, Outside: target.Vantage{Resolver: f.Addr()}},
		Limits:    target.Limits{Timeout: target.Duration(timeout), MaxAuthFailures: 2},
		ConnectTo: []target.ConnectTo{{From: "127.0.0.1:8443", To: to}},
		Roots:     p.ca.Pool(),
	})
	t.Cleanup(func() { tg.Close() })
	return tg
}

// within runs f in a goroutine and fails the test if it panics or has not
// returned by the outer deadline.
func within(t *testing.T, f func() error) (time.Duration, error) {
	t.Helper()
	type result struct {
		err   error
		panic string
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- result{panic: fmt.Sprintf("%v\n%s", p, debug.Stack())}
			}
		}()
		done <- result{err: f()}
	}()
	timer := time.NewTimer(outerDeadline)
	defer timer.Stop()
	select {
	case r := <-done:
		if r.panic != "" {
			t.Fatalf("panicked: %s", r.panic)
		}
		return time.Since(start), r.err
	case <-timer.C:
		t.Fatalf("did not return within %v", outerDeadline)
		return 0, nil
	}
}

// timedOut is how the clients name a timeout: net/http's "timeout awaiting
// response headers" or "TLS handshake timeout", a socket's "i/o timeout",
// or the request context's "deadline exceeded".
const timedOut = "timeout|deadline exceeded"

// containsAny reports whether s contains one of the "|"-separated subs,
// ignoring case.
func containsAny(s, subs string) bool {
	s = strings.ToLower(s)
	for _, sub := range strings.Split(subs, "|") {
		if strings.Contains(s, strings.ToLower(sub)) {
			return true
		}
	}
	return false
}

// TestBadInput proves that a misbehaving server, HTTP or DNS, makes every
// discovery call fail with the reason in the error, within the budget,
// without panicking or hanging.
func TestBadInput(t *testing.T) {
	p := newPKI(t)
	for _, tc := range []struct {
		name   string
		server func(*testing.T, pkiSet) string
		faults []dnsfake.Option
		ops    []op
		// timeout overrides callTimeout (cases that must time out) and
		// slackTimeout (the others).
		timeout time.Duration
		// wantErr holds "|"-separated substrings, one of which every
		// op's error must contain (case-insensitive); "" expects success.
		wantErr string
	}{
		// The control: the fixture itself works, so the failures below are
		// the faults' doing.
		{name: "healthy", server: healthyServer, ops: []op{opFindUDS, opVersion, opPeerCert}},

		{name: "garbage bytes", server: garbageServer, ops: allOps, wantErr: "does not look like a TLS handshake"},
		{name: "plain HTTP", server: plainHTTPServer, ops: httpOps, wantErr: "server gave HTTP response to HTTPS client"},
		{name: "half-open", server: halfOpenServer, ops: allOps, wantErr: timedOut},
		{name: "slowloris headers", server: slowlorisServer, ops: httpOps, wantErr: timedOut},
		{name: "huge body", server: hugeBodyServer, ops: httpOps, wantErr: "body too large: more than 1048576 bytes"},
		{name: "200 text/html", server: htmlServer, ops: httpOps, wantErr: `unexpected content type "text/html`},
		{name: "untrusted CA", server: untrustedServer, ops: allOps, wantErr: "certificate signed by unknown authority"},
		{name: "close mid-handshake", server: midHandshakeServer, ops: allOps, wantErr: "EOF"},

		{name: "dns garbage", server: healthyServer, faults: []dnsfake.Option{dnsfake.Garbage()}, ops: allOps, wantErr: "malformed reply"},
		{name: "dns no reply", server: healthyServer, faults: []dnsfake.Option{dnsfake.DropEvery(1)}, ops: allOps, wantErr: timedOut},
		{name: "dns servfail", server: healthyServer, faults: []dnsfake.Option{
			dnsfake.WithRcode("_cisco-uds._tcp.example.com", dns.RcodeServerFailure),
			dnsfake.WithRcode("_collab-edge._tls.example.com", dns.RcodeServerFailure),
			dnsfake.WithRcode(udsHost, dns.RcodeServerFailure),
		}, ops: allOps, wantErr: "SERVFAIL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			timeout := tc.timeout
			switch {
			case timeout != 0:
			case tc.wantErr == timedOut:
				timeout = callTimeout
			default:
				timeout = slackTimeout
			}
			tg := newTarget(t, p, tc.server(t, p), timeout, tc.faults...)
			for _, o := range tc.ops {
				t.Run(o.name, func(t *testing.T) {
					took, err := within(t, func() error { return o.run(context.Background(), tg) })
					// No timed assertion: a hang fails within's deadline, and a
					// timeout must say so in the error (wantErr).
					t.Logf("%s after %v: %v", o.name, took.Round(time.Millisecond), err)
					if tc.wantErr == "" {
						if err != nil {
							t.Fatalf("%s against %s: want success, got %v", o.name, tc.name, err)
						}
						return
					}
					if err == nil {
						t.Fatalf("%s against %s: want an error containing %q, got success", o.name, tc.name, tc.wantErr)
					}
					if !containsAny(err.Error(), tc.wantErr) {
						t.Errorf("%s against %s: want an error containing %q, got %v", o.name, tc.name, tc.wantErr, err)
					}
				})
			}
		})
	}
}
