// Package dnsclient is the DNS side of the discovery client: it asks one
// server over UDP, retries over TCP when the UDP reply is truncated (which
// miekg/dns's Client does not), turns replies into SRV records and
// addresses with the errors discovery checks need (NXDOMAIN, NODATA, "."
// target, rcodes), and orders SRV records per RFC 2782.
package dnsclient

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// DefaultTimeout bounds one exchange (one transport) unless WithTimeout says
// otherwise.
const DefaultTimeout = 5 * time.Second

// maxFollow bounds the extra queries LookupHost sends to chase CNAMEs.
const maxFollow = 8

// Sentinel errors; returned errors wrap them with the name and the server.
var (
	// ErrNXDomain: the name does not exist (rcode NXDOMAIN).
	ErrNXDomain = errors.New("name does not exist (NXDOMAIN)")
	// ErrNoData: the name exists but has no record of the asked type.
	ErrNoData = errors.New("no records of that type (NODATA)")
	// ErrServiceAbsent: a single SRV with target "." (RFC 2782: the service
	// is decidedly not available at this domain).
	ErrServiceAbsent = errors.New(`service decidedly not available (SRV target ".")`)
	// ErrBadReply: the reply is not a parseable DNS response.
	ErrBadReply = errors.New("malformed reply")
)

// RcodeError is a reply with an rcode other than NOERROR or NXDOMAIN, such
// as SERVFAIL or REFUSED.
type RcodeError struct {
	Name   string
	Type   uint16 // question type; 0 leaves it out of Error
	Rcode  int
	Server string
}

func (e *RcodeError) Error() string {
	rc, ok := dns.RcodeToString[e.Rcode]
	if !ok {
		rc = fmt.Sprintf("RCODE%d", e.Rcode)
	}
	if e.Type == 0 {
		return fmt.Sprintf("dnsclient: %s: %s from %s", e.Name, rc, e.Server)
	}
	return fmt.Sprintf("dnsclient: %s %s: %s from %s", e.Name, typeString(e.Type), rc, e.Server)
}

// Client asks one DNS server. It holds no connection: each exchange dials
// afresh, so a Client is safe for concurrent use.
type Client struct {
	server  string
	timeout time.Duration
	udpSize uint16
	before  func(ctx context.Context, network, server string) error
}

// Option configures a Client.
type Option func(*Client)

// WithTimeout bounds each exchange (UDP and the TCP retry each get d).
// Default 5s; the ctx deadline also applies and the shorter one wins.
// Values <= 0 keep the default.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// WithUDPSize advertises an EDNS0 UDP payload size of n. 0 (the default)
// sends no OPT record, so replies over 512 bytes come back truncated, as
// they do for a plain stub resolver.
func WithUDPSize(n uint16) Option {
	return func(c *Client) { c.udpSize = n }
}

// WithBefore calls f before every datagram or connection the client sends
// (a UDP query, the TCP retry, each of A and AAAA): a rate limiter that
// must count packets, not lookups. An error from f is the exchange's.
func WithBefore(f func(ctx context.Context, network, server string) error) Option {
	return func(c *Client) { c.before = f }
}

// New returns a client for server ("ip:port").
func New(server string, opts ...Option) *Client {
	c := &Client{server: server, timeout: DefaultTimeout}
	for _, opt := range opts {
		opt(c)
	}
	return c
}

// Server returns the "ip:port" the client asks.
func (c *Client) Server() string { return c.server }

// Answer is one reply with where and how it came.
type Answer struct {
	Msg          *dns.Msg
	Server       string
	Transport    string // "udp" or "tcp": how Msg arrived
	TruncatedUDP bool   // the UDP reply had TC set and TCP was used
	RTT          time.Duration
	// Size is the reply's length on the wire, in bytes.
	Size int
}

