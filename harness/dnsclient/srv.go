package dnsclient

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Target errors wrapped by CheckTarget.
var (
	ErrTargetIsIP    = errors.New("srv target is an IP address, not a host name")
	ErrTargetNotFQDN = errors.New("srv target is a single label, not fully qualified")
	ErrTargetInvalid = errors.New("srv target is not a valid host name")
)

// SRV is one SRV record's data (RFC 2782).
type SRV struct {
	Target   string // as received, with the trailing dot
	Port     uint16
	Priority uint16
	Weight   uint16
}

// LookupSRV asks the SRV records of name, the full owner name such as
// "_cisco-uds._tcp.example.com" (trailing dot optional). Records come in
// answer order (Order selects); CNAMEs at the owner are followed within the
// answer. NXDOMAIN wraps ErrNXDomain, NOERROR without SRV records wraps
// ErrNoData, a single record with target "." wraps ErrServiceAbsent, other
// rcodes are *RcodeError. The Answer is returned whenever a reply arrived,
// errors included, as evidence.
func (c *Client) LookupSRV(ctx context.Context, name string) ([]SRV, *Answer, error) {
	name = dns.Fqdn(name)
	a, err := c.Exchange(ctx, name, dns.TypeSRV)
	if err != nil {
		return nil, a, err
	}
	srvs, err := srvFromMsg(a.Msg, name, a.Server)
	return srvs, a, err
}

// parseSRVReply is LookupSRV's path from wire bytes to records, for the
// fuzz test: the question name comes from the reply itself.
func parseSRVReply(b []byte) ([]SRV, error) {
	m, err := unpackReply(b)
	if err != nil {
		return nil, err
	}
	name := "."
	if len(m.Question) > 0 {
		name = m.Question[0].Name
	}
	return srvFromMsg(m, name, "fuzz")
}

func srvFromMsg(m *dns.Msg, name, server string) ([]SRV, error) {
	if err := rcodeErr(m, name, dns.TypeSRV, server); err != nil {
		return nil, err
	}
	owner, _ := chase(m, name)
	var out []SRV
	for _, rr := range m.Answer {
		s, ok := rr.(*dns.SRV)
		if !ok || !strings.EqualFold(s.Hdr.Name, owner) {
			continue
		}
		out = append(out, SRV{Target: s.Target, Port: s.Port, Priority: s.Priority, Weight: s.Weight})
	}
	switch {
	case len(out) == 0:
		return nil, fmt.Errorf("dnsclient: %s SRV: %w from %s", name, ErrNoData, server)
	case len(out) == 1 && out[0].Target == ".":
		return out, fmt.Errorf("dnsclient: %s SRV: %w from %s", name, ErrServiceAbsent, server)
	}
	return out, nil
}

// Order returns the records in RFC 2782 selection order: ascending
// priority, and within one priority a weighted random draw repeated until
// all are placed (weight 0 records go first in the list before the running
// sums, so they are picked only when the draw is 0). rnd nil means a
// time-seeded source; a seeded rnd makes the order reproducible. The input
// is not modified.
func Order(records []SRV, rnd *rand.Rand) []SRV {
	if rnd == nil {
		now := uint64(time.Now().UnixNano())
		rnd = rand.New(rand.NewPCG(now, now>>1^0x9e3779b97f4a7c15))
	}
	sorted := slices.Clone(records)
	slices.SortStableFunc(sorted, func(a, b SRV) int { return cmp.Compare(a.Priority, b.Priority) })
	out := make([]SRV, 0, len(sorted))
	for len(sorted) > 0 {
		n := 1
		for n < len(sorted) && sorted[n].Priority == sorted[0].Priority {
			n++
		}
		out = append(out, weighted(sorted[:n], rnd)...)
		sorted = sorted[n:]
	}
	return out
}

// weighted orders one priority group by repeated weighted draws.
func weighted(group []SRV, rnd *rand.Rand) []SRV {
	left := make([]SRV, 0, len(group))
	for _, s := range group {
		if s.Weight == 0 {
			left = append(left, s)
		}
	}
	for _, s := range group {
		if s.Weight != 0 {
			left = append(left, s)
		}
	}
	out := make([]SRV, 0, len(group))
	for len(left) > 0 {
		total := 0
		for _, s := range left {
			total += int(s.Weight)
		}
		r := rnd.IntN(total + 1)
		i, sum := 0, 0
		for ; i < len(left); i++ {
			sum += int(left[i].Weight)
			if sum >= r {
				break
			}
		}
		out = append(out, left[i])
		left = slices.Delete(left, i, i+1)
	}
	return out
}

// TopN returns (a copy of) the first n records of an Order result: the ones
// a client that tries only n targets will use, e.g. Jabber for Windows tries
// the first 2 _cisco-uds targets.
func TopN(ordered []SRV, n int) []SRV {
	if n < 0 {
		n = 0
	}
	return slices.Clone(ordered[:min(n, len(ordered))])
}

// CheckTarget reports why target is unacceptable as a service host, or
// nil. "." (wrapping ErrTargetInvalid and ErrServiceAbsent), an IP literal
// with or without trailing dot or brackets (ErrTargetIsIP), a single label
// such as "ucm1." (ErrTargetNotFQDN), or bad characters, empty or
// over-long labels, an all-numeric top label, or over 253 characters
// (ErrTargetInvalid). Host name characters are letters, digits and inner
// hyphens (RFC 952/1123); underscores are not allowed in a host.
func CheckTarget(target string) error {
	if target == "." {
		return fmt.Errorf("dnsclient: target %q: %w: %w", target, ErrTargetInvalid, ErrServiceAbsent)
	}
	host := strings.TrimSuffix(target, ".")
	if host == "" {
		return fmt.Errorf("dnsclient: target %q: %w: empty", target, ErrTargetInvalid)
	}
	if _, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")); err == nil {
		return fmt.Errorf("dnsclient: target %q: %w", target, ErrTargetIsIP)
	}
	if len(host) > 253 {
		return fmt.Errorf("dnsclient: target %q: %w: %d characters, over 253", target, ErrTargetInvalid, len(host))
	}
	labels := strings.Split(host, ".")
	for _, l := range labels {
		if err := checkLabel(l); err != nil {
			return fmt.Errorf("dnsclient: target %q: %w: %w", target, ErrTargetInvalid, err)
		}
	}
	if len(labels) == 1 {
		return fmt.Errorf("dnsclient: target %q: %w", target, ErrTargetNotFQDN)
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return fmt.Errorf("dnsclient: target %q: %w: all-numeric top label", target, ErrTargetInvalid)
	}
	return nil
}

func checkLabel(l string) error {
	switch {
	case l == "":
		return errors.New("empty label")
	case len(l) > 63:
		return fmt.Errorf("label of %d characters, over 63", len(l))
	case l[0] == '-' || l[len(l)-1] == '-':
		return fmt.Errorf("label %q starts or ends with a hyphen", l)
	}
	for i := 0; i < len(l); i++ {
		ch := l[i]
		if !('a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' || ch == '-') {
			return fmt.Errorf("label %q has character %q", l, ch)
		}
	}
	return nil
}
