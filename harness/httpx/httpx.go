// Package httpx holds the HTTP plumbing shared by the UDS (harness/ucm) and
// Expressway (harness/expressway) clients and fakes: a capped body reader,
// the XML content-type check, the Evidence record attached to check
// failures, the StatusError returned for non-200 replies, and server
// timeouts for the fakes.
package httpx

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log"
	"mime"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

const (
	// MaxBody caps every response body a client reads (1 MiB) so a huge or
	// endless reply cannot exhaust memory.
	MaxBody = 1 << 20
	// EvidenceBody is how much of a body Evidence keeps (4 KiB).
	EvidenceBody = 4 << 10
	// DefaultTimeout bounds a request whose context has no deadline.
	DefaultTimeout = 30 * time.Second

	// ErrStatus is wrapped by every *StatusError.
	ErrStatus = Sentinel("httpx: unexpected status")
	// ErrTooLarge is returned when a body exceeds MaxBody.
	ErrTooLarge = Sentinel("httpx: body too large")
	// ErrContentType is returned when a 200 reply is not XML.
	ErrContentType = Sentinel("httpx: unexpected content type")
	// ErrRoot is returned when an XML document has the wrong root element.
	ErrRoot = Sentinel("httpx: wrong root element")
	// ErrXML wraps every other reason an XML document does not decode.
	ErrXML = Sentinel("httpx: malformed XML")
)

// Sentinel is a constant error, so the ErrXxx values need no package
// variables.
type Sentinel string

func (s Sentinel) Error() string { return string(s) }

// StatusError reports a reply whose status was not 200. It keeps the
// headers a check needs to tell a healthy 401 from a broken site.
type StatusError struct {
	Code            int
	WWWAuthenticate string
	Server          string
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("unexpected status %d %s", e.Code, http.StatusText(e.Code))
	if e.WWWAuthenticate != "" {
		s += fmt.Sprintf(" (WWW-Authenticate: %s)", e.WWWAuthenticate)
	}
	return s
}

// Unwrap lets errors.Is(err, ErrStatus) match.
func (e *StatusError) Unwrap() error { return ErrStatus }

// Evidence records one exchange for a report. Secrets are never kept: the
// request's credentials are not recorded and Authorization, Cookie and
// Set-Cookie response headers are redacted.
type Evidence struct {
	Method string
	URL    string
	Status int
	Header http.Header
	Body   string // first EvidenceBody bytes
	Err    string
	// PeerCert is the server's leaf certificate, for SAN and expiry checks.
	// String does not print it.
	PeerCert *x509.Certificate
}

// String renders the exchange as readable multi-line text.
func (e Evidence) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", e.Method, e.URL)
	if e.Status != 0 {
		fmt.Fprintf(&b, "status: %d %s\n", e.Status, http.StatusText(e.Status))
	}
	keys := make([]string, 0, len(e.Header))
	for k := range e.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range e.Header[k] {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	if e.Body != "" {
		fmt.Fprintf(&b, "\n%s\n", strings.TrimRight(e.Body, "\n"))
	}
	if e.Err != "" {
		fmt.Fprintf(&b, "error: %s\n", e.Err)
	}
	return b.String()
}

// Redact returns a copy of h with secret-bearing headers replaced.
func Redact(h http.Header) http.Header {
	out := h.Clone()
	for _, k := range []string{"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie"} {
		if _, ok := out[k]; ok {
			out[k] = []string{"[redacted]"}
		}
	}
	return out
}

// ReadCapped reads r up to max bytes and fails with ErrTooLarge beyond that.
func ReadCapped(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return b, err
	}
	if int64(len(b)) > max {
		return b[:max], fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max)
	}
	return b, nil
}

// CheckXML accepts application/xml, text/xml and any +xml type.
func CheckXML(contentType string) error {
	mt, _, err := mime.ParseMediaType(contentType)
	if err == nil && (mt == "application/xml" || mt == "text/xml" || strings.HasSuffix(mt, "+xml")) {
		return nil
	}
	return fmt.Errorf("%w %q", ErrContentType, contentType)
}

// Auth is what a Get adds to the request; the zero value adds nothing.
type Auth struct {
	Username, Password string
	Bearer             string
}