// Exchange asks name/qtype over UDP and, when the reply has TC set, asks the
// same question again over TCP. Any rcode is a successful exchange: callers
// judge the rcode (LookupSRV and LookupHost do). A reply that does not
// parse is an error wrapping ErrBadReply. When the TCP retry fails, the
// truncated UDP answer is returned with the error.
func (c *Client) Exchange(ctx context.Context, name string, qtype uint16) (*Answer, error) {
	q := c.query(name, qtype)
	a, err := c.roundTrip(ctx, "udp", q)
	if err != nil {
		return nil, err
	}
	if !a.Msg.Truncated {
		return a, nil
	}
	t, err := c.roundTrip(ctx, "tcp", q)
	if err != nil {
		return a, fmt.Errorf("dnsclient: %s %s: udp reply truncated, tcp retry failed: %w", q.Question[0].Name, typeString(qtype), err)
	}
	t.TruncatedUDP = true
	return t, nil
}

// ExchangeTCP asks name/qtype over TCP only, e.g. to check that a site
// serves DNS over TCP.
func (c *Client) ExchangeTCP(ctx context.Context, name string, qtype uint16) (*Answer, error) {
	return c.roundTrip(ctx, "tcp", c.query(name, qtype))
}

func (c *Client) query(name string, qtype uint16) *dns.Msg {
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(name), qtype)
	if c.udpSize > 0 {
		q.SetEdns0(c.udpSize, false)
	}
	return q
}

// ctxErr is ctx.Err, also when the deadline has passed but the context's
// timer has not fired yet (the socket deadline may win that race).
func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		return context.DeadlineExceeded
	}
	return nil
}

// roundTrip sends q over network and reads one reply to it.
func (c *Client) roundTrip(ctx context.Context, network string, q *dns.Msg) (*Answer, error) {
	qn := q.Question[0]
	fail := func(op string, err error) error {
		if cerr := ctxErr(ctx); cerr != nil {
			return fmt.Errorf("dnsclient: %s %s: %s %s %s: %w (%w)", qn.Name, typeString(qn.Qtype), network, op, c.server, err, cerr)
		}
		return fmt.Errorf("dnsclient: %s %s: %s %s %s: %w", qn.Name, typeString(qn.Qtype), network, op, c.server, err)
	}
	if c.before != nil {
		if err := c.before(ctx, network, c.server); err != nil {
			return nil, fail("send", err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	start := time.Now()
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, c.server)
	if err != nil {
		return nil, fail("dial", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	// Cancellation of ctx unblocks reads and writes at once.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	q.Id = dns.Id()
	wire, err := q.Pack()
	if err != nil {
		return nil, fail("pack", err)
	}
	var m *dns.Msg
	var size int
	if network == "tcp" {
		m, size, err = exchangeTCP(conn, wire)
	} else {
		m, size, err = exchangeUDP(conn, wire, q.Id)
	}
	if err != nil {
		if errors.Is(err, ErrBadReply) {
			return nil, fail("reply from", err)
		}
		return nil, fail("exchange with", err)
	}
	return &Answer{Msg: m, Server: c.server, Transport: network, RTT: time.Since(start), Size: size}, nil
}

func exchangeUDP(conn net.Conn, wire []byte, id uint16) (*dns.Msg, int, error) {
	if _, err := conn.Write(wire); err != nil {
		return nil, 0, err
	}
	buf := make([]byte, dns.MaxMsgSize)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			return nil, 0, err
		}
		m, err := unpackReply(buf[:n])
		if err != nil {
			// The socket is connected: only the server can have sent this.
			return nil, 0, err
		}
		if m.Id == id {
			return m, n, nil
		}
		// A late reply to an earlier query: keep waiting for ours.
	}
}

func exchangeTCP(conn net.Conn, wire []byte) (*dns.Msg, int, error) {
	out := make([]byte, 2+len(wire))
	binary.BigEndian.PutUint16(out, uint16(len(wire)))
	copy(out[2:], wire)
	if _, err := conn.Write(out); err != nil {
		return nil, 0, err
	}
	var l [2]byte
	if _, err := io.ReadFull(conn, l[:]); err != nil {
		return nil, 0, err
	}
	in := make([]byte, binary.BigEndian.Uint16(l[:]))
	if _, err := io.ReadFull(conn, in); err != nil {
		return nil, 0, err
	}
	m, err := unpackReply(in)
	return m, len(in), err
}

// unpackReply turns wire bytes into a reply message; never panics.
func unpackReply(b []byte) (*dns.Msg, error) {
	m := new(dns.Msg)
	if err := m.Unpack(b); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadReply, err)
	}
	if !m.Response {
		return nil, fmt.Errorf("%w: QR bit not set", ErrBadReply)
	}
	return m, nil
}

