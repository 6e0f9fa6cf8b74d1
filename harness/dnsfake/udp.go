package dnsfake

import (
	"errors"
	"net"
	"runtime"
	"sync"

	"github.com/miekg/dns"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// udpServer serves DNS over one UDP socket with a reader per two CPUs
// (at least one), each answering the datagrams it reads itself: no
// goroutine per query. Each reader takes up to batchSize datagrams per
// system call and sends the replies found in the cache together (recvmmsg
// and sendmmsg on Linux, one datagram per call elsewhere). Under dnsperf
// on 2 cores one reader answers 115,000 queries/s and two 101,000 (they
// contend for the socket, and the load generator needs the other core);
// batches of 16 against one datagram per call: 115,000 against 103,000. With async (a server whose
// replies wait, WithDelay) each query is answered in a goroutine of its
// own, so a slow reply delays no other.
//
// fast, when set, finds the reply to a datagram in a cache of replies
// keyed by the query's bytes after its ID, without parsing it; the reply
// is shared, its ID to be set.
type udpServer struct {
	pc     net.PacketConn
	bc     batchConn // nil: one datagram per read (async, or not a UDPConn)
	handle func(dns.ResponseWriter, *dns.Msg)
	fast   func(b []byte) ([]byte, bool)
	async  bool
	wg     sync.WaitGroup
}

// batchConn is ipv4.PacketConn or ipv6.PacketConn (their Message is one
// type).
type batchConn interface {
	ReadBatch(ms []ipv4.Message, flags int) (int, error)
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

// batchSize datagrams of at most slotSize bytes are read at once: a query
// carries one question, so 4096 bytes hold any a resolver sends; a larger
// one is answered FORMERR (miekg's server reads only 512 bytes of one).
// Without batches (WithDelay) a datagram is read whole, up to 65535.
const (
	batchSize = 16
	slotSize  = 4096
)

func startUDP(pc net.PacketConn, handle func(dns.ResponseWriter, *dns.Msg), fast func([]byte) ([]byte, bool), async bool) *udpServer {
	u := &udpServer{pc: pc, handle: handle, fast: fast, async: async}
	if uc, ok := pc.(*net.UDPConn); ok && !async {
		if a, ok := uc.LocalAddr().(*net.UDPAddr); ok && a.IP.To4() == nil {
			u.bc = ipv6.NewPacketConn(uc)
		} else {
			u.bc = ipv4.NewPacketConn(uc)
		}
	}
	n := max(1, runtime.GOMAXPROCS(0)/2)
	u.wg.Add(n)
	for range n {
		if u.bc != nil {
			go u.readBatches()
		} else {
			go u.read()
		}
	}
	return u
}

func (u *udpServer) read() {
	defer u.wg.Done()
	buf := make([]byte, dns.MaxMsgSize)
	for {
		n, addr, err := u.pc.ReadFrom(buf)
		if err != nil {
			if timeout(err) {
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

func timeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// readBatches reads up to batchSize datagrams at once; the ones the cache
// answers are replied to in one batch, the others one by one as read
// answers them.
func (u *udpServer) readBatches() {
	defer u.wg.Done()
	in := make([]ipv4.Message, batchSize)
	for i := range in {
		in[i].Buffers = [][]byte{make([]byte, slotSize+1)} // +1: a longer datagram shows
	}
	out := make([]ipv4.Message, batchSize)
	replies := make([][]byte, batchSize)
	for i := range out {
		out[i].Buffers = make([][]byte, 1)
	}
	for {
		n, err := u.bc.ReadBatch(in, 0)
		if err != nil {
			if timeout(err) {
				continue
			}
			return // closed
		}
		k := 0
		for _, m := range in[:n] {
			b := m.Buffers[0][:m.N]
			if m.N > slotSize || len(b) < 12 || b[2]&0x80 != 0 || u.fast == nil {
				u.answer(b, m.Addr)
				continue
			}
			wire, ok := u.fast(b)
			if !ok {
				u.answer(b, m.Addr)
				continue
			}
			replies[k] = append(replies[k][:0], wire...)
			replies[k][0], replies[k][1] = b[0], b[1]
			out[k].Buffers[0], out[k].Addr = replies[k], m.Addr
			k++
		}
		for sent := 0; sent < k; {
			w, err := u.bc.WriteBatch(out[sent:k], 0)
			switch {
			case err != nil:
				sent += w + 1 // that reply is lost, as a datagram may be
			case w == 0:
				sent = k
			default:
				sent += w
			}
		}
	}
}

// serve answers one datagram as miekg's server would: responses are
// ignored, a query that does not parse (or does not fit slotSize) gets
// FORMERR with its ID, a datagram too short for a header gets nothing.
func (u *udpServer) serve(b []byte, addr net.Addr) {
	if len(b) < 12 || b[2]&0x80 != 0 {
		return
	}
	if u.fast != nil {
		if wire, ok := u.fast(b); ok {
			out := append([]byte(nil), wire...)
			out[0], out[1] = b[0], b[1]
			_, _ = u.pc.WriteTo(out, addr)
			return
		}
	}
	u.answer(b, addr)
}

// answer parses and answers one datagram, without the cache.
func (u *udpServer) answer(b []byte, addr net.Addr) {
	if len(b) < 12 || b[2]&0x80 != 0 {
		return
	}
	w := &udpWriter{pc: u.pc, addr: addr, raw: b}
	req := new(dns.Msg)
	if err := req.Unpack(b); err != nil || (u.bc != nil && len(b) > slotSize) {
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