// Get fetches url with hc and returns the body of a 200 XML reply. Any
// other status gives a *StatusError; a 200 that is not XML gives
// ErrContentType. The Evidence is filled in every case. A ctx without a
// deadline gets DefaultTimeout.
func Get(ctx context.Context, hc *http.Client, url string, auth Auth) ([]byte, Evidence, error) {
	ev := Evidence{Method: http.MethodGet, URL: url}
	fail := func(err error) ([]byte, Evidence, error) {
		ev.Err = err.Error()
		return nil, ev, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fail(err)
	}
	req.Header.Set("Accept", "application/xml")
	switch {
	case auth.Bearer != "":
		req.Header.Set("Authorization", "Bearer "+auth.Bearer)
	case auth.Username != "" || auth.Password != "":
		req.SetBasicAuth(auth.Username, auth.Password)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fail(err)
	}
	defer resp.Body.Close()
	ev.Status = resp.StatusCode
	ev.Header = Redact(resp.Header)
	if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		ev.PeerCert = resp.TLS.PeerCertificates[0]
	}
	body, rerr := ReadCapped(resp.Body, MaxBody)
	ev.Body = string(body[:min(len(body), EvidenceBody)])
	if resp.StatusCode != http.StatusOK {
		return fail(&StatusError{
			Code:            resp.StatusCode,
			WWWAuthenticate: resp.Header.Get("WWW-Authenticate"),
			Server:          resp.Header.Get("Server"),
		})
	}
	if rerr != nil {
		return fail(rerr)
	}
	if err := CheckXML(resp.Header.Get("Content-Type")); err != nil {
		return fail(err)
	}
	return body, ev, nil
}

// DecodeXML decodes b into v after checking that the root element is named
// root. Input above MaxBody is refused, so a parser never works on more.
func DecodeXML(b []byte, root string, v any) error {
	if len(b) > MaxBody {
		return fmt.Errorf("%w: %d bytes", ErrTooLarge, len(b))
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := d.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return fmt.Errorf("%w: no <%s> element", ErrRoot, root)
			}
			return fmt.Errorf("%w: %w", ErrXML, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if se.Name.Local != root {
			return fmt.Errorf("%w: got <%s>, want <%s>", ErrRoot, se.Name.Local, root)
		}
		if err := d.DecodeElement(v, &se); err != nil {
			return fmt.Errorf("%w: %w", ErrXML, err)
		}
		break
	}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: %w", ErrXML, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return fmt.Errorf("%w: trailing element <%s> after <%s>", ErrXML, t.Name.Local, root)
		case xml.CharData:
			if strings.TrimSpace(string(t)) != "" {
				return fmt.Errorf("%w: trailing text after <%s>", ErrXML, root)
			}
		}
	}
}

// NewServer returns an http.Server with every timeout set, so a fake
// never waits forever on a slow or silent client.
func NewServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       30 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
}

// Serving is a TLS HTTP server on a bound listener; the fakes embed it.
type Serving struct {
	srv  *http.Server
	ln   net.Listener
	done chan struct{}
	once sync.Once
	err  error
}

// ServeTLS listens on addr (e.g. 127.0.0.1:0) with cert and serves h. It
// returns once the socket accepts connections.
func ServeTLS(addr string, cert tls.Certificate, h http.Handler) (*Serving, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return Serve(tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}), h), nil
}

// Serve serves h on a bound listener (TLS, mutual TLS or plain: the
// listener decides) with every server timeout set.
func Serve(ln net.Listener, h http.Handler) *Serving {
	s := &Serving{srv: NewServer(h), done: make(chan struct{}), ln: ln}
	s.srv.ErrorLog = log.New(io.Discard, "", 0) // handshake noise from probing clients
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(s.ln)
	}()
	return s
}

// Addr is the bound host:port.
func (s *Serving) Addr() string { return s.ln.Addr().String() }

// Close stops the server and waits for its goroutine; it is idempotent.
func (s *Serving) Close() error {
	s.once.Do(func() {
		s.err = s.srv.Close()
		<-s.done
	})
	return s.err
}
