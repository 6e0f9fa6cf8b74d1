package xmpps2s

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"example.com/cutover/harness/dnsclient"
)

// Service names (RFC 6120 §3.2.1, XEP-0368 §3) and the fallback port
// (RFC 6120 §3.2.2).
const (
	ServiceXMPPS = "_xmpps-server._tcp"
	ServiceXMPP  = "_xmpp-server._tcp"
	FallbackPort = 5269
	// ServiceFallback names candidates from the A/AAAA fallback.
	ServiceFallback = "fallback"
)

// Resolver is what a server at one vantage point can ask DNS; target.View
// implements it, and so does *dnsclient.Client.
type Resolver interface {
	LookupSRV(ctx context.Context, name string) ([]dnsclient.SRV, *dnsclient.Answer, error)
	LookupHost(ctx context.Context, host string) ([]netip.Addr, []string, error)
}

// Dialer opens a TCP connection; target.View.Dial has this shape.
type Dialer func(ctx context.Context, network, addr string) (net.Conn, error)

// Candidate is one place to connect to, in the order to try.
type Candidate struct {
	Host      string // without the trailing dot
	Port      uint16
	DirectTLS bool   // from _xmpps-server: TLS at once, ALPN xmpp-server
	Service   string // ServiceXMPPS, ServiceXMPP or ServiceFallback
	Priority  uint16
	Weight    uint16
}

// Addr is host:port.
func (c Candidate) Addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(int(c.Port))) }

// Mode is "direct-tls" or "starttls".
func (c Candidate) Mode() string {
	if c.DirectTLS {
		return "direct-tls"
	}
	return "starttls"
}

func (c Candidate) String() string {
	if c.Service == ServiceFallback {
		return fmt.Sprintf("%s %s (A/AAAA fallback)", c.Addr(), c.Mode())
	}
	return fmt.Sprintf("%s %s (%s priority %d weight %d)", c.Addr(), c.Mode(), c.Service, c.Priority, c.Weight)
}

// SRVLookup is one SRV question and what came back.
type SRVLookup struct {
	Name    string
	Records []dnsclient.SRV
	Answer  *dnsclient.Answer // nil when no reply arrived
	Err     error
}

// Absent is a single "." target.
func (l SRVLookup) Absent() bool { return errors.Is(l.Err, dnsclient.ErrServiceAbsent) }

// Missing is NXDOMAIN or NODATA: the name has no SRV records.
func (l SRVLookup) Missing() bool {
	return errors.Is(l.Err, dnsclient.ErrNXDomain) || errors.Is(l.Err, dnsclient.ErrNoData)
}

// Failed is any other error: SERVFAIL, REFUSED, timeout, bad reply.
func (l SRVLookup) Failed() bool { return l.Err != nil && !l.Absent() && !l.Missing() }

func (l SRVLookup) String() string {
	switch {
	case l.Err != nil && l.Answer != nil:
		return fmt.Sprintf("%s SRV: %v\n%s", l.Name, l.Err, l.Answer)
	case l.Err != nil:
		return fmt.Sprintf("%s SRV: %v", l.Name, l.Err)
	case l.Answer != nil:
		return fmt.Sprintf("%s SRV: %d records\n%s", l.Name, len(l.Records), l.Answer)
	}
	return fmt.Sprintf("%s SRV: %d records", l.Name, len(l.Records))
}

// Resolution is where to connect for a domain and the DNS evidence.
type Resolution struct {
	Domain     string
	XMPPS      SRVLookup
	XMPP       SRVLookup
	Candidates []Candidate
	// Fallback is true when the candidates come from the domain's A/AAAA
	// (neither SRV name exists).
	Fallback bool
	// FallbackAddrs and FallbackErr are the fallback lookup's outcome.
	FallbackAddrs []netip.Addr
	FallbackErr   error
}

