// Package clock is the site's time, shared by the fakes, the clients and
// the checks: the real time moved by an offset. A fault (a certificate that
// expires within 30 days) or a check (a token that must expire) moves the
// offset instead of waiting, and since the offset is data it travels with
// the site bundle into containers.
package clock

import (
	"sync/atomic"
	"time"
)

// Clock is the real time plus an offset; the zero value is the real time.
// It is safe for concurrent use.
type Clock struct {
	offset atomic.Int64
}

// New returns a clock offset from the real time by d.
func New(d time.Duration) *Clock {
	c := &Clock{}
	c.offset.Store(int64(d))
	return c
}

// Now is the site's time. A nil *Clock is the real time.
func (c *Clock) Now() time.Time {
	if c == nil {
		return time.Now()
	}
	return time.Now().Add(time.Duration(c.offset.Load()))
}

// Advance moves the clock by d (negative d moves it back).
func (c *Clock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// Set puts the clock at offset d from the real time.
func (c *Clock) Set(d time.Duration) { c.offset.Store(int64(d)) }

// Offset is how far the clock is from the real time.
func (c *Clock) Offset() time.Duration {
	if c == nil {
		return 0
	}
	return time.Duration(c.offset.Load())
}
