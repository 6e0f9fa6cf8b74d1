package steps

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"example.com/cutover/harness/report"
	"example.com/cutover/harness/target"
)

// ErrNotSerial is returned by Elapse in a check not tagged @serial.
var ErrNotSerial = errors.New("steps: a check that lets the site's time pass must be tagged @serial (it then runs alone)")

// Elapse lets d of the site's time pass (target.Elapse: the fakes' clock
// moves at once, a real site is waited for) and attaches how. Only a
// check tagged @serial may: the runner runs those one at a time after the
// others, so no other check sees the clock jump.
func Elapse(ctx context.Context, d time.Duration) (context.Context, error) {
	w := WorldFrom(ctx)
	if w == nil || !slices.Contains(w.Tags, "@serial") {
		return ctx, ErrNotSerial
	}
	how, err := w.T.Elapse(ctx, d)
	if err != nil {
		return ctx, err
	}
	return Attach(ctx, "site time", how), nil
}

// Hint gives the check a remediation hint computed from what the step saw
// ("publish _collab-edge._tls.emea.example.com. 300 IN SRV 10 10 8443
// expe1.example.com. in the public zone"). The reports show it beside the
// scenario's generic Remediation line; it is redacted like evidence.
func Hint(ctx context.Context, format string, args ...any) {
	if w := WorldFrom(ctx); w != nil {
		w.hints = append(w.hints, w.T.Redact(fmt.Sprintf(format, args...)))
	}
}

// Subject records the outcome of a per-user check for one of its subjects
// ("alice", "alice/CSFALICE"): a nil err passes; an error is what a step's
// would be (not applicable, could not test, or a failure of the site). The
// reports list each subject and JUnit gives each its own test case. The
// check's verdict still comes from its steps: Failures.Subject does both.
func Subject(ctx context.Context, name string, err error) {
	w := WorldFrom(ctx)
	if w == nil {
		return
	}
	sub := report.Subject{Name: name, Verdict: report.Pass}
	if err != nil {
		sub.Reason = w.T.Redact(err.Error())
		switch {
		case errors.Is(err, ErrNotApplicable):
			sub.Verdict = report.NotApplicable
		case errors.Is(err, target.ErrNotTested) || target.IsTimeout(err) || ctx.Err() != nil:
			sub.Verdict = report.Error
		default:
			sub.Verdict = report.Fail
		}
	}
	w.subjects = append(w.subjects, sub)
}

// Failures collects one line per offending item so a check reports every
// problem of the site at once, not only the first. Items that could not be
// tested are kept apart: the check fails when the site is wrong anywhere,
// and could not test only when nothing else was found.
type Failures struct {
	lines     []string
	notTested []string
	// site counts the lines that are not a subject's.
	site int
}

// failuresError is a Failures' error: its text, and whether any of it is
// a problem of the site as a whole rather than of a subject (a waiver for
// the subjects must not hide it).
type failuresError struct {
	error
	site bool
}

func (e failuresError) Unwrap() error { return e.error }

// Add records one problem of the site.
func (f *Failures) Add(format string, args ...any) {
	f.lines = append(f.lines, fmt.Sprintf(format, args...))
	f.site++
}

// AddErr records a problem caused by err: a reason the suite could not
// test (target.ErrNotTested, a timeout) is kept apart from the site's.
func (f *Failures) AddErr(err error, format string, args ...any) {
	if errors.Is(err, target.ErrNotTested) || target.IsTimeout(err) {
		f.notTested = append(f.notTested, fmt.Sprintf(format, args...))
		f.site++
		return
	}
	f.Add(format, args...)
}

// Subject records subject's outcome (see the function Subject) and, when
// err is not nil and applies, its line "name: err".
func (f *Failures) Subject(ctx context.Context, name string, err error) {
	Subject(ctx, name, err)
	if err != nil && !errors.Is(err, ErrNotApplicable) {
		f.AddErr(err, "%s: %v", name, err)
		f.site--
	}
}

// Err is nil without problems, else one error naming them all.
func (f Failures) Err() error {
	if len(f.lines) == 0 {
		if len(f.notTested) == 0 {
			return nil
		}
		return failuresError{target.NotTested(joinLines(f.notTested)), f.site > 0}
	}
	return failuresError{joinLines(append(f.lines, f.notTested...)), f.site > 0}
}

// siteFailure reports whether a step's error holds a problem of the site
// as a whole: anything but a Failures error made only of subjects' lines.
func siteFailure(err error) bool {
	var fe failuresError
	return !errors.As(err, &fe) || fe.site
}
