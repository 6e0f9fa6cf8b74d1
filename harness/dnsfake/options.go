package dnsfake

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Option configures a Server. Options are applied and checked by Start, in
// order; the first error aborts Start.
type Option func(*config) error

// config holds everything Start needs; defaultConfig gives a healthy server
// on a kernel-chosen loopback port with no records.
type config struct {
	addr       string
	records    []dns.RR
	noTCP      bool
	delay      time.Duration
	dropEvery  int
	rcodes     map[string]int
	garbage    bool
	noTruncate bool
}

func defaultConfig() *config {
	return &config{
		addr:   "127.0.0.1:0",
		rcodes: map[string]int{},
	}
}

// WithAddr sets the address both listeners bind. Default "127.0.0.1:0":
// the kernel picks the port and UDP reuses the TCP port.
func WithAddr(addr string) Option {
	return func(c *config) error {
		if addr == "" {
			return errors.New("dnsfake: with addr: empty address")
		}
		c.addr = addr
		return nil
	}
}

// WithRecords adds records to the zone data. Nil records are rejected.
func WithRecords(rrs ...dns.RR) Option {
	return func(c *config) error {
		for i, rr := range rrs {
			if rr == nil {
				return fmt.Errorf("dnsfake: with records: record %d is nil", i)
			}
		}
		c.records = append(c.records, rrs...)
		return nil
	}
}

// WithZoneText adds the records of RFC 1035 master-file text ($ORIGIN and
// $TTL allowed). Without $ORIGIN relative names are relative to the root.
// A parse error names the line.
func WithZoneText(text string) Option {
	return func(c *config) error {
		rrs, err := ParseZone(text)
		if err != nil {
			return fmt.Errorf("dnsfake: with zone text: %w", err)
		}
		c.records = append(c.records, rrs...)
		return nil
	}
}

// ParseZone parses RFC 1035 master-file text into records. It is what
// WithZoneText uses; SetRecords callers can use it too.
func ParseZone(text string) ([]dns.RR, error) {
	zp := dns.NewZoneParser(strings.NewReader(text), ".", "")
	var rrs []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		rrs = append(rrs, rr)
	}
	if err := zp.Err(); err != nil {
		return nil, err
	}
	return rrs, nil
}

// NoTCP makes the TCP listener accept connections and close them at once,
// like a firewall that blocks DNS over TCP. UDP still answers.
func NoTCP() Option {
	return func(c *config) error {
		c.noTCP = true
		return nil
	}
}

// WithDelay delays every reply by d. Close cancels pending delays, so a
// delayed reply is never sent after Close.
func WithDelay(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("dnsfake: with delay: negative delay %v", d)
		}
		c.delay = d
		return nil
	}
}

// DropEvery leaves every n-th query (counted over UDP and TCP together,
// starting at 1) without a reply. n must be at least 1; 1 drops everything.
func DropEvery(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("dnsfake: drop every: n must be >= 1, got %d", n)
		}
		c.dropEvery = n
		return nil
	}
}

// WithRcode answers every query for qname (any type, case-insensitive) with
// an empty reply carrying rcode, e.g. dns.RcodeServerFailure. Only the
// 4-bit header rcodes (0 to 15) are allowed.
func WithRcode(qname string, rcode int) Option {
	return func(c *config) error {
		if qname == "" {
			return errors.New("dnsfake: with rcode: empty name")
		}
		if rcode < 0 || rcode > 15 {
			return fmt.Errorf("dnsfake: with rcode: rcode %d outside 0..15", rcode)
		}
		c.rcodes[canonical(qname)] = rcode
		return nil
	}
}

// Garbage makes every reply a fixed byte string that is not a DNS message.
func Garbage() Option {
	return func(c *config) error {
		c.garbage = true
		return nil
	}
}

// NoTruncate never sets TC: oversize UDP replies are sent whole, as a
// broken server (or middlebox) would.
func NoTruncate() Option {
	return func(c *config) error {
		c.noTruncate = true
		return nil
	}
}

// canonical returns the lower-case fully qualified form of name.
func canonical(name string) string {
	return strings.ToLower(dns.Fqdn(name))
}
