// Package dnsfake is an authoritative DNS server for tests. It serves zone
// data given as records or master-file text over real UDP and TCP sockets on
// one loopback port, records what it was asked, and can misbehave on demand
// (faults are named options: NoTCP, WithDelay, DropEvery, WithRcode,
// Garbage, NoTruncate).
package dnsfake

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// GarbageReply is what the Garbage fault sends instead of a DNS message: the
// start of an HTTP error, as a confused middlebox might answer.
const GarbageReply = "HTTP/1.1 400 Bad Request\r\n\r\n"

// bindAttempts bounds the retries when the kernel-chosen TCP port is already
// taken for UDP.
const bindAttempts = 10

// Query is one query the server received.
type Query struct {
	Name      string // question name as sent (case kept)
	Type      uint16 // question type, e.g. dns.TypeSRV
	Transport string // "udp" or "tcp"
	Truncated bool   // the reply had TC set
	// At is when the query arrived.
	At time.Time
}

// Server is a running fake. Its methods are safe for concurrent use.
type Server struct {
	cfg  *config
	addr string
	zone atomic.Pointer[zone]

	udp *udpServer
	tcp *dns.Server  // nil with NoTCP
	tl  net.Listener // raw TCP listener used by NoTCP

	done chan struct{} // closed by Close: cancels delays
	wg   sync.WaitGroup

	mu       sync.Mutex
	received []Query // the last MaxRecorded queries, a ring from start
	start    int
	count    int

	closeOnce sync.Once
	closeErr  error
}

// Start binds UDP and TCP on the same port and returns once both serve.
// With the default address the TCP port is chosen by the kernel and UDP
// binds the same number, retrying with a new port when that UDP port is
// taken. ctx bounds only the start-up; use Close to stop the server.
func Start(ctx context.Context, opts ...Option) (*Server, error) {
	cfg := defaultConfig()
	for _, opt := range opts {
		if err := opt(cfg); err != nil {
			return nil, err
		}
	}
	z, err := newZone(cfg.records)
	if err != nil {
		return nil, err
	}
	tl, pc, err := bind(cfg.addr)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:  cfg,
		addr: tl.Addr().String(),
		done: make(chan struct{}),
	}
	s.zone.Store(z)

	mux := dns.NewServeMux()
	mux.HandleFunc(".", s.serveDNS)

	started := make(chan struct{}, 2)
	notify := func() { started <- struct{}{} }
	errs := make(chan error, 2)
	want := 0

	s.udp = startUDP(pc, s.serveDNS, s.fastUDP, cfg.delay > 0)
	if cfg.noTCP {
		s.tl = tl
		s.wg.Add(1)
		go s.rejectTCP(tl)
	} else {
		s.tcp = &dns.Server{Listener: tl, Handler: mux, NotifyStartedFunc: notify, MaxTCPQueries: -1}
		s.goServe(s.tcp, errs)
		want++
	}

	for range want {
		select {
		case <-started:
		case err := <-errs:
			s.Close()
			return nil, fmt.Errorf("dnsfake: serve: %w", err)
		case <-ctx.Done():
			s.Close()
			return nil, fmt.Errorf("dnsfake: start: %w", ctx.Err())
		}
	}
	return s, nil
}

func (s *Server) goServe(srv *dns.Server, errs chan<- error) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := srv.ActivateAndServe(); err != nil {
			errs <- err
		}
	}()
}

// bind listens on TCP first, then UDP on the same port.
func bind(addr string) (net.Listener, net.PacketConn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("dnsfake: listen: %w", err)
	}
	attempts := 1
	if port == "0" {
		attempts = bindAttempts
	}
	var lastErr error
	for range attempts {
		tl, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("dnsfake: listen tcp: %w", err)
		}
		p := tl.Addr().(*net.TCPAddr).Port
		pc, err := net.ListenPacket("udp", net.JoinHostPort(host, strconv.Itoa(p)))
		if err == nil {
			return tl, pc, nil
		}
		tl.Close()
		lastErr = err
	}
	return nil, nil, fmt.Errorf("dnsfake: listen udp: %w", lastErr)
}

