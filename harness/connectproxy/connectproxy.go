// Package connectproxy is a minimal HTTP CONNECT proxy (RFC 9110 §9.3.6).
// It is a vantage point: a client that dials through a proxy placed on a
// network reaches exactly what that network reaches. harness/containers puts
// one on the inside and one on the outside network; in lab mode a proxy that
// really sits outside the corporate network (squid, or this one) makes the
// outside checks honest.
package connectproxy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// Server is a running proxy.
type Server struct {
	cfg config
	ln  net.Listener

	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	received []string
	closed   bool
	wg       sync.WaitGroup
}

// Start listens and serves CONNECT until Close. It returns once listening.
func Start(ctx context.Context, opts ...Option) (*Server, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, fmt.Errorf("connectproxy: option: %w", err)
		}
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.addr)
	if err != nil {
		return nil, fmt.Errorf("connectproxy: listen: %w", err)
	}
	s := &Server{cfg: cfg, ln: ln, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Addr is the listening ip:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Received lists the CONNECT targets asked for, oldest first.
func (s *Server) Received() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.received...)
}

// Close stops the proxy and every tunnel. Idempotent; leaves no goroutines.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	err := s.ln.Close()
	s.wg.Wait()
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("connectproxy: close: %w", err)
	}
	return nil
}

// track registers a connection for Close; false when already closing.
func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	c.Close()
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		if !s.track(c) {
			c.Close()
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer s.untrack(c)
			s.serve(c)
		}()
	}
}

// serve reads one CONNECT request, dials the target and splices both ways.
func (s *Server) serve(c net.Conn) {
	_ = c.SetReadDeadline(time.Now().Add(s.cfg.timeout))
	br := bufio.NewReader(io.LimitReader(c, 16<<10))
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	if req.Method != http.MethodConnect {
		writeStatus(c, http.StatusMethodNotAllowed)
		return
	}
	target := req.Host
	s.mu.Lock()
	s.received = append(s.received, target)
	s.mu.Unlock()
	if _, _, err := net.SplitHostPort(target); err != nil {
		writeStatus(c, http.StatusBadRequest)
		return
	}
	d := net.Dialer{Timeout: s.cfg.timeout}
	up, err := d.Dial("tcp", target)
	if err != nil {
		writeStatus(c, http.StatusBadGateway)
		return
	}
	if !s.track(up) {
		up.Close()
		return
	}
	defer s.untrack(up)
	_ = c.SetReadDeadline(time.Time{})
	if _, err := io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		return
	}
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, c); closeWrite(up); done <- struct{}{} }()
	go func() { io.Copy(c, up); closeWrite(c); done <- struct{}{} }()
	<-done
	<-done
}

func closeWrite(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
}

func writeStatus(c net.Conn, code int) {
	fmt.Fprintf(c, "HTTP/1.1 %d %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", code, http.StatusText(code))
}

// ErrRefused is returned by Dial when the proxy answers other than 200.
var ErrRefused = errors.New("connectproxy: CONNECT refused")

// Dial opens a tunnel to target ("ip:port") through the proxy at proxy,
// bounded by ctx. The returned conn speaks to target.
func Dial(ctx context.Context, d *net.Dialer, proxy, target string) (net.Conn, error) {
	c, err := d.DialContext(ctx, "tcp", proxy)
	if err != nil {
		return nil, fmt.Errorf("connectproxy: dial proxy %s: %w", proxy, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, target); err != nil {
		c.Close()
		return nil, fmt.Errorf("connectproxy: CONNECT %s via %s: %w", target, proxy, err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("connectproxy: CONNECT %s via %s: %w", target, proxy, err)
	}
	if resp.StatusCode != http.StatusOK {
		c.Close()
		return nil, fmt.Errorf("%w: %s via %s: %s", ErrRefused, target, proxy, resp.Status)
	}
	_ = c.SetDeadline(time.Time{})
	if br.Buffered() > 0 {
		// The far side spoke first and its bytes came with the 200.
		return &bufferedConn{Conn: c, r: br}, nil
	}
	return c, nil
}

// bufferedConn reads what the proxy's reply carried before the socket.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (b *bufferedConn) Read(p []byte) (int, error) { return b.r.Read(p) }
