//go:build !linux

package embedded

import (
	"fmt"
	"net"
)

// deadPort is a loopback TCP address where nothing listens. Off Linux it
// is only a port that was free a moment ago: another socket may take it.
type deadPort struct{ addr string }

func reserveDeadPort() (*deadPort, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("embedded: reserve port: %w", err)
	}
	d := &deadPort{addr: l.Addr().String()}
	return d, l.Close()
}

func (*deadPort) Close() error { return nil }
