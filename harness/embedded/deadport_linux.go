package embedded

import (
	"fmt"
	"net"
	"strconv"
	"syscall"
)

// deadPort is a loopback TCP address that refuses every connection for as
// long as it is held: a socket bound there without SO_REUSEADDR and never
// listening. The kernel gives that port to no other socket meanwhile, so a
// dead node's address cannot become another fake's (another site started
// in parallel, or a later service of this one) and a dial to it is always
// refused, as a dead node's is.
type deadPort struct {
	fd   int
	addr string
}

func reserveDeadPort() (*deadPort, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("embedded: reserve port: %w", err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		_ = syscall.Close(fd)
		return nil, fmt.Errorf("embedded: reserve port: %w", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		_ = syscall.Close(fd)
		return nil, fmt.Errorf("embedded: reserve port: %w", err)
	}
	in4, ok := sa.(*syscall.SockaddrInet4)
	if !ok {
		_ = syscall.Close(fd)
		return nil, fmt.Errorf("embedded: reserve port: unexpected address %T", sa)
	}
	return &deadPort{fd: fd, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(in4.Port))}, nil
}

func (d *deadPort) Close() error { return syscall.Close(d.fd) }