// rejectTCP accepts and closes at once, until the listener is closed.
func (s *Server) rejectTCP(l net.Listener) {
	defer s.wg.Done()
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		c.Close()
	}
}

// Addr returns "127.0.0.1:<port>"; the port is the same for UDP and TCP.
func (s *Server) Addr() string { return s.addr }

// Close stops both listeners, cancels delayed replies and waits for every
// goroutine of the server. It is idempotent and returns the first result
// on every call.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.done)
		var errs []error
		if err := s.udp.Close(); err != nil {
			errs = append(errs, fmt.Errorf("dnsfake: close: %w", err))
		}
		if s.tcp != nil {
			if err := s.tcp.Shutdown(); err != nil {
				errs = append(errs, fmt.Errorf("dnsfake: close: %w", err))
			}
		}
		if s.tl != nil {
			if err := s.tl.Close(); err != nil {
				errs = append(errs, fmt.Errorf("dnsfake: close: %w", err))
			}
		}
		s.wg.Wait()
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// MaxRecorded bounds the queries Received keeps: the last 65536, so a
// load test does not grow the fake without end. Count has the total.
const MaxRecorded = 1 << 16

// Received returns a copy of the queries received so far (the last
// MaxRecorded of them), in arrival order.
func (s *Server) Received() []Query {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append(slices.Clone(s.received[s.start:]), s.received[:s.start]...)
}

// Count is how many queries the server has received in all.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// SetRecords atomically replaces the zone data, e.g. to re-point an SRV
// record in the middle of a test. Queries in flight see either the old or
// the new data, never a mix. Nil records are skipped.
func (s *Server) SetRecords(rrs []dns.RR) {
	z, _ := newZone(slices.DeleteFunc(slices.Clone(rrs), func(rr dns.RR) bool { return rr == nil }))
	s.zone.Store(z)
}

func (s *Server) record(q Query) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recordLocked(q)
}

func (s *Server) recordLocked(q Query) {
	if len(s.received) < MaxRecorded {
		s.received = append(s.received, q)
		return
	}
	s.received[s.start] = q
	s.start = (s.start + 1) % MaxRecorded
}

// next counts a query and reports whether it is to be dropped.
func (s *Server) next() (drop bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count++
	return s.cfg.dropEvery > 0 && s.count%s.cfg.dropEvery == 0
}

func (s *Server) serveDNS(w dns.ResponseWriter, req *dns.Msg) {
	q := Query{Transport: "udp", At: time.Now()}
	if _, ok := w.RemoteAddr().(*net.TCPAddr); ok {
		q.Transport = "tcp"
	}
	if len(req.Question) > 0 {
		q.Name, q.Type = req.Question[0].Name, req.Question[0].Qtype
	}
	if s.next() {
		s.record(q)
		return
	}
	if s.cfg.delay > 0 {
		t := time.NewTimer(s.cfg.delay)
		select {
		case <-s.done:
			t.Stop()
			s.record(q)
			return
		case <-t.C:
		}
	}
	if s.cfg.garbage {
		s.record(q)
		w.Write([]byte(GarbageReply))
		return
	}

	z := s.zone.Load()
	key, cacheable := cacheKey(req, q.Transport)
	if cacheable {
		if c, ok := z.cached(key); ok {
			q.Truncated = c.truncated
			s.record(q)
			b := make([]byte, len(c.wire))
			copy(b, c.wire)
			b[0], b[1] = byte(req.Id>>8), byte(req.Id)
			w.Write(b)
			return
		}
	}
	m := s.reply(z, req)
	if q.Transport == "udp" && !s.cfg.noTruncate {
		size := dns.MinMsgSize
		if opt := req.IsEdns0(); opt != nil && int(opt.UDPSize()) > size {
			size = int(opt.UDPSize())
		}
		m.Truncate(size)
	}
	q.Truncated = m.Truncated
	s.record(q)
	wire, err := m.Pack()
	if err != nil {
		w.WriteMsg(m)
		return
	}
	if cacheable {
		c := cachedReply{wire: wire, truncated: m.Truncated, name: q.Name, qtype: q.Type}
		z.store(key, c)
		if uw, ok := w.(*udpWriter); ok && len(uw.raw) > 2 {
			z.storeWire(string(uw.raw[2:]), c)
		}
	}
	w.Write(wire)
}

