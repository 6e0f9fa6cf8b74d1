package target

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"golang.org/x/time/rate"
)

// limiter paces everything the suite sends to a site: every DNS datagram,
// every connection and every request counts, against one rate per host and
// one for the whole site, and against the per-host request budget. Bursts
// are 1, so no second holds more than the rate allows. It also counts what
// went where, for the record of the run (Target.Contacts).
type limiter struct {
	total   *rate.Limiter // nil: no rate cap
	perHost float64
	budget  int // packets per host; 0: no budget

	mu    sync.Mutex
	hosts map[string]*hostCount
}

type hostCount struct {
	rate        *rate.Limiter
	sent        int
	credentials int
}

func newLimiter(l Limits) *limiter {
	lim := &limiter{budget: l.MaxRequestsPerHost, hosts: map[string]*hostCount{}}
	if l.RPS > 0 {
		per := l.RPSPerHost
		if per <= 0 || per > l.RPS {
			per = l.RPS
		}
		lim.total, lim.perHost = rate.NewLimiter(rate.Limit(l.RPS), 1), per
	}
	return lim
}

func (l *limiter) host(name string) *hostCount {
	h, ok := l.hosts[name]
	if !ok {
		h = &hostCount{}
		if l.total != nil {
			h.rate = rate.NewLimiter(rate.Limit(l.perHost), 1)
		}
		l.hosts[name] = h
	}
	return h
}

// wait blocks until host may be sent one more packet or request, and
// counts it; past the host's budget it refuses (ErrSafetyLimit).
func (l *limiter) wait(ctx context.Context, host string) error {
	l.mu.Lock()
	h := l.host(host)
	if l.budget > 0 && h.sent >= l.budget {
		l.mu.Unlock()
		return fmt.Errorf("%w: %d packets and requests sent to %s, limits.max_requests_per_host is %d: nothing more is sent there", ErrSafetyLimit, h.sent, host, l.budget)
	}
	h.sent++
	l.mu.Unlock()
	if h.rate != nil {
		if err := h.rate.Wait(ctx); err != nil {
			return fmt.Errorf("target: rate limit for %s: %w", host, err)
		}
		if err := l.total.Wait(ctx); err != nil {
			return fmt.Errorf("target: rate limit: %w", err)
		}
	}
	return nil
}

// credential counts one use of a test user's credential at host.
func (l *limiter) credential(host string) {
	l.mu.Lock()
	l.host(host).credentials++
	l.mu.Unlock()
}

// Contact is what a run sent to one host: DNS datagrams, connections and
// requests (Sent), and how many of those carried a test user's credential.
type Contact struct {
	Host        string `json:"host"`
	Sent        int    `json:"sent"`
	Credentials int    `json:"credentials,omitempty"`
}

// Contacts lists every host the Target sent anything to, by name.
func (t *Target) Contacts() []Contact {
	l := t.limit
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Contact, 0, len(l.hosts))
	for n, h := range l.hosts {
		out = append(out, Contact{Host: n, Sent: h.sent, Credentials: h.credentials})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Host < out[j].Host })
	return out
}