// Evidence is the DNS answers and the candidate order as text.
func (r *Resolution) Evidence() string {
	if r == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString(r.XMPPS.String() + "\n" + r.XMPP.String() + "\n")
	if r.Fallback || r.FallbackErr != nil {
		fmt.Fprintf(&b, "fallback %s A/AAAA: %v %v\n", r.Domain, r.FallbackAddrs, errString(r.FallbackErr))
	}
	for i, c := range r.Candidates {
		fmt.Fprintf(&b, "candidate %d: %s\n", i+1, c)
	}
	return b.String()
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Resolve finds where a server for domain listens, as RFC 6120 §3.2 with
// XEP-0368 says:
//
//   - It asks _xmpps-server._tcp.domain and _xmpp-server._tcp.domain.
//   - The records of both are one RFC 2782 list (XEP-0368 §3 rule 1: "all
//     priorities and weights are mixed"): ascending priority, and within a
//     priority a weighted random draw over the records of both services
//     (dnsclient.Order with rnd). So at equal priority neither service is
//     preferred; the weights decide.
//   - A single "." target means that service is not offered; when both are
//     absent or missing, the result wraps ErrServiceAbsent and there is no
//     A/AAAA fallback (RFC 6120 §3.2.1; XEP-0368 §5 for _xmpps-server).
//   - Only when neither name has SRV records (NXDOMAIN or NODATA for both)
//     are the domain's A/AAAA tried on port 5269 with STARTTLS
//     (RFC 6120 §3.2.2); no address wraps ErrNoAddress.
//   - A lookup failure (SERVFAIL, timeout) is not an absence: when the
//     other service has records they are used, otherwise the result wraps
//     ErrResolve, never a fallback.
//
// The Resolution comes back with every error, as evidence.
func Resolve(ctx context.Context, r Resolver, domain string, rnd *rand.Rand) (*Resolution, error) {
	d, err := ParseDomain(domain)
	if err != nil {
		return &Resolution{Domain: domain}, fmt.Errorf("xmpps2s: resolve %q: %w", domain, err)
	}
	res := &Resolution{Domain: d}
	lookup := func(service string) SRVLookup {
		l := SRVLookup{Name: service + "." + d}
		l.Records, l.Answer, l.Err = r.LookupSRV(ctx, l.Name)
		if l.Err == nil && len(l.Records) == 1 && l.Records[0].Target == "." {
			// A resolver that does not flag "." itself.
			l.Err = fmt.Errorf("%s SRV: %w", l.Name, dnsclient.ErrServiceAbsent)
		}
		return l
	}
	res.XMPPS = lookup(ServiceXMPPS)
	res.XMPP = lookup(ServiceXMPP)

	type tagged struct {
		srv    dnsclient.SRV
		direct bool
	}
	var all []tagged
	for _, l := range []*SRVLookup{&res.XMPPS, &res.XMPP} {
		if l.Err != nil {
			continue
		}
		for _, s := range l.Records {
			if s.Target == "." {
				continue
			}
			all = append(all, tagged{s, l == &res.XMPPS})
		}
	}
	if len(all) > 0 {
		// Order sees only priority and weight; the index rides in Target.
		keys := make([]dnsclient.SRV, len(all))
		for i, t := range all {
			keys[i] = dnsclient.SRV{Target: strconv.Itoa(i), Priority: t.srv.Priority, Weight: t.srv.Weight}
		}
		for _, k := range dnsclient.Order(keys, rnd) {
			i, _ := strconv.Atoi(k.Target)
			t := all[i]
			c := Candidate{
				Host: strings.TrimSuffix(t.srv.Target, "."), Port: t.srv.Port, DirectTLS: t.direct,
				Service: ServiceXMPP, Priority: t.srv.Priority, Weight: t.srv.Weight,
			}
			if t.direct {
				c.Service = ServiceXMPPS
			}
			res.Candidates = append(res.Candidates, c)
		}
		return res, nil
	}
	switch {
	case res.XMPPS.Failed() || res.XMPP.Failed():
		return res, fmt.Errorf("xmpps2s: resolve %s: %w: %s: %v; %s: %v (no fallback on a failed lookup)",
			d, ErrResolve, res.XMPPS.Name, errString(res.XMPPS.Err), res.XMPP.Name, errString(res.XMPP.Err))
	case res.XMPPS.Absent() || res.XMPP.Absent():
		return res, fmt.Errorf("xmpps2s: resolve %s: %w: %s; %s (no A/AAAA fallback)",
			d, ErrServiceAbsent, errString(res.XMPPS.Err), errString(res.XMPP.Err))
	}
	res.FallbackAddrs, _, res.FallbackErr = r.LookupHost(ctx, d)
	if res.FallbackErr != nil || len(res.FallbackAddrs) == 0 {
		return res, fmt.Errorf("xmpps2s: resolve %s: no SRV records and %w: %v", d, ErrNoAddress, errString(res.FallbackErr))
	}
	res.Fallback = true
	res.Candidates = []Candidate{{Host: d, Port: FallbackPort, Service: ServiceFallback}}
	return res, nil
}

// Attempt is one connection attempt.
type Attempt struct {
	Candidate Candidate
	Addrs     []netip.Addr // what the target resolved to
	Start     time.Time
	Elapsed   time.Duration
	Err       error // nil for the attempt that connected
}

func (a Attempt) String() string {
	s := fmt.Sprintf("%s addrs %v", a.Candidate, a.Addrs)
	if a.Err != nil {
		return s + ": " + a.Err.Error()
	}
	return s + ": connected"
}

// Connect tries the candidates in order until one accepts a TCP
// connection, each bounded by perAttempt (0: only ctx) and all by ctx.
// Each target is resolved first through r (a target that does not resolve
// is a failed attempt, not dialled); the dialer gets host:port so that it
// applies its own address mapping. There is no fallback beyond the
// candidates: when none connects, the error wraps ErrConnect (RFC 6120
// §3.2.1: no A/AAAA fallback after SRV records were found). clock times
// the attempts; nil means time.Now.
func Connect(ctx context.Context, dial Dialer, r Resolver, res *Resolution, perAttempt time.Duration, clock func() time.Time) (net.Conn, Candidate, []Attempt, error) {
	if clock == nil {
		clock = time.Now
	}
	if res == nil || len(res.Candidates) == 0 {
		return nil, Candidate{}, nil, fmt.Errorf("xmpps2s: connect: %w: no candidates", ErrConnect)
	}
	var attempts []Attempt
	var errs []string
	for _, c := range res.Candidates {
		if err := ctx.Err(); err != nil {
			errs = append(errs, "deadline reached before "+c.Addr())
			break
		}
		a := Attempt{Candidate: c, Start: clock()}
		conn, err := connectOne(ctx, dial, r, res, c, perAttempt, &a)
		a.Elapsed = clock().Sub(a.Start)
		a.Err = err
		attempts = append(attempts, a)
		if err == nil {
			return conn, c, attempts, nil
		}
		errs = append(errs, c.Addr()+": "+err.Error())
	}
	return nil, Candidate{}, attempts, fmt.Errorf("xmpps2s: connect %s: %w: %s", res.Domain, ErrConnect, strings.Join(errs, "; "))
}

func connectOne(ctx context.Context, dial Dialer, r Resolver, res *Resolution, c Candidate, perAttempt time.Duration, a *Attempt) (net.Conn, error) {
	if perAttempt > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, perAttempt)
		defer cancel()
	}
	if c.Service == ServiceFallback {
		a.Addrs = res.FallbackAddrs
	} else {
		addrs, _, err := r.LookupHost(ctx, c.Host)
		if err != nil {
			return nil, fmt.Errorf("target %s does not resolve: %w", c.Host, err)
		}
		a.Addrs = addrs
	}
	conn, err := dial(ctx, "tcp", c.Addr())
	if err != nil {
		return nil, err
	}
	return conn, nil
}
