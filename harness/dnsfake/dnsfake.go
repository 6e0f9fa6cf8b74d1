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

	udp *dns.Server
	tcp *dns.Server  // nil with NoTCP
	tl  net.Listener // raw TCP listener used by NoTCP

	done chan struct{} // closed by Close: cancels delays
	wg   sync.WaitGroup

	mu       sync.Mutex
	received []Query
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
	want := 1

	s.udp = &dns.Server{PacketConn: pc, Handler: mux, NotifyStartedFunc: notify}
	s.goServe(s.udp, errs)
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
		for _, srv := range []*dns.Server{s.udp, s.tcp} {
			if srv == nil {
				continue
			}
			if err := srv.Shutdown(); err != nil {
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

// Received returns a copy of the queries received so far, in arrival order.
func (s *Server) Received() []Query {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.received)
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
	s.received = append(s.received, q)
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

	m := s.reply(req)
	if q.Transport == "udp" && !s.cfg.noTruncate {
		size := dns.MinMsgSize
		if opt := req.IsEdns0(); opt != nil && int(opt.UDPSize()) > size {
			size = int(opt.UDPSize())
		}
		m.Truncate(size)
	}
	q.Truncated = m.Truncated
	s.record(q)
	w.WriteMsg(m)
}

// reply builds the full, untruncated answer to req.
func (s *Server) reply(req *dns.Msg) *dns.Msg {
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
	s.zone.Load().answer(qn, m)
	return m
}

// zone is an immutable index of the records by lower-case owner name.
type zone struct {
	names map[string][]dns.RR
	soas  []*dns.SOA
}

func newZone(rrs []dns.RR) (*zone, error) {
	z := &zone{names: map[string][]dns.RR{}}
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
