package embedded

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"
)

// deadPort is a loopback address, TCP and UDP, that refuses everything for
// as long as it is held. TCP: a socket bound there without SO_REUSEADDR and
// never listening. UDP: a socket bound to the same port and connected to
// port 1, so that the kernel delivers it nothing from anyone else and
// answers every datagram with port unreachable (a refused query). The
// kernel gives that port to no other socket meanwhile, so a dead node's
// address cannot become another fake's (another site started in parallel,
// or a later service of this one) and a connection or query to it is
// always refused, as a dead node's is.
type deadPort struct {
	fds  []int
	addr string
}

// deadPortTries bounds the ports tried for one whose UDP twin is free too.
const deadPortTries = 32

func reserveDeadPort() (*deadPort, error) {
	var last error
	for range deadPortTries {
		d, err := tryDeadPort()
		if err == nil {
			return d, nil
		}
		last = err
		if !errors.Is(err, syscall.EADDRINUSE) {
			break
		}
	}
	return nil, fmt.Errorf("embedded: reserve port: %w", last)
}

func tryDeadPort() (*deadPort, error) {
	d := &deadPort{}
	fail := func(err error) (*deadPort, error) {
		_ = d.Close()
		return nil, err
	}
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	d.fds = append(d.fds, fd)
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return fail(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		return fail(err)
	}
	in4, ok := sa.(*syscall.SockaddrInet4)
	if !ok {
		return fail(fmt.Errorf("unexpected address %T", sa))
	}
	ufd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return fail(err)
	}
	d.fds = append(d.fds, ufd)
	if err := syscall.Bind(ufd, &syscall.SockaddrInet4{Port: in4.Port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return fail(err) // EADDRINUSE: the UDP twin is taken; try another port
	}
	if err := syscall.Connect(ufd, &syscall.SockaddrInet4{Port: 1, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return fail(err)
	}
	d.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(in4.Port))
	return d, nil
}

// Close frees the port; a second Close does nothing (the descriptors may
// already be another file's).
func (d *deadPort) Close() error {
	var errs []error
	for _, fd := range d.fds {
		errs = append(errs, syscall.Close(fd))
	}
	d.fds = nil
	return errors.Join(errs...)
}
