//go:build linux

package embedded

import (
	"errors"
	"net"
	"syscall"
	"testing"
	"time"
)

// A dead node's address refuses connections, and no listener can take its
// port while the site holds it.
func TestDeadPortRefusesAndIsHeld(t *testing.T) {
	d, err := reserveDeadPort()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if c, err := net.Dial("tcp", d.addr); err == nil {
		c.Close()
		t.Fatalf("dial %s: connected to a dead node", d.addr)
	} else if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial %s: %v, want connection refused", d.addr, err)
	}
	if l, err := net.Listen("tcp", d.addr); err == nil {
		l.Close()
		t.Fatalf("listen %s: the dead node's port was free to take", d.addr)
	}
	// UDP: a query is refused (port unreachable), and the port is held.
	c, err := net.Dial("udp", d.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("query")); err != nil {
		t.Fatal(err)
	}
	if err := c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Read(make([]byte, 16)); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("a UDP query to %s: %v, want refused", d.addr, err)
	}
	if p, err := net.ListenPacket("udp", d.addr); err == nil {
		p.Close()
		t.Fatalf("listen udp %s: the dead node's port was free to take", d.addr)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("a second Close: %v", err)
	}
}
