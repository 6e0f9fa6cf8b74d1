package containers

import (
	"example.com/cutover/harness/fakesite"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/testcontainers/testcontainers-go/log"
)

// Option tunes the containers site. Options are checked at Start.
type Option func(*config) error

type config struct {
	site       fakesite.Settings
	logger     log.Logger
	buildLog   io.Writer
	fakeBinary string
	startup    time.Duration
	sweep      bool
	runID      string
}

func defaultConfig() *config {
	return &config{
		logger:   log.NewNoopLogger(),
		buildLog: io.Discard,
		startup:  60 * time.Second,
		sweep:    true,
	}
}

// WithFaults injects faults by catalogue name (fakesite.Catalogue), applied
// to the plan before any container starts, exactly as harness/embedded does.
func WithFaults(names ...string) Option {
	return func(c *config) error { c.site.Faults = append(c.site.Faults, names...); return nil }
}

// WithName names the site in reports (default "containers", or
// "containers+fault,…" with faults).
func WithName(name string) Option { return func(c *config) error { c.site.Name = name; return nil } }

// WithTimeout sets the per-call timeout of the target (default: the plan's, 3s).
func WithTimeout(d time.Duration) Option {
	return func(c *config) error { c.site.Timeout = d; return nil }
}

// WithBudget sets the client discovery budget (default: the plan's, 5s).
func WithBudget(d time.Duration) Option {
	return func(c *config) error { c.site.Budget = d; return nil }
}

// WithLogger receives testcontainers-go's log lines (default: discarded, so
// that the CLI prints only the summary). log.TestLogger(t) suits tests.
func WithLogger(l log.Logger) Option {
	return func(c *config) error { c.logger = l; return nil }
}

// WithBuildLog receives the output of `docker build` when the image has to
// be built (default: discarded).
func WithBuildLog(w io.Writer) Option {
	return func(c *config) error { c.buildLog = w; return nil }
}

// WithFakeBinary uses a prebuilt static linux cutover-fake binary instead of
// building ./cmd/cutover-fake with the go tool (which needs the module's
// source: go env GOMOD must name it).
func WithFakeBinary(path string) Option {
	return func(c *config) error { c.fakeBinary = path; return nil }
}

// WithStartupTimeout bounds how long each container may take to print its
// ready line (default 60s).
func WithStartupTimeout(d time.Duration) Option {
	return func(c *config) error { c.startup = d; return nil }
}

// WithoutSweep skips removing the leftovers of dead runs at Start (default:
// sweep; see Sweep).
func WithoutSweep() Option { return func(c *config) error { c.sweep = false; return nil } }

// WithRunID sets the run's label value (default: random). Tests use it to
// prove that nothing labelled with it is left after Close.
func WithRunID(id string) Option {
	return func(c *config) error {
		if id == "" || strings.ContainsAny(id, " /:=") {
			return fmt.Errorf("containers: with run id: want a non-empty label value without spaces, '/', ':' or '=', got %q", id)
		}
		c.runID = id
		return nil
	}
}
