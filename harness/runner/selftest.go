package runner

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"sort"

	"example.com/cutover/harness/embedded"
	"example.com/cutover/harness/fakesite"
	"example.com/cutover/harness/report"
)

// Verdicts of a selftest.
const (
	Killed   = "killed"   // the check failed with its fault, as it must
	Survived = "survived" // the check passed although the site was broken
	NoFault  = "no-fault" // nothing is known to break the check: a defect
	BadClean = "fails-clean"
)

// SelftestCheck is the verdict for one check.
type SelftestCheck struct {
	ID      string `json:"id"`
	Verdict string `json:"verdict"`
	// Faults maps each fault mapped to the check to whether it killed it.
	Faults map[string]bool `json:"faults"`
	// Reasons are the failure reasons seen under each fault (evidence that
	// it failed for the right reason).
	Reasons map[string]string `json:"reasons,omitempty"`
}

// SelftestFault is what one fault did.
type SelftestFault struct {
	Name   string   `json:"name"`
	Kills  []string `json:"kills"`
	Failed []string `json:"failed"`
	// Errors are the checks that must report could-not-test; Errored the
	// ones that did; ErrorsMissed and ErrorsUnexpected the differences.
	Errors           []string `json:"errors,omitempty"`
	Errored          []string `json:"errored,omitempty"`
	ErrorsMissed     []string `json:"errors_missed,omitempty"`
	ErrorsUnexpected []string `json:"errors_unexpected,omitempty"`
	// Unexpected are checks that failed but are not in Kills: either the
	// catalogue is incomplete or a check is broader than intended.
	Unexpected []string `json:"unexpected,omitempty"`
	// Missed are checks in Kills that passed.
	Missed []string `json:"missed,omitempty"`
}

// SelftestReport is the outcome of a selftest.
type SelftestReport struct {
	Clean  []string        `json:"clean_failures"` // checks failing on the healthy fakes
	Checks []SelftestCheck `json:"checks"`
	Faults []SelftestFault `json:"faults"`
}

// OK is true when the healthy site passes every check and every check is
// killed by its faults.
func (r *SelftestReport) OK() bool {
	if len(r.Clean) > 0 {
		return false
	}
	for _, f := range r.Faults {
		if len(f.Missed)+len(f.Unexpected)+len(f.ErrorsMissed)+len(f.ErrorsUnexpected) > 0 {
			return false
		}
	}
	for _, c := range r.Checks {
		if c.Verdict != Killed {
			return false
		}
	}
	return true
}

// SelftestOptions tune Selftest.
type SelftestOptions struct {
	// Concurrency is how many scenarios of one run go at once (default 4).
	Concurrency int
	// Parallel is how many faulted sites run at once (default 4): most of
	// a faulted run waits (timeouts, refused connections), so overlapping
	// runs shortens the selftest without loading the machine much.
	Parallel int
	// Progress, when set, hears about each run as it ends (in the
	// catalogue's order).
	Progress func(name string, run *report.Run)
}

// Selftest runs the whole suite on the healthy embedded site and once per
// fault of the catalogue, and reports for every check whether its faults
// kill it.
func Selftest(ctx context.Context, fsys fs.FS, o SelftestOptions) (*SelftestReport, error) {
	catalog, err := Catalog(fsys)
	if err != nil {
		return nil, err
	}
	concurrency, progress := o.Concurrency, o.Progress
	if o.Parallel <= 0 {
		o.Parallel = 4
	}
	runWith := func(faults ...string) (*report.Run, error) {
		t, err := embedded.Start(ctx, fakesite.Options{Faults: faults})
		if err != nil {
			return nil, err
		}
		defer t.Close()
		return Run(ctx, Options{Target: t, FS: fsys, Concurrency: concurrency})
	}
	rep := &SelftestReport{}
	clean, err := runWith()
	if err != nil {
		return nil, fmt.Errorf("runner: selftest on the healthy site: %w", err)
	}
	if progress != nil {
		progress("healthy", clean)
	}
	for _, c := range clean.Checks {
		if c.Verdict == report.Fail || c.Verdict == report.Error {
			rep.Clean = append(rep.Clean, c.ID)
		}
	}
	failedUnder := map[string]map[string]string{} // fault → failed ID → reason
	faults := fakesite.Catalogue()
	type result struct {
		run *report.Run
		err error
	}
	results := make([]chan result, len(faults))
	sem := make(chan struct{}, o.Parallel)
	for i, f := range faults {
		results[i] = make(chan result, 1)
		go func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			run, err := runWith(f.Name)
			results[i] <- result{run, err}
		}()
	}
	for i, f := range faults {
		res := <-results[i]
		if res.err != nil {
			for _, ch := range results[i+1:] {
				<-ch // let every run end and close its site
			}
			return nil, fmt.Errorf("runner: selftest with fault %s: %w", f.Name, res.err)
		}
		run := res.run
		if progress != nil {
			progress(f.Name, run)
		}
		failed := map[string]string{}
		sf := SelftestFault{Name: f.Name, Kills: f.Kills}
		for _, c := range run.Failed() {
			failed[c.ID] = c.Reason
			sf.Failed = append(sf.Failed, c.ID)
			if !slices.Contains(f.Kills, c.ID) && !slices.Contains(rep.Clean, c.ID) {
				sf.Unexpected = append(sf.Unexpected, c.ID)
			}
		}
		for _, k := range f.Kills {
			if _, ok := failed[k]; !ok {
				sf.Missed = append(sf.Missed, k)
			}
		}
		sf.Errors = f.Errors
		errored := map[string]bool{}
		for _, c := range run.With(report.Error) {
			errored[c.ID] = true
			sf.Errored = append(sf.Errored, c.ID)
			if !slices.Contains(f.Errors, c.ID) {
				sf.ErrorsUnexpected = append(sf.ErrorsUnexpected, c.ID)
			}
		}
		for _, e := range f.Errors {
			if !errored[e] {
				sf.ErrorsMissed = append(sf.ErrorsMissed, e)
			}
		}
		failedUnder[f.Name] = failed
		rep.Faults = append(rep.Faults, sf)
	}
	for _, ci := range catalog {
		sc := SelftestCheck{ID: ci.ID, Faults: map[string]bool{}, Reasons: map[string]string{}}
		for _, f := range fakesite.FaultsFor(ci.ID) {
			reason, killed := failedUnder[f][ci.ID]
			sc.Faults[f] = killed
			if killed {
				sc.Reasons[f] = reason
			}
		}
		switch {
		case slices.Contains(rep.Clean, ci.ID):
			sc.Verdict = BadClean
		case len(sc.Faults) == 0:
			sc.Verdict = NoFault
		default:
			sc.Verdict = Killed
			for _, k := range sc.Faults {
				if !k {
					sc.Verdict = Survived
				}
			}
		}
		rep.Checks = append(rep.Checks, sc)
	}
	sort.Slice(rep.Checks, func(i, j int) bool { return LessID(rep.Checks[i].ID, rep.Checks[j].ID) })
	return rep, nil
}
