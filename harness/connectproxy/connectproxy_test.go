package connectproxy

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// echo starts a TCP echo server on loopback.
func echo(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); io.Copy(c, c) }()
		}
	}()
	return ln.Addr().String()
}

func start(t *testing.T, opts ...Option) *Server {
	t.Helper()
	s, err := Start(context.Background(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestTunnel(t *testing.T) {
	target := echo(t)
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, &net.Dialer{}, p.Addr(), target)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "hello\n"); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || line != "hello\n" {
		t.Fatalf("echo through the tunnel: %q %v", line, err)
	}
	if got := p.Received(); len(got) != 1 || got[0] != target {
		t.Errorf("Received() = %v", got)
	}
}

func TestRefusals(t *testing.T) {
	p := start(t, WithTimeout(time.Second))
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	deadAddr := dead.Addr().String()
	dead.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := Dial(ctx, &net.Dialer{}, p.Addr(), deadAddr)
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "502") {
		t.Fatalf("unreachable target: want ErrRefused 502, got %v", err)
	}
	_, err = Dial(ctx, &net.Dialer{}, p.Addr(), "no-port")
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "400") {
		t.Fatalf("bad target: want ErrRefused 400, got %v", err)
	}
	for _, raw := range []string{"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "\x16\x03\x01garbage\r\n\r\n"} {
		c, err := net.Dial("tcp", p.Addr())
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, raw)
		b, _ := io.ReadAll(c)
		c.Close()
		if strings.HasPrefix(raw, "GET") && !strings.Contains(string(b), "405") {
			t.Errorf("GET: want 405, got %q", b)
		}
		if !strings.HasPrefix(raw, "GET") && len(b) != 0 {
			t.Errorf("garbage: want the connection closed, got %q", b)
		}
	}
}

// TestDialHonoursContext: a proxy that never answers cannot hang the client.
func TestDialHonoursContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			defer c.Close()
			io.Copy(io.Discard, c) // read, never answer
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := Dial(ctx, &net.Dialer{}, ln.Addr().String(), "127.0.0.1:1"); err == nil {
		t.Fatal("want an error from a silent proxy")
	}
}

// TestCloseEndsTunnels: Close with an open tunnel returns and leaves the
// client's connection closed.
func TestCloseEndsTunnels(t *testing.T) {
	target := echo(t)
	p, err := Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c, err := Dial(context.Background(), &net.Dialer{}, p.Addr(), target)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("tunnel still open after Close")
	}
}