// rcodeErr maps a reply's rcode to nil (NOERROR), ErrNXDomain or an
// *RcodeError.
func rcodeErr(m *dns.Msg, name string, qtype uint16, server string) error {
	switch m.Rcode {
	case dns.RcodeSuccess:
		return nil
	case dns.RcodeNameError:
		return fmt.Errorf("dnsclient: %s %s: %w from %s", name, typeString(qtype), ErrNXDomain, server)
	default:
		return &RcodeError{Name: name, Type: qtype, Rcode: m.Rcode, Server: server}
	}
}

// chase follows the CNAMEs for name inside m and returns the final name and
// the targets passed through.
func chase(m *dns.Msg, name string) (string, []string) {
	var chain []string
	seen := map[string]bool{strings.ToLower(name): true}
	for range len(m.Answer) {
		next := ""
		for _, rr := range m.Answer {
			if c, ok := rr.(*dns.CNAME); ok && strings.EqualFold(c.Hdr.Name, name) {
				next = c.Target
				break
			}
		}
		if next == "" || seen[strings.ToLower(next)] {
			break
		}
		seen[strings.ToLower(next)] = true
		chain = append(chain, next)
		name = next
	}
	return name, chain
}

// LookupHost asks A and AAAA for host and merges the addresses, IPv4 first.
// CNAMEs are followed inside each answer and, when the answer stops at a
// CNAME, with up to 8 further queries. cnames lists the CNAME targets passed
// through, in order (host → cnames[0] → cnames[1] ...), empty if none.
// NXDOMAIN wraps ErrNXDomain; no address at all wraps ErrNoData. If either
// family yields addresses, errors of the other are dropped.
func (c *Client) LookupHost(ctx context.Context, host string) (addrs []netip.Addr, cnames []string, err error) {
	var errs [2]error
	for i, qt := range []uint16{dns.TypeA, dns.TypeAAAA} {
		got, chain, err := c.lookupAddr(ctx, dns.Fqdn(host), qt)
		addrs = append(addrs, got...)
		for _, n := range chain {
			if !slices.Contains(cnames, n) {
				cnames = append(cnames, n)
			}
		}
		errs[i] = err
	}
	if len(addrs) > 0 {
		return addrs, cnames, nil
	}
	for _, e := range errs {
		if errors.Is(e, ErrNXDomain) {
			return nil, cnames, e
		}
	}
	for _, e := range errs {
		if e != nil && !errors.Is(e, ErrNoData) {
			return nil, cnames, e
		}
	}
	return nil, cnames, fmt.Errorf("dnsclient: %s A/AAAA: %w from %s", dns.Fqdn(host), ErrNoData, c.server)
}

func (c *Client) lookupAddr(ctx context.Context, name string, qtype uint16) ([]netip.Addr, []string, error) {
	var chain []string
	for range 1 + maxFollow {
		a, err := c.Exchange(ctx, name, qtype)
		if err != nil {
			return nil, chain, err
		}
		if err := rcodeErr(a.Msg, name, qtype, a.Server); err != nil {
			return nil, chain, err
		}
		final, more := chase(a.Msg, name)
		chain = append(chain, more...)
		addrs := addrsAt(a.Msg, final, qtype)
		if len(addrs) > 0 {
			return addrs, chain, nil
		}
		if len(more) == 0 {
			return nil, chain, fmt.Errorf("dnsclient: %s %s: %w from %s", name, typeString(qtype), ErrNoData, a.Server)
		}
		if slices.Contains(chain[:len(chain)-len(more)], final) || strings.EqualFold(final, name) {
			return nil, chain, fmt.Errorf("dnsclient: %s %s: cname loop via %s", name, typeString(qtype), final)
		}
		name = final
	}
	return nil, chain, fmt.Errorf("dnsclient: %s %s: cname chain longer than %d queries", name, typeString(qtype), 1+maxFollow)
}