// fastUDP finds the reply to a UDP query whose bytes (after the ID) were
// answered before, in the zone's cache, without parsing it, and counts and
// records the query; not with faults that make replies differ from one
// query to the next (drops, delays, garbage). The reply's ID is the
// cached query's: the caller sets it.
func (s *Server) fastUDP(b []byte) ([]byte, bool) {
	if s.cfg.delay > 0 || s.cfg.garbage || s.cfg.dropEvery > 0 {
		return nil, false
	}
	c, ok := s.zone.Load().cachedWire(b[2:])
	if !ok {
		return nil, false
	}
	q := Query{Name: c.name, Type: c.qtype, Transport: "udp", Truncated: c.truncated, At: time.Now()}
	s.mu.Lock()
	s.count++
	s.recordLocked(q)
	s.mu.Unlock()
	return c.wire, true
}

// cachedReply is a packed reply, its ID to be set per query.
type cachedReply struct {
	wire      []byte
	truncated bool
	// name and qtype are the question, for Received.
	name  string
	qtype uint16
}

// maxCached bounds the reply cache of one zone: queries for ever new
// names (a fuzzer, a scan) are answered without being cached.
const maxCached = 4096

// cacheKey is what a reply depends on besides the zone: the question as
// sent (its case is echoed), the flags SetReply copies, EDNS0 and the
// transport (truncation). Queries with several questions or other opcodes
// are not cached.
func cacheKey(req *dns.Msg, transport string) (string, bool) {
	if len(req.Question) != 1 || req.Opcode != dns.OpcodeQuery || len(req.Answer)+len(req.Ns) > 0 {
		return "", false
	}
	q := req.Question[0]
	b := make([]byte, 0, len(q.Name)+32)
	b = append(b, q.Name...)
	b = append(b, 0, byte(q.Qtype>>8), byte(q.Qtype), byte(q.Qclass>>8), byte(q.Qclass), flag(req.RecursionDesired), flag(req.CheckingDisabled))
	b = append(b, transport...)
	if len(req.Extra) > 0 {
		opt := req.IsEdns0()
		if opt == nil || len(req.Extra) > 1 || len(opt.Option) > 0 {
			return "", false
		}
		b = append(b, 'E', byte(opt.UDPSize()>>8), byte(opt.UDPSize()), flag(opt.Do()), opt.Version())
	}
	return string(b), true
}

func flag(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// reply builds the full, untruncated answer to req from z.
func (s *Server) reply(z *zone, req *dns.Msg) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(req)
	m.RecursionAvailable = false
	if opt := req.IsEdns0(); opt != nil {
		size := opt.UDPSize()
		if size < dns.MinMsgSize {
			size = dns.MinMsgSize
		}
		defer m.SetEdns0(size, opt.Do())
	}
	if req.Opcode != dns.OpcodeQuery {
		m.SetRcode(req, dns.RcodeNotImplemented)
		return m
	}
	if len(req.Question) != 1 {
		m.SetRcode(req, dns.RcodeFormatError)
		return m
	}
	qn := req.Question[0]
	if rc, ok := s.cfg.rcodes[canonical(qn.Name)]; ok {
		m.SetRcode(req, rc)
		return m
	}
	m.Authoritative = true
	z.answer(qn, m)
	return m
}

// zone is an immutable index of the records by lower-case owner name.
type zone struct {
	names map[string][]dns.RR
	soas  []*dns.SOA

	// replies caches packed replies (up to maxCached): the zone never
	// changes, so neither do they. SetRecords makes a new zone.
	mu      sync.RWMutex
	replies map[string]cachedReply
	// wire caches UDP replies by the query's bytes after its ID.
	wire map[string]cachedReply
}

