// Package journey follows each test user of the target through one day
// across the capabilities (JRNY-01): discovery inside and outside, then
// whatever each later capability adds as a stage (SSO sign-in with the
// UCM token, SIP OAuth registration with it, XMPP federation and Hybrid
// Messaging). A failure says where that
// user's day breaks ("alice: discovery inside ok (ucm1.example.com, 4
// devices); discovery outside: …"). Each stage is a thin call into the
// same harness code as the capability's own checks, so a fault that
// breaks a stage's check breaks the journey too.
package journey

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"example.com/cutover/harness/target"
	"example.com/cutover/steps"
)

// Stage is one capability's part of a test user's day.
type Stage struct {
	// Name is how the journey names it ("discovery inside").
	Name string
	// Run follows id through the stage and says what it saw ("ucm1, 4
	// devices"). steps.NotApplicable means the stage does not apply to
	// this user or site and the day goes on; any other error ends the
	// user's day there, the later stages not reached.
	Run func(ctx context.Context, id *steps.Identity) (string, error)
}

// maxDays bounds the users followed at once. Days side by side stay
// within limits.max_auth_failures: the credential guard reserves each
// send of a credential the site has not accepted yet, so sends in flight
// count as refusals until answered.
const maxDays = 4

type stateKey struct{}

type day struct {
	user  string
	lines []string
	err   error
}

type state struct{ days []day }

// Register adds the journey's steps, following stages in order.
func Register(r *steps.Registry, stages ...Stage) {
	r.Before(func(ctx context.Context) context.Context { return context.WithValue(ctx, stateKey{}, &state{}) })
	r.Step(`^every test user's day is followed through every capability$`, func(ctx context.Context) (context.Context, error) {
		w, st := steps.WorldFrom(ctx), ctx.Value(stateKey{}).(*state)
		// The day starts inside; a stage that stands elsewhere says so.
		w.Where = target.Inside
		// The users' days are independent (their own devices, tokens
		// and messages): they run maxDays at once and are reported in the
		// target's order.
		days := make([]day, len(w.T.Site.Users))
		sem := make(chan struct{}, maxDays)
		var wg sync.WaitGroup
		for i, u := range w.T.Site.Users {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				days[i] = follow(ctx, &steps.Identity{User: u, Values: map[string]string{}}, stages)
			}()
		}
		wg.Wait()
		var ev strings.Builder
		for _, d := range days {
			st.days = append(st.days, d)
			fmt.Fprintf(&ev, "== %s\n%s\n\n", d.user, strings.Join(d.lines, "\n"))
		}
		return steps.Attach(ctx, "each test user's day", ev.String()), nil
	})
	r.Step(`^every test user's day completes$`, func(ctx context.Context) error {
		st := ctx.Value(stateKey{}).(*state)
		var f steps.Failures
		for _, d := range st.days {
			f.Subject(ctx, d.user, d.err)
		}
		return f.Err()
	})
}

// follow runs the stages for one identity until one breaks.
func follow(ctx context.Context, id *steps.Identity, stages []Stage) day {
	d := day{user: id.User.Username}
	var done []string
	for i, s := range stages {
		saw, err := s.Run(ctx, id)
		switch {
		case err == nil:
			d.lines = append(d.lines, fmt.Sprintf("%s: ok (%s)", s.Name, saw))
			done = append(done, s.Name+" ok")
		case errors.Is(err, steps.ErrNotApplicable):
			d.lines = append(d.lines, fmt.Sprintf("%s: not applicable: %v", s.Name, err))
			done = append(done, s.Name+" n/a")
		default:
			d.lines = append(d.lines, fmt.Sprintf("%s: %v", s.Name, err))
			for _, rest := range stages[i+1:] {
				d.lines = append(d.lines, rest.Name+": not reached")
			}
			prefix := ""
			if len(done) > 0 {
				prefix = strings.Join(done, ", ") + "; "
			}
			d.err = fmt.Errorf("%s%s breaks: %w", prefix, s.Name, err)
			return d
		}
	}
	return d
}
