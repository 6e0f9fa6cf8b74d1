package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"example.com/cutover/harness/fakesite"
)

// writeBundle writes a bundle of the default site, with faults, to a file.
func writeBundle(t *testing.T, faults ...string) string {
	t.Helper()
	plan, reg, err := fakesite.Prepare("test", fakesite.Options{Faults: faults})
	if err != nil {
		t.Fatal(err)
	}
	b, err := fakesite.NewBundle(plan, reg)
	if err != nil {
		t.Fatal(err)
	}
	data, err := b.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "bundle.json")
	if err := os.WriteFile(f, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// start runs the fake in a goroutine and returns its first stdout line.
func start(t *testing.T, args ...string) (line string, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, args, pw, io.Discard)
		pw.Close()
	}()
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		_, _ = io.Copy(io.Discard, pr)
	}()
	select {
	case line = <-lines:
	case c := <-code:
		cancel()
		t.Fatalf("cutover-fake %v exited %d before it was ready", args, c)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatalf("cutover-fake %v: no ready line in 10s", args)
	}
	return line, func() int { cancel(); return <-code }
}

func TestHosts(t *testing.T) {
	bundle := writeBundle(t)
	for _, tc := range []struct {
		role string
		dial func(t *testing.T, addr string)
	}{
		{"dns-inside", func(t *testing.T, addr string) {
			m := new(dns.Msg)
			m.SetQuestion("_cisco-uds._tcp.example.com.", dns.TypeSRV)
			for _, proto := range []string{"udp", "tcp"} {
				r, _, err := (&dns.Client{Net: proto, Timeout: 3 * time.Second}).Exchange(m, addr)
				if err != nil || len(r.Answer) != 3 {
					t.Errorf("dns-inside over %s at %s: want 3 SRV, got %v (err %v)", proto, addr, r, err)
				}
			}
		}},
		{"ucm1.example.com", func(t *testing.T, addrs string) {
			// One listener per port: UDS and OAuth on 8443, SIP OAuth,
			// SIP MRA, devcfg.
			for _, addr := range strings.Split(addrs, ",") {
				c, err := net.DialTimeout("tcp", addr, 3*time.Second)
				if err != nil {
					t.Errorf("ucm1 at %s: %v", addr, err)
					continue
				}
				c.Close()
			}
		}},
	} {
		t.Run(tc.role, func(t *testing.T) {
			line, stop := start(t, "--bundle", bundle, "--host", tc.role, "--loopback")
			addr, ok := strings.CutPrefix(line, "cutover-fake: "+tc.role+" ready on ")
			if !ok {
				t.Fatalf("ready line: got %q", line)
			}
			tc.dial(t, addr)
			if c := stop(); c != 0 {
				t.Errorf("exit status after cancel: want 0, got %d", c)
			}
		})
	}
}

func TestDownHost(t *testing.T) {
	bundle := writeBundle(t, "uds-node-dead")
	line, stop := start(t, "--bundle", bundle, "--host", "ucm3.example.com")
	if want := "cutover-fake: ucm3.example.com down"; line != want {
		t.Errorf("want %q, got %q", want, line)
	}
	if c := stop(); c != 0 {
		t.Errorf("exit status after cancel: want 0, got %d", c)
	}
}

func TestBadUsage(t *testing.T) {
	bundle := writeBundle(t)
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"no host", []string{"--bundle", bundle}, 2},
		{"extra argument", []string{"--bundle", bundle, "--host", "dns-inside", "x"}, 2},
		{"unknown flag", []string{"--nope"}, 2},
		{"unknown host", []string{"--bundle", bundle, "--host", "nosuch.example.com"}, 1},
		{"missing bundle", []string{"--bundle", filepath.Join(t.TempDir(), "none.json"), "--host", "dns-inside"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := run(context.Background(), tc.args, io.Discard, io.Discard); got != tc.want {
				t.Errorf("%v: want exit %d, got %d", tc.args, tc.want, got)
			}
		})
	}
}
