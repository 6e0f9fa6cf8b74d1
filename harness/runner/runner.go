package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cucumber/godog"

	"example.com/cutover/harness/checkid"
	"example.com/cutover/harness/report"
	"example.com/cutover/harness/tagexpr"
	"example.com/cutover/harness/target"
	"example.com/cutover/harness/waiver"
	"example.com/cutover/steps"
	"example.com/cutover/steps/suite"
)

// Options of one run.
type Options struct {
	// Target is the site under test.
	Target *target.Target
	// FS holds the features (features.FS).
	FS fs.FS
	// Tags is a Cucumber tag expression, e.g. "@discovery and not @DISC-03".
	Tags string
	// Concurrency is how many scenarios run at once. Default 4.
	Concurrency int
	// ReportDir, when set, receives junit.xml, cucumber.json, report.html
	// and results.json (each name prefixed by FilePrefix).
	ReportDir  string
	FilePrefix string
	// Seed, when not 0, shuffles scenario order reproducibly.
	Seed int64
	// TestingT runs each scenario as a subtest (under go test).
	TestingT *testing.T
	// Progress, when set, hears about every check as it finishes.
	Progress func(steps.Done)
	// Tool and Command label the reports (the version, the command line).
	Tool    string
	Command []string
	// Profile decides which verdicts fail the run (report.Profiles;
	// default certification).
	Profile string
	// Waivers accept known failures (harness/waiver), as of Now (default
	// time.Now: the real date, not the site's clock).
	Waivers []report.Waiver
	Now     func() time.Time
	// Shard, when set, runs only this shard's part of the selected checks
	// (Shard{K, N}: the K-th of N, 1-based): a CI matrix runs the N shards
	// in parallel and MergeRuns puts their results together.
	Shard Shard
}

// Shard is the K-th of N parts of a run (1 ≤ K ≤ N); the zero Shard is
// the whole run.
type Shard struct{ K, N int }

// ErrShard is a shard that is not K/N with 1 ≤ K ≤ N.
var ErrShard = errors.New("runner: bad shard")

// ParseShard reads "K/N".
func ParseShard(s string) (Shard, error) {
	var sh Shard
	if _, err := fmt.Sscanf(s, "%d/%d", &sh.K, &sh.N); err != nil || fmt.Sprintf("%d/%d", sh.K, sh.N) != s || sh.N < 1 || sh.K < 1 || sh.K > sh.N {
		return Shard{}, fmt.Errorf("%w %q: want K/N with 1 ≤ K ≤ N, e.g. 2/4", ErrShard, s)
	}
	return sh, nil
}

func (s Shard) String() string {
	if s.N == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.K, s.N)
}

// Split returns the checks of shard s and those of the other shards: the
// selected checks in ID order, dealt round-robin, so every machine with
// the same features makes the same split and the shards are even.
func (s Shard) Split(selected []CheckInfo) (mine, others []CheckInfo) {
	if s.N <= 1 {
		return selected, nil
	}
	sorted := slices.Clone(selected)
	slices.SortFunc(sorted, func(a, b CheckInfo) int { return checkid.Compare(a.ID, b.ID) })
	for i, c := range sorted {
		if i%s.N == s.K-1 {
			mine = append(mine, c)
		} else {
			others = append(others, c)
		}
	}
	return mine, others
}

// Errors of a run that could not start.
var (
	// ErrNoChecks means the tag expression selected nothing: a run that
	// checks nothing must not look like a pass.
	ErrNoChecks = errors.New("runner: no check selected")
	// ErrTags is a tag expression that does not parse.
	ErrTags = errors.New("runner: bad tag expression")
)

// errRunDeadline is the cause of a run stopped by limits.run_timeout.
var errRunDeadline = errors.New("limits.run_timeout reached")

// Select returns the checks a tag expression selects from the catalogue,
// and those it leaves out.
func Select(catalog []CheckInfo, tags string) (selected, left []CheckInfo, err error) {
	expr, err := tagexpr.Parse(tags)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrTags, err)
	}
	for _, c := range catalog {
		if expr.Match(c.Tags) {
			selected = append(selected, c)
		} else {
			left = append(left, c)
		}
	}
	if len(selected) == 0 {
		return nil, left, fmt.Errorf("%w: %q selects none of the %d checks (tags are the check IDs, e.g. @DISC-03, and the capabilities: @discovery, @sso, @sip, @xmpp, @hybrid)", ErrNoChecks, tags, len(catalog))
	}
	return selected, left, nil
}

