package containers

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/testcontainers/testcontainers-go/log"
)

// Option tunes how the containers run (the site itself is set by
// fakesite.Options, as for every launcher). Options are checked at
// NewLauncher.
type Option func(*config) error

type config struct {
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

// WithFakeBinary uses a prebuilt static linux binary instead of building
// ./cmd/cutover-fake with the go tool (which needs the module's source: go
// env GOMOD must name it). A custom build (a main that calls
// fakesite.ServeHost with more kinds) runs plans with kinds of its own.
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
