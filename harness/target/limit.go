package target

import (
	"context"
	"fmt"
	"sync"

	"golang.org/x/time/rate"
)

// limiter paces everything the suite sends to a site: every DNS datagram,
// every connection and every request counts, against one budget per host
// and one for the whole site. Bursts are 1, so no second holds more than
// the rate allows.
type limiter struct {
	total   *rate.Limiter
	perHost float64

	mu    sync.Mutex
	hosts map[string]*rate.Limiter
}

func newLimiter(l Limits) *limiter {
	if l.RPS <= 0 {
		return nil
	}
	per := l.RPSPerHost
	if per <= 0 || per > l.RPS {
		per = l.RPS
	}
	return &limiter{total: rate.NewLimiter(rate.Limit(l.RPS), 1), perHost: per, hosts: map[string]*rate.Limiter{}}
}

// wait blocks until host may be sent one more packet or request.
func (l *limiter) wait(ctx context.Context, host string) error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	h, ok := l.hosts[host]
	if !ok {
		h = rate.NewLimiter(rate.Limit(l.perHost), 1)
		l.hosts[host] = h
	}
	l.mu.Unlock()
	if err := h.Wait(ctx); err != nil {
		return fmt.Errorf("target: rate limit for %s: %w", host, err)
	}
	if err := l.total.Wait(ctx); err != nil {
		return fmt.Errorf("target: rate limit: %w", err)
	}
	return nil
}