// Run runs the selected features strictly (undefined and pending steps
// fail) and returns the results. It returns an error only when the run
// itself could not happen; failing checks, and checks that could not test,
// are in the Run. A run stopped by ctx or by limits.run_timeout still
// returns its results, marked Interrupted.
func Run(ctx context.Context, o Options) (*report.Run, error) {
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if _, err := report.LookupProfile(o.Profile); err != nil {
		return nil, err
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	catalog, err := Catalog(o.FS)
	if err != nil {
		return nil, err
	}
	selected, left, err := Select(catalog, o.Tags)
	if err != nil {
		return nil, err
	}
	if o.Shard.N > 0 && (o.Shard.K < 1 || o.Shard.K > o.Shard.N) {
		return nil, fmt.Errorf("%w %s", ErrShard, o.Shard)
	}
	selected, elsewhere := o.Shard.Split(selected)
	if len(selected) == 0 {
		return nil, fmt.Errorf("%w: shard %s has none of the %d selected checks (fewer checks than shards)", ErrNoChecks, o.Shard, len(elsewhere))
	}
	// Checks tagged @serial let the site's time pass (steps.Elapse): they
	// run one at a time after the others, so no other check sees the
	// site's clock jump.
	var parallel, serial []CheckInfo
	for _, c := range selected {
		if slices.Contains(c.Tags, TagSerial) {
			serial = append(serial, c)
		} else {
			parallel = append(parallel, c)
		}
	}
	parent := ctx
	if d := o.Target.RunTimeout(); d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, d, errRunDeadline)
		defer cancel()
	}
	started := time.Now()
	init := suite.Initializer(o.Target, o.Progress)
	var passes [][]byte
	status := 0
	for _, pass := range []struct {
		checks      []CheckInfo
		concurrency int
	}{{parallel, o.Concurrency}, {serial, 1}} {
		if len(pass.checks) == 0 {
			continue
		}
		godogTags := ""
		if len(pass.checks) < len(catalog) {
			ids := make([]string, len(pass.checks))
			for i, c := range pass.checks {
				ids[i] = "@" + c.ID
			}
			godogTags = strings.Join(ids, ",") // godog's own syntax, never the user's
		}
		var cucumber bytes.Buffer
		s := godog.TestSuite{
			Name:                "cutover",
			ScenarioInitializer: init,
			Options: &godog.Options{
				Format:         "cucumber",
				Output:         &cucumber,
				FS:             o.FS,
				Paths:          []string{"."},
				Tags:           godogTags,
				Strict:         true,
				Concurrency:    pass.concurrency,
				Randomize:      o.Seed,
				NoColors:       true,
				TestingT:       o.TestingT,
				DefaultContext: ctx,
			},
		}
		status = max(status, s.Run())
		passes = append(passes, cucumber.Bytes())
	}
	cucumber, err := MergeCucumber(passes)
	if err != nil {
		return nil, fmt.Errorf("runner: godog exited %d and its results did not parse: %w", status, err)
	}
	run := &report.Run{Tool: o.Tool, Command: o.Command, Target: o.Target.Site.Name, Tags: o.Tags, Started: started, Duration: time.Since(started)}
	for _, c := range left {
		run.NotSelected = append(run.NotSelected, c.ID)
	}
	run.Shard = o.Shard.String()
	run.TLSVerification = o.Target.TLSVerification()
	for _, c := range o.Target.Contacts() {
		run.Contacts = append(run.Contacts, report.Contact(c))
	}
	for _, c := range elsewhere {
		run.OtherShards = append(run.OtherShards, c.ID)
	}
	checks, err := report.FromCucumberJSON(cucumber)
	if err != nil {
		return nil, fmt.Errorf("runner: godog exited %d and its results did not parse: %w", status, err)
	}
	run.Checks = checks
	run.Profile = o.Profile
	if run.Profile == "" {
		run.Profile = report.ProfileCertification
	}
	waiver.Apply(run, o.Waivers, o.Now())
	switch {
	case parent.Err() != nil:
		run.Interrupted = "interrupted: " + context.Cause(parent).Error()
	case ctx.Err() != nil:
		run.Interrupted = fmt.Sprintf("stopped: %v (%s)", context.Cause(ctx), o.Target.RunTimeout())
	}
	report.Redact(run, o.Target.Redact)
	if len(run.Checks) == 0 && run.Interrupted == "" {
		return run, fmt.Errorf("%w by tags %q", ErrNoChecks, o.Tags)
	}
	if status != 0 && len(run.Failed())+len(run.With(report.Error))+len(run.With(report.Waived)) == 0 && run.Interrupted == "" {
		return run, fmt.Errorf("runner: godog exited %d with no failing check (a broken feature?)", status)
	}
	if o.ReportDir != "" {
		if err := WriteReports(o.ReportDir, o.FilePrefix, run, cucumber); err != nil {
			return run, err
		}
	}
	return run, nil
}

