// Package steps is the thin glue between the Gherkin features and the
// harness: a step parses its arguments, calls the harness through the
// target, and compares with what the target file says. Per-scenario state
// lives in the context; scenarios run concurrently.
package steps

import (
	"context"
	"fmt"
	"reflect"
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
// capability registers its steps here. Step definitions (compiled patterns
// and wrapped functions) are built once per run, not once per scenario.
func Initializer(t *target.Target) func(*godog.ScenarioContext) {
	st := &stepper{t: t}
	registerCommon(st)
	registerDiscovery(st)
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
		for _, d := range st.defs {
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

// stepper collects step definitions, each function wrapped so that a
// failure reads "ID: reason", redacted, whatever the step returned.
type stepper struct {
	t    *target.Target
	defs []stepDef
}

type stepDef struct {
	re *regexp.Regexp
	fn any
}

var (
	errorType   = reflect.TypeOf((*error)(nil)).Elem()
	contextType = reflect.TypeOf((*context.Context)(nil)).Elem()
)

// Step registers fn, whose first argument must be the context.
func (s *stepper) Step(pattern string, fn any) {
	re := regexp.MustCompile(pattern)
	v := reflect.ValueOf(fn)
	ft := v.Type()
	if ft.NumIn() == 0 || ft.In(0) != contextType {
		panic(fmt.Sprintf("steps: %s: the step function must take the context first", pattern))
	}
	n := ft.NumOut()
	if n == 0 || ft.Out(n-1) != errorType {
		s.defs = append(s.defs, stepDef{re, fn})
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
			e.Set(reflect.ValueOf(s.checkError(ctx, errV.Interface().(error))))
			out[n-1] = e
		}
		return out
	})
	s.defs = append(s.defs, stepDef{re, wrapped.Interface()})
}

func (s *stepper) checkError(ctx context.Context, err error) error {
	msg := s.t.Redact(err.Error())
	if w := worldFrom(ctx); w != nil && w.ID != "" && !strings.HasPrefix(msg, w.ID+":") {
		msg = w.ID + ": " + msg
	}
	return checkError{msg: msg, err: err}
}

func registerCommon(sc *stepper) {
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
