// Package waiver reads a waivers file and applies it to a run: a failing
// check that a waiver in force accepts becomes WAIVED; an expired waiver
// fails the run; a waiver whose check now passes is reported as one that
// can be removed.
//
// A waivers file is YAML, decoded as strictly as a target file (unknown
// keys, wrong types and duplicates are errors with file and line):
//
//	waivers:
//	  - id: DISC-10                  # the check
//	    user: alice                  # optional: only this user's result
//	    host: expe1.example.com      # optional: only failures naming this host
//	    owner: jane.doe@example.com
//	    reason: the new Expressway-E certificate is ordered
//	    ticket: CHG-1234
//	    expires: 2027-01-31          # in force to the end of that day (UTC)
package waiver

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"example.com/cutover/harness/checkid"
	"example.com/cutover/harness/report"
	"example.com/cutover/harness/target"
)

// MaxFile is the largest waivers file read (1 MiB).
const MaxFile = 1 << 20

// DateLayout is the expiry date's form.
const DateLayout = "2006-01-02"

// ErrWaivers wraps every problem of a waivers file; errors.Is(err,
// target.ErrConfig) holds too, with each problem's file and line.
var ErrWaivers = errors.New("waiver: bad waivers file")

type file struct {
	Waivers []report.Waiver `yaml:"waivers"`
}

// Load reads the waivers file at path.
func Load(path string) ([]report.Waiver, error) {
	data, err := target.ReadFile(path, MaxFile)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrWaivers, err)
	}
	return Parse(path, data)
}

// loadError is every problem of one file: it is ErrWaivers and
// target.ErrConfig.
type loadError struct{ *target.LoadError }

func (e loadError) Unwrap() []error { return []error{ErrWaivers, e.LoadError} }

// Parse decodes and validates a waivers file named name.
func Parse(name string, data []byte) ([]report.Waiver, error) {
	var f file
	doc, errs := target.DecodeStrict(name, data, &f)
	if doc == nil && len(errs) == 0 {
		errs = []*target.FieldError{{File: name, Msg: "empty: want a list under waivers:"}}
	}
	if len(errs) > 0 {
		return nil, loadError{&target.LoadError{Errs: errs}}
	}
	fail := func(path, format string, args ...any) {
		errs = append(errs, &target.FieldError{File: name, Line: doc.At(path), Field: path, Msg: fmt.Sprintf(format, args...)})
	}
	if len(f.Waivers) == 0 && doc.Line("waivers") == 0 {
		fail("waivers", "want a list under waivers:")
	}
	for i := range f.Waivers {
		w := &f.Waivers[i]
		p := fmt.Sprintf("waivers[%d]", i)
		w.Where = fmt.Sprintf("%s:%d", name, doc.At(p))
		if !checkid.Valid(w.ID) {
			fail(p+".id", "want a check ID such as DISC-10, got %q", w.ID)
		}
		if strings.TrimSpace(w.Owner) == "" {
			fail(p+".owner", "required: who answers for the waiver")
		}
		if strings.TrimSpace(w.Reason) == "" {
			fail(p+".reason", "required: why the failure is accepted")
		}
		if _, err := time.Parse(DateLayout, w.Expires); err != nil {
			fail(p+".expires", "want a date such as 2027-01-31, got %q", w.Expires)
		}
		if w.User != "" && w.Host != "" {
			fail(p+".host", "give user or host, not both")
		}
	}
	if len(errs) > 0 {
		return nil, loadError{&target.LoadError{Errs: errs}}
	}
	return f.Waivers, nil
}

// Expired reports whether w is past its expiry date on the day of now: a
// waiver is in force to the end of its date, in UTC.
func Expired(w report.Waiver, now time.Time) bool {
	d, err := time.Parse(DateLayout, w.Expires)
	return err != nil || !now.UTC().Before(d.AddDate(0, 0, 1))
}

// Apply applies the waivers to run at time now and records what became
// of each in run.Waivers. A waiver accepts failures (FAIL), never a check
// that could not test: a waiver is a decision about the site, and nothing
// was learnt about it.
func Apply(run *report.Run, ws []report.Waiver, now time.Time) {
	for _, w := range ws {
		run.Waivers = append(run.Waivers, apply(run, w, now))
	}
	for i := range run.Checks {
		settle(&run.Checks[i])
	}
}

