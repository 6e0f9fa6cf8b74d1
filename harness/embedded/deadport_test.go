//go:build linux

package embedded

import (
	"errors"
	"net"
	"syscall"
	"testing"
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
}
