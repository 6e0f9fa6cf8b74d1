// Package steps is the core of the thin glue between the Gherkin features
// and the harness: the scenario's World (the target, the check ID, where
// the client stands, the identity being followed, the clock), the Registry
// every capability registers its steps and scenario state with, and the
// evidence and failure helpers. Each capability lives in its own package
// (steps/disc, …) and keeps its own state under its own context key;
// steps/suite puts them together. A step parses its arguments, calls the
// harness through the target, and compares with what the target says.
package steps

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"example.com/cutover/harness/checkid"
	"example.com/cutover/harness/report"
	"example.com/cutover/harness/target"
)

type worldKey struct{}

// World is one scenario's state shared by every capability.
type World struct {
	T *target.Target
	// ID is the scenario's check ID ("DISC-03").
	ID string
	// Tags are the scenario's tags, with "@".
	Tags []string
	// Started is when the scenario began.
	Started time.Time
	// Where the client stands (set by "a client inside the network").
	Where target.Where
	// Identity is the user the scenario follows across capabilities (a
	// journey), nil when the scenario covers every test user.
	Identity *Identity

	// verdict is set by a step that could not test or found nothing to
	// check; attached holds whether the after-step hook has recorded it.
	verdict  report.Verdict
	reason   string
	attached bool
	// subjects are the per-user outcomes so far; sent how many of them an
	// after-step hook has attached.
	subjects []report.Subject
	sent     int
	// hints are remediation hints not yet attached.
	hints []string
	// siteFailed: a step failed for a reason that is not only its
	// subjects'; siteSent whether that has been attached.
	siteFailed, siteSent bool
}

// ErrNotApplicable is returned (wrapped, with the reason) by a step that
// finds nothing to check on this site: the check is NOT APPLICABLE, never a
// vacuous pass. NotApplicable makes one.
var ErrNotApplicable = errors.New("not applicable")

// NotApplicable says the check has nothing to check here, and why.
func NotApplicable(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrNotApplicable, fmt.Sprintf(format, args...))
}

// Done is what the progress hook hears when a check finishes.
type Done struct {
	ID       string
	Verdict  report.Verdict
	Reason   string
	Duration time.Duration
}

// Identity is one test user as the scenario follows them: what one
// capability learns (a token) is there for the next (a registration).
type Identity struct {
	User target.User
	// Values learned on the way, by key (e.g. "oauth.access_token"); they
	// are registered as secrets when they are secrets.
	Values map[string]string
}

// WorldFrom returns the scenario's World.
func WorldFrom(ctx context.Context) *World {
	w, _ := ctx.Value(worldKey{}).(*World)
	return w
}

// View is the target as seen from where the client stands.
func (w *World) View() target.View { return w.T.From(w.Where) }

// Now is the site's time (fakes, clients and checks share the clock).
func (w *World) Now() time.Time { return w.T.Now() }

// Users are the test users the scenario covers: the followed identity, or
// every test user of the target.
func (w *World) Users() []target.User {
	if w.Identity != nil {
		return []target.User{w.Identity.User}
	}
	return w.T.Site.Users
}

// Registry collects the step definitions and scenario hooks of every
// capability, for one run: patterns are compiled once per run, not once per
// scenario.
type Registry struct {
	t      *target.Target
	defs   []stepDef
	before []func(context.Context) context.Context
	// OnDone, when set, hears about every check as it finishes.
	OnDone func(Done)
}

type stepDef struct {
	re *regexp.Regexp
	fn any
}

// NewRegistry starts a registry for a run against t, with the steps every
// capability shares.
func NewRegistry(t *target.Target) *Registry {
	r := &Registry{t: t}
	r.Step(`^a client (inside|outside) the network$`, func(ctx context.Context, where string) context.Context {
		WorldFrom(ctx).Where = target.Where(where)
		return ctx
	})
	return r
}

// Target is the site the run checks.
func (r *Registry) Target() *target.Target { return r.t }

// Before registers a hook that seeds a capability's scenario state.
func (r *Registry) Before(f func(context.Context) context.Context) { r.before = append(r.before, f) }

// Initializer returns godog's scenario initializer.
func (r *Registry) Initializer() func(*godog.ScenarioContext) {
	return func(sc *godog.ScenarioContext) {
		sc.Before(func(ctx context.Context, s *godog.Scenario) (context.Context, error) {
			w := &World{T: r.t, Where: target.Inside, Started: time.Now()}
			for _, tag := range s.Tags {
				w.Tags = append(w.Tags, tag.Name)
				if id, ok := checkid.FromTag(tag.Name); ok {
					w.ID = id
				}
			}
			ctx = context.WithValue(ctx, worldKey{}, w)
			for _, f := range r.before {
				ctx = f(ctx)
			}
			return ctx, nil
		})
		// A step that could not test or found nothing to check gives its
		// check that verdict through an attachment the report reads.
		// (A hook returns its own error, nil here: godog keeps the step's.)
		sc.StepContext().After(func(ctx context.Context, _ *godog.Step, _ godog.StepResultStatus, _ error) (context.Context, error) {
			w := WorldFrom(ctx)
			if w == nil {
				return ctx, nil
			}
			if w.verdict != "" && !w.attached {
				w.attached = true
				ctx = godog.Attach(ctx, godog.Attachment{FileName: "verdict", MediaType: report.VerdictMediaType,
					Body: []byte(string(w.verdict) + "\n" + w.reason)})
			}
			if w.sent < len(w.subjects) {
				var b bytes.Buffer
				for _, sub := range w.subjects[w.sent:] {
					line, _ := json.Marshal(sub)
					b.Write(append(line, '\n'))
				}
				w.sent = len(w.subjects)
				ctx = godog.Attach(ctx, godog.Attachment{FileName: "subjects", MediaType: report.SubjectsMediaType, Body: b.Bytes()})
			}
			if w.siteFailed && !w.siteSent {
				w.siteSent = true
				ctx = godog.Attach(ctx, godog.Attachment{FileName: "site failure", MediaType: report.SiteFailureMediaType, Body: []byte("1")})
			}
			for _, h := range w.hints {
				ctx = godog.Attach(ctx, godog.Attachment{FileName: "hint", MediaType: report.HintMediaType, Body: []byte(h)})
			}
			w.hints = nil
			return ctx, nil
		})
		sc.After(func(ctx context.Context, _ *godog.Scenario, err error) (context.Context, error) {
			w := WorldFrom(ctx)
			if r.OnDone == nil || w == nil {
				return ctx, nil
			}
			d := Done{ID: w.ID, Verdict: report.Pass, Duration: time.Since(w.Started)}
			switch {
			case w.verdict != "":
				d.Verdict, d.Reason = w.verdict, w.reason
			case err != nil:
				d.Verdict, d.Reason = report.Fail, r.t.Redact(err.Error())
			}
			r.OnDone(d)
			return ctx, nil
		})
		for _, d := range r.defs {
			sc.Step(d.re, d.fn)
		}
	}
}