// TagSerial marks a check that lets the site's time pass: it runs alone.
const TagSerial = "@serial"

// MergeCucumber joins cucumber JSON arrays (the passes of a run, the
// shards of a sharded run) into one; empty inputs are skipped.
func MergeCucumber(passes [][]byte) ([]byte, error) {
	if len(passes) == 1 {
		return passes[0], nil
	}
	if len(passes) == 0 {
		return nil, nil
	}
	var all []json.RawMessage
	for _, p := range passes {
		var features []json.RawMessage
		if len(bytes.TrimSpace(p)) > 0 {
			if err := json.Unmarshal(p, &features); err != nil {
				return nil, err
			}
		}
		all = append(all, features...)
	}
	if all == nil {
		all = []json.RawMessage{}
	}
	return json.MarshalIndent(all, "", "    ")
}

// Report file names (prefixed by Options.FilePrefix).
const (
	FileJUnit    = "junit.xml"
	FileCucumber = "cucumber.json"
	FileHTML     = "report.html"
	FileResults  = "results.json"
)

// WriteReports writes junit.xml, report.html and results.json from the
// results model, cucumber.json as godog wrote it with each scenario's
// verdict as a tag (its errors and evidence were redacted by the steps as
// they were recorded), the evidence bundle (evidence/) and, last, the
// manifest of every file with its SHA-256, into dir. Under --repeat
// (a prefix) the runs share dir: each has its prefixed files, and the
// bundle and manifest are written once, by the caller, for the last.
func WriteReports(dir, prefix string, run *report.Run, cucumber []byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("runner: report dir: %w", err)
	}
	write := func(name string, f func(*bytes.Buffer) error) error {
		var b bytes.Buffer
		if err := f(&b); err != nil {
			return fmt.Errorf("runner: %s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, prefix+name), b.Bytes(), 0o644); err != nil {
			return fmt.Errorf("runner: %s: %w", name, err)
		}
		return nil
	}
	if cucumber != nil {
		annotated, err := report.AnnotateCucumber(cucumber, run)
		if err != nil {
			return fmt.Errorf("runner: %s: %w", FileCucumber, err)
		}
		if err := write(FileCucumber, func(b *bytes.Buffer) error { _, err := b.Write(annotated); return err }); err != nil {
			return err
		}
	}
	if err := write(FileJUnit, func(b *bytes.Buffer) error { return report.WriteJUnit(b, run) }); err != nil {
		return err
	}
	bundle := prefix == ""
	if err := write(FileHTML, func(b *bytes.Buffer) error { return report.WriteHTMLWith(b, run, report.HTMLOptions{Bundle: bundle}) }); err != nil {
		return err
	}
	if err := write(FileResults, func(b *bytes.Buffer) error { return report.WriteJSON(b, run) }); err != nil {
		return err
	}
	if !bundle {
		return nil
	}
	if err := report.WriteEvidence(dir, run); err != nil {
		return fmt.Errorf("runner: %w", err)
	}
	if err := report.WriteManifest(dir, run); err != nil {
		return fmt.Errorf("runner: %w", err)
	}
	return nil
}
