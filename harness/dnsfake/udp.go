package dnsfake

import (
	"errors"
	"net"
	"runtime"
	"sync"

	"github.com/miekg/dns"
)

// udpServer serves DNS over one UDP socket with a reader per CPU, each
// answering the datagrams it reads itself: no goroutine per query, and
// the readers share the socket (miekg's server reads with one goroutine).
// With async (a server whose replies wait, WithDelay) each query is
// answered in a goroutine of its own, so a slow reply delays no other.
//
// fast, when set, may answer a datagram from a cache of replies keyed by
// the query's bytes after its ID, without parsing it; it reports whether
// it did.
type udpServer struct {
	pc     net.PacketConn
	handle func(dns.ResponseWriter, *dns.Msg)
	fast   func(b []byte, w *udpWriter) bool
	async  bool
	wg     sync.WaitGroup
}

func startUDP(pc net.PacketConn, handle func(dns.ResponseWriter, *dns.Msg), fast func([]byte, *udpWriter) bool, async bool) *udpServer {
	u := &udpServer{pc: pc, handle: handle, fast: fast, async: async}
	n := max(2, runtime.GOMAXPROCS(0))
	u.wg.Add(n)
	for range n {
		go u.read()
	}
	return u
}

func (u *udpServer) read() {
	defer u.wg.Done()
	buf := make([]byte, dns.MaxMsgSize)
	for {
		n, addr, err := u.pc.ReadFrom(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return // closed
		}
		if u.async {
			b := append([]byte(nil), buf[:n]...)
			u.wg.Add(1)
			go func() {
				defer u.wg.Done()
				u.serve(b, addr)
			}()
			continue
		}
		u.serve(buf[:n], addr)
	}
}

// serve answers one datagram as miekg's server would: responses are
// ignored, a query that does not parse gets FORMERR with its ID, a
// datagram too short for a header gets nothing.
func (u *udpServer) serve(b []byte, addr net.Addr) {
	if len(b) < 12 || b[2]&0x80 != 0 {
		return
	}
	w := &udpWriter{pc: u.pc, addr: addr, raw: b}
	if u.fast != nil && u.fast(b, w) {
		return
	}
	req := new(dns.Msg)
	if err := req.Unpack(b); err != nil {
		m := new(dns.Msg)
		m.Id = uint16(b[0])<<8 | uint16(b[1])
		m.Response, m.Opcode = true, int(b[2]>>3)&0xf
		m.Rcode = dns.RcodeFormatError
		w.WriteMsg(m)
		return
	}
	u.handle(w, req)
}

func (u *udpServer) Close() error {
	err := u.pc.Close()
	u.wg.Wait()
	return err
}

// udpWriter answers one datagram; raw is the query as received.
type udpWriter struct {
	pc   net.PacketConn
	addr net.Addr
	raw  []byte
}

func (w *udpWriter) LocalAddr() net.Addr  { return w.pc.LocalAddr() }
func (w *udpWriter) RemoteAddr() net.Addr { return w.addr }
func (w *udpWriter) WriteMsg(m *dns.Msg) error {
	b, err := m.Pack()
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
func (w *udpWriter) Write(b []byte) (int, error) { return w.pc.WriteTo(b, w.addr) }
func (w *udpWriter) Close() error                { return nil }
func (w *udpWriter) TsigStatus() error           { return nil }
func (w *udpWriter) TsigTimersOnly(bool)         {}
func (w *udpWriter) Hijack()                     {}
