package idp

import (
	"time"

	"github.com/jonboulle/clockwork"
	dsig "github.com/russellhaering/goxmldsig"
)

// DSigClock adapts an injected clock to the *dsig.Clock that crewjam/saml
// and goxmldsig take, so every time check of the SAML layer (assertion
// windows, certificate validity, metadata validUntil) reads the harness
// clock rather than the wall clock. Only Now, Since and Until are
// meaningful: nothing in the SAML layer waits.
func DSigClock(now func() time.Time) *dsig.Clock {
	if now == nil {
		now = time.Now
	}
	return dsig.NewFakeClock(funcClock{now: now})
}

// funcClock is a clockwork.Clock reading a function. Its timers come from
// the real clock; the SAML libraries never use them.
type funcClock struct {
	now func() time.Time
}

func (c funcClock) Now() time.Time                         { return c.now() }
func (c funcClock) Since(t time.Time) time.Duration        { return c.now().Sub(t) }
func (c funcClock) Until(t time.Time) time.Duration        { return t.Sub(c.now()) }
func (c funcClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
func (c funcClock) Sleep(d time.Duration)                  { time.Sleep(d) }
func (c funcClock) NewTicker(d time.Duration) clockwork.Ticker {
	return clockwork.NewRealClock().NewTicker(d)
}
func (c funcClock) NewTimer(d time.Duration) clockwork.Timer {
	return clockwork.NewRealClock().NewTimer(d)
}
func (c funcClock) AfterFunc(d time.Duration, f func()) clockwork.Timer {
	return clockwork.NewRealClock().AfterFunc(d, f)
}
