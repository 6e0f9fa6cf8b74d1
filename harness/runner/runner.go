package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cucumber/godog"

	"example.com/cutover/harness/report"
	"example.com/cutover/harness/target"
	"example.com/cutover/steps/suite"
)

// Options of one run.
type Options struct {
	// Target is the site under test.
	Target *target.Target
	// FS holds the features (features.FS).
	FS fs.FS
	// Tags is a godog tag expression, e.g. "@discovery && ~@DISC-03".
	Tags string
	// Concurrency is how many scenarios run at once. Default 4.
	Concurrency int
	// ReportDir, when set, receives junit.xml, cucumber.json and report.html.
	ReportDir string
	// Seed, when not 0, shuffles scenario order reproducibly.
	Seed int64
	// TestingT runs each scenario as a subtest (under go test).
	TestingT *testing.T
}

// ErrNoChecks means the tag expression selected nothing: a run that checks
// nothing must not look like a pass.
var ErrNoChecks = errors.New("runner: no check selected")

// Run runs the features strictly (undefined and pending steps fail) and
// returns the results. It returns an error only when the run itself could
// not happen; failing checks are in the Run.
func Run(ctx context.Context, o Options) (*report.Run, error) {
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	// limits.run_timeout bounds the whole run, whatever the site does.
	if d := o.Target.RunTimeout(); d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	var cucumber bytes.Buffer
	format := "cucumber"
	if o.ReportDir != "" {
		if err := os.MkdirAll(o.ReportDir, 0o755); err != nil {
			return nil, fmt.Errorf("runner: report dir: %w", err)
		}
		format += ",junit:" + filepath.Join(o.ReportDir, "junit.xml")
	}
	started := time.Now()
	suite := godog.TestSuite{
		Name:                "cutover",
		ScenarioInitializer: suite.Initializer(o.Target),
		Options: &godog.Options{
			Format:         format,
			Output:         &cucumber,
			FS:             o.FS,
			Paths:          []string{"."},
			Tags:           o.Tags,
			Strict:         true,
			Concurrency:    o.Concurrency,
			Randomize:      o.Seed,
			NoColors:       true,
			TestingT:       o.TestingT,
			DefaultContext: ctx,
		},
	}
	status := suite.Run()
	run := &report.Run{Target: o.Target.Site.Name, Started: started, Duration: time.Since(started)}
	checks, err := report.FromCucumberJSON(cucumber.Bytes())
	if err != nil {
		return nil, fmt.Errorf("runner: godog exited %d and its results did not parse: %w", status, err)
	}
	run.Checks = checks
	report.Redact(run, o.Target.Redact)
	if len(run.Checks) == 0 {
		return run, fmt.Errorf("%w by tags %q", ErrNoChecks, o.Tags)
	}
	if status != 0 && len(run.Failed()) == 0 {
		return run, fmt.Errorf("runner: godog exited %d with no failing check (bad tag expression or feature?)", status)
	}
	if o.ReportDir != "" {
		// Errors and evidence in the cucumber JSON were redacted by the
		// step hooks as they were recorded.
		if err := os.WriteFile(filepath.Join(o.ReportDir, "cucumber.json"), cucumber.Bytes(), 0o644); err != nil {
			return run, fmt.Errorf("runner: cucumber.json: %w", err)
		}
		if err := WriteReports(o.ReportDir, run); err != nil {
			return run, err
		}
	}
	return run, nil
}

// WriteReports writes report.html and results.json (our model, redacted)
// next to the junit.xml and cucumber.json godog wrote.
func WriteReports(dir string, run *report.Run) error {
	write := func(name string, f func(*bytes.Buffer) error) error {
		var b bytes.Buffer
		if err := f(&b); err != nil {
			return fmt.Errorf("runner: %s: %w", name, err)
		}
		return os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644)
	}
	if err := write("report.html", func(b *bytes.Buffer) error { return report.WriteHTML(b, run) }); err != nil {
		return err
	}
	return write("results.json", func(b *bytes.Buffer) error { return report.WriteJSON(b, run) })
}