// checkError carries the redacted, ID-prefixed message and keeps the cause
// for errors.Is (godog's own sentinels must still match).
type checkError struct {
	msg string
	err error
}

func (e checkError) Error() string { return e.msg }
func (e checkError) Unwrap() error { return e.err }

var (
	errorType   = reflect.TypeOf((*error)(nil)).Elem()
	contextType = reflect.TypeOf((*context.Context)(nil)).Elem()
)

// Step registers fn, whose first argument must be the context. A failure
// reads "ID: reason", redacted, whatever the step returned.
func (r *Registry) Step(pattern string, fn any) {
	re := regexp.MustCompile(pattern)
	v := reflect.ValueOf(fn)
	ft := v.Type()
	if ft.NumIn() == 0 || ft.In(0) != contextType {
		panic(fmt.Sprintf("steps: %s: the step function must take the context first", pattern))
	}
	n := ft.NumOut()
	if n == 0 || ft.Out(n-1) != errorType {
		r.defs = append(r.defs, stepDef{re, fn})
		return
	}
	wrapped := reflect.MakeFunc(ft, func(args []reflect.Value) []reflect.Value {
		out := v.Call(args)
		if errV := out[n-1]; !errV.IsNil() {
			ctx := args[0].Interface().(context.Context)
			if n == 2 && !out[0].IsNil() {
				ctx = out[0].Interface().(context.Context) // keep attachments
			}
			e := reflect.New(errorType).Elem()
			e.Set(reflect.ValueOf(r.classify(ctx, errV.Interface().(error))))
			out[n-1] = e
		}
		return out
	})
	r.defs = append(r.defs, stepDef{re, wrapped.Interface()})
}

// classify turns a step's error into the check's verdict: not applicable
// (the scenario's remaining steps are skipped), could not test (a reason
// that matches target.ErrNotTested, a timeout, a run interrupted or out of
// time), or a failure of the site. The message is redacted and starts with
// the check ID.
func (r *Registry) classify(ctx context.Context, err error) error {
	w := WorldFrom(ctx)
	msg := r.t.Redact(err.Error())
	if w != nil && w.ID != "" {
		msg = strings.TrimPrefix(msg, w.ID+": ")
	}
	verdict := report.Fail
	switch {
	case errors.Is(err, ErrNotApplicable):
		verdict = report.NotApplicable
		msg = strings.TrimPrefix(msg, ErrNotApplicable.Error()+": ")
	case ctx.Err() != nil:
		verdict = report.Error
		msg = "could not test: the run was stopped (" + context.Cause(ctx).Error() + "): " + msg
	case errors.Is(err, target.ErrNotTested) || target.IsTimeout(err):
		verdict = report.Error
		if !strings.HasPrefix(msg, "could not test") {
			msg = "could not test: " + msg
		}
	}
	if w != nil && verdict != report.Fail && w.verdict == "" {
		w.verdict, w.reason = verdict, msg
	}
	if w != nil && verdict == report.Fail && siteFailure(err) {
		w.siteFailed = true
	}
	if w != nil && w.ID != "" {
		msg = w.ID + ": " + msg
	}
	if verdict == report.NotApplicable {
		return fmt.Errorf("%w: %s", godog.ErrSkip, msg)
	}
	return checkError{msg: msg, err: err}
}

// MaxEvidence caps one piece of evidence (64 KiB): a site that answers
// with thousands of records must not fill the reports.
const MaxEvidence = 64 << 10

// Attach adds redacted text evidence to the current step, at most
// MaxEvidence bytes of it.
func Attach(ctx context.Context, name, body string) context.Context {
	if w := WorldFrom(ctx); w != nil {
		body = w.T.Redact(body)
	}
	if len(body) > MaxEvidence {
		body = strings.ToValidUTF8(body[:MaxEvidence], "") + fmt.Sprintf("\n… (%d more bytes not kept)\n", len(body)-MaxEvidence)
	}
	return godog.Attach(ctx, godog.Attachment{FileName: name, MediaType: "text/plain", Body: []byte(body)})
}

func joinLines(lines []string) error {
	if len(lines) == 1 {
		return errors.New(lines[0])
	}
	return fmt.Errorf("%s (and %d more: %s)", lines[0], len(lines)-1, strings.Join(lines[1:], "; "))
}

// Seeded is a random source fixed by key: a client's random choices (SRV
// weights, a cluster node) are the same on every run, so a verdict is
// reproducible.
func Seeded(key string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(key))
	return rand.New(rand.NewPCG(1, h.Sum64()))
}
