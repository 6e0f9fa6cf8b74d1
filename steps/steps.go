// Package steps is the thin glue between the Gherkin features and the
// harness: a step parses its arguments, calls the harness through the
// target, and compares with what the target file says. Per-scenario state
// lives in the context; scenarios run concurrently.
package steps

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/cucumber/godog"

	"example.com/cutover/harness/target"
)

// IDPattern matches a check ID tag such as @DISC-03.
var IDPattern = regexp.MustCompile(`^@([A-Z]+-\d{2,})$`)

type worldKey struct{}

// World is one scenario's state.
type World struct {
	T     *target.Target
	ID    string
	where target.Where

	disc discoveryState
}

func worldFrom(ctx context.Context) *World {
	w, _ := ctx.Value(worldKey{}).(*World)
	return w
}

// Initializer returns the scenario initializer for a target. Every
// capability registers its steps here.
func Initializer(t *target.Target) func(*godog.ScenarioContext) {
	return func(sc *godog.ScenarioContext) {
		sc.Before(func(ctx context.Context, s *godog.Scenario) (context.Context, error) {
			w := &World{T: t, where: target.Inside}
			for _, tag := range s.Tags {
				if m := IDPattern.FindStringSubmatch(tag.Name); m != nil {
					w.ID = m[1]
				}
			}
			return context.WithValue(ctx, worldKey{}, w), nil
		})
		sc.StepContext().After(func(ctx context.Context, st *godog.Step, status godog.StepResultStatus, err error) (context.Context, error) {
			if err == nil {
				return ctx, nil
			}
			w := worldFrom(ctx)
			msg := t.Redact(err.Error())
			if w != nil && w.ID != "" && !strings.HasPrefix(msg, w.ID+":") {
				msg = w.ID + ": " + msg
			}
			return ctx, checkError{msg: msg, err: err}
		})
		registerCommon(sc)
		registerDiscovery(sc)
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

func registerCommon(sc *godog.ScenarioContext) {
	sc.Step(`^a client (inside|outside) the network$`, func(ctx context.Context, where string) context.Context {
		worldFrom(ctx).where = target.Where(where)
		return ctx
	})
}

// attach adds redacted text evidence to the current step.
func attach(ctx context.Context, name, body string) context.Context {
	w := worldFrom(ctx)
	if w != nil {
		body = w.T.Redact(body)
	}
	return godog.Attach(ctx, godog.Attachment{FileName: name, MediaType: "text/plain", Body: []byte(body)})
}

// failures collects one line per offending item so a check reports every
// problem of the site at once, not only the first.
type failures []string

func (f *failures) add(format string, args ...any) { *f = append(*f, fmt.Sprintf(format, args...)) }

func (f failures) err() error {
	switch len(f) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("%s", f[0])
	}
	return fmt.Errorf("%s (and %d more: %s)", f[0], len(f)-1, strings.Join(f[1:], "; "))
}