func addrsAt(m *dns.Msg, name string, qtype uint16) []netip.Addr {
	var out []netip.Addr
	for _, rr := range m.Answer {
		if !strings.EqualFold(rr.Header().Name, name) {
			continue
		}
		switch rr := rr.(type) {
		case *dns.A:
			if a, ok := netip.AddrFromSlice(rr.A.To4()); ok && qtype == dns.TypeA {
				out = append(out, a)
			}
		case *dns.AAAA:
			if a, ok := netip.AddrFromSlice(rr.AAAA.To16()); ok && qtype == dns.TypeAAAA {
				out = append(out, a)
			}
		}
	}
	return out
}

// Resolver returns a pure-Go net.Resolver whose every query goes to this
// client's server (UDP or TCP as the resolver chooses), each dial bounded by
// the client's timeout. Give it to a net.Dialer for http.Transport and
// friends. The Go resolver still reads /etc/hosts first and applies the
// search list to relative names: use fully qualified names.
func (c *Client) Resolver() *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			d := net.Dialer{Timeout: c.timeout}
			return d.DialContext(ctx, network, c.server)
		},
	}
}

// String renders the reply dig-style for evidence: a line on where it came
// from, the header, the question and every section. Nil-safe.
func (a *Answer) String() string {
	if a == nil || a.Msg == nil {
		return ";; no reply"
	}
	m := a.Msg
	var b strings.Builder
	fmt.Fprintf(&b, ";; SERVER: %s (%s), rtt %v", a.Server, a.Transport, a.RTT.Round(time.Microsecond))
	if a.TruncatedUDP {
		b.WriteString(", udp reply truncated, retried over tcp")
	}
	b.WriteByte('\n')
	rc, ok := dns.RcodeToString[m.Rcode]
	if !ok {
		rc = fmt.Sprintf("RCODE%d", m.Rcode)
	}
	op, ok := dns.OpcodeToString[m.Opcode]
	if !ok {
		op = fmt.Sprintf("OPCODE%d", m.Opcode)
	}
	fmt.Fprintf(&b, ";; opcode: %s, status: %s, id: %d\n", op, rc, m.Id)
	var flags []string
	for _, f := range []struct {
		on   bool
		name string
	}{{m.Response, "qr"}, {m.Authoritative, "aa"}, {m.Truncated, "tc"}, {m.RecursionDesired, "rd"}, {m.RecursionAvailable, "ra"}, {m.AuthenticatedData, "ad"}, {m.CheckingDisabled, "cd"}} {
		if f.on {
			flags = append(flags, f.name)
		}
	}
	fmt.Fprintf(&b, ";; flags: %s; QUERY: %d, ANSWER: %d, AUTHORITY: %d, ADDITIONAL: %d\n",
		strings.Join(flags, " "), len(m.Question), len(m.Answer), len(m.Ns), len(m.Extra))
	for _, q := range m.Question {
		fmt.Fprintf(&b, ";; QUESTION: %s %s %s\n", q.Name, dns.Class(q.Qclass), typeString(q.Qtype))
	}
	for _, sec := range []struct {
		name string
		rrs  []dns.RR
	}{{"ANSWER", m.Answer}, {"AUTHORITY", m.Ns}, {"ADDITIONAL", m.Extra}} {
		if len(sec.rrs) == 0 {
			continue
		}
		fmt.Fprintf(&b, ";; %s:\n", sec.name)
		for _, rr := range sec.rrs {
			if rr == nil {
				continue
			}
			if opt, ok := rr.(*dns.OPT); ok {
				fmt.Fprintf(&b, ";; OPT: udp %d, version %d, do %v\n", opt.UDPSize(), opt.Version(), opt.Do())
				continue
			}
			b.WriteString(rr.String())
			b.WriteByte('\n')
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func typeString(t uint16) string {
	if s, ok := dns.TypeToString[t]; ok {
		return s
	}
	return fmt.Sprintf("TYPE%d", t)
}