func apply(run *report.Run, w report.Waiver, now time.Time) report.WaiverStatus {
	st := func(state, format string, args ...any) report.WaiverStatus {
		return report.WaiverStatus{Waiver: w, State: state, Note: fmt.Sprintf(format, args...)}
	}
	if Expired(w, now) {
		return st(report.WaiverExpired, "expired on %s: fix the site or renew the waiver (%s)", w.Expires, w.Where)
	}
	i := slices.IndexFunc(run.Checks, func(c report.Check) bool { return c.ID == w.ID })
	if i < 0 {
		return st(report.WaiverUnused, "%s did not run", w.ID)
	}
	c := &run.Checks[i]
	copyW := w
	switch {
	case w.User != "" || (w.Host != "" && len(c.Subjects) > 0):
		name := w.User + w.Host
		matched, waived := false, 0
		for j := range c.Subjects {
			s := &c.Subjects[j]
			if s.Name != name && !strings.HasPrefix(s.Name, name+"/") {
				continue
			}
			matched = true
			if s.Verdict == report.Fail {
				s.Verdict, s.Waiver = report.Waived, &copyW
				waived++
			}
		}
		switch {
		case !matched && len(c.Subjects) == 0:
			return st(report.WaiverUnused, "%s does not give per-user results", w.ID)
		case !matched:
			return st(report.WaiverUnused, "%s has no result for %s", w.ID, name)
		case waived == 0 && subjectsPass(c, name):
			return st(report.WaiverRemovable, "%s passes for %s now: the waiver can be removed", w.ID, name)
		case waived == 0:
			return st(report.WaiverUnused, "%s did not fail for %s", w.ID, name)
		}
		return st(report.WaiverApplied, "accepted %s's failure of %s%s", name, w.ID, untested(c))
	case c.Verdict == report.Pass:
		return st(report.WaiverRemovable, "%s passes now: the waiver can be removed", w.ID)
	case c.Verdict != report.Fail && c.Verdict != report.Waived:
		return st(report.WaiverUnused, "%s is %s, not a failure", w.ID, c.Verdict.Label())
	case w.Host != "" && !strings.Contains(strings.ToLower(c.Error), strings.ToLower(w.Host)):
		return st(report.WaiverUnused, "%s's failure does not name %s", w.ID, w.Host)
	}
	c.Verdict, c.Waiver = report.Waived, &copyW
	for j := range c.Subjects {
		if c.Subjects[j].Verdict == report.Fail {
			c.Subjects[j].Verdict, c.Subjects[j].Waiver = report.Waived, &copyW
		}
	}
	return st(report.WaiverApplied, "accepted the failure of %s%s", w.ID, untested(c))
}

// untested says what a waived failure leaves unchecked.
func untested(c *report.Check) string {
	if n := skippedAfterFailure(c); n > 0 {
		return fmt.Sprintf(" (%d later step(s) of the check did not run)", n)
	}
	return ""
}

// subjectsPass reports whether every subject named name passes.
func subjectsPass(c *report.Check, name string) bool {
	for _, s := range c.Subjects {
		if (s.Name == name || strings.HasPrefix(s.Name, name+"/")) && s.Verdict != report.Pass {
			return false
		}
	}
	return true
}

// settle makes a failing check WAIVED once every failing subject is
// waived and it did not fail for the site as a whole as well
// (Check.SiteFailure: that stays a FAIL).
func settle(c *report.Check) {
	if c.Verdict != report.Fail || len(c.Subjects) == 0 {
		return
	}
	var w *report.Waiver
	for _, s := range c.Subjects {
		switch s.Verdict {
		case report.Fail, report.Error:
			return
		case report.Waived:
			if w == nil {
				w = s.Waiver
			}
		}
	}
	if w == nil || c.SiteFailure {
		return
	}
	c.Verdict, c.Waiver = report.Waived, w
}

// skippedAfterFailure counts the steps that did not run after the step
// that failed: what a waived check leaves untested.
func skippedAfterFailure(c *report.Check) int {
	n, failed := 0, false
	for _, s := range c.Steps {
		switch {
		case s.Status == report.StatusFailed:
			failed = true
		case failed && s.Status == report.StatusSkipped:
			n++
		}
	}
	return n
}