// cachedWire looks up a UDP query's bytes after its ID; it indexes the map
// itself, so the key is not allocated (through lookup it would be).
func (z *zone) cachedWire(b []byte) (cachedReply, bool) {
	z.mu.RLock()
	defer z.mu.RUnlock()
	c, ok := z.wire[string(b)]
	return c, ok
}

func (z *zone) storeWire(key string, c cachedReply) { z.put(z.wire, key, c) }

func (z *zone) cached(key string) (cachedReply, bool) { return z.lookup(z.replies, key) }

func (z *zone) store(key string, c cachedReply) { z.put(z.replies, key, c) }

// lookup and put read and fill one of the zone's two caches under its lock;
// put keeps each cache to maxCached replies.
func (z *zone) lookup(m map[string]cachedReply, key string) (cachedReply, bool) {
	z.mu.RLock()
	defer z.mu.RUnlock()
	c, ok := m[key]
	return c, ok
}

func (z *zone) put(m map[string]cachedReply, key string, c cachedReply) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if len(m) < maxCached {
		m[key] = c
	}
}

func newZone(rrs []dns.RR) (*zone, error) {
	z := &zone{names: map[string][]dns.RR{}, replies: map[string]cachedReply{}, wire: map[string]cachedReply{}}
	for i, rr := range rrs {
		if rr == nil {
			return nil, fmt.Errorf("dnsfake: records: record %d is nil", i)
		}
		name := canonical(rr.Header().Name)
		z.names[name] = append(z.names[name], dns.Copy(rr))
		if soa, ok := rr.(*dns.SOA); ok {
			z.soas = append(z.soas, soa)
		}
	}
	return z, nil
}

// soaFor returns the SOA of the closest enclosing zone of name, or nil.
func (z *zone) soaFor(name string) *dns.SOA {
	var best *dns.SOA
	for _, soa := range z.soas {
		if dns.IsSubDomain(soa.Hdr.Name, name) &&
			(best == nil || dns.CountLabel(soa.Hdr.Name) > dns.CountLabel(best.Hdr.Name)) {
			best = soa
		}
	}
	return best
}

// maxChase bounds CNAME chasing inside the data (loops included).
const maxChase = 16

// answer fills m the way an authoritative server would.
func (z *zone) answer(q dns.Question, m *dns.Msg) {
	name := canonical(q.Name)
	seen := map[string]bool{}
	for i := 0; i < maxChase && !seen[name]; i++ {
		seen[name] = true
		rrs, ok := z.names[name]
		if !ok {
			soa := z.soaFor(name)
			// The first name is ours by definition; a CNAME target is only
			// known not to exist inside a zone we hold the SOA of.
			if i == 0 || soa != nil {
				m.Rcode = dns.RcodeNameError
			}
			if soa != nil {
				m.Ns = append(m.Ns, soa)
			}
			return
		}
		var match []dns.RR
		var cname *dns.CNAME
		for _, rr := range rrs {
			t := rr.Header().Rrtype
			if t == q.Qtype || q.Qtype == dns.TypeANY {
				match = append(match, rr)
			}
			if c, ok := rr.(*dns.CNAME); ok {
				cname = c
			}
		}
		if len(match) > 0 {
			m.Answer = append(m.Answer, match...)
			z.additional(match, m)
			return
		}
		if cname == nil {
			if soa := z.soaFor(name); soa != nil {
				m.Ns = append(m.Ns, soa)
			}
			return
		}
		m.Answer = append(m.Answer, cname)
		name = canonical(cname.Target)
	}
}

// additional adds the A and AAAA records of SRV targets found in the data.
func (z *zone) additional(answer []dns.RR, m *dns.Msg) {
	done := map[string]bool{}
	for _, rr := range answer {
		srv, ok := rr.(*dns.SRV)
		if !ok {
			continue
		}
		t := canonical(srv.Target)
		if done[t] {
			continue
		}
		done[t] = true
		for _, a := range z.names[t] {
			if typ := a.Header().Rrtype; typ == dns.TypeA || typ == dns.TypeAAAA {
				m.Extra = append(m.Extra, a)
			}
		}
	}
}
