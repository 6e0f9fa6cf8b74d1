package runner

import (
	"context"
	"errors"
	"fmt"
	"os"

	"example.com/cutover/harness/containers"
	"example.com/cutover/harness/embedded"
	"example.com/cutover/harness/fakesite"
	"example.com/cutover/harness/target"
)

// Built-in targets.
const (
	// BuiltinEmbedded is the default target: the fakes in-process.
	BuiltinEmbedded = target.KindEmbedded
	// BuiltinContainers is the same fakes in Docker containers on networks
	// that model the site (harness/containers); it needs a Docker engine.
	BuiltinContainers = target.KindContainers
)

// Open returns the target named by spec: "embedded" (the example site's
// fakes in-process), "containers" (the same fakes in Docker containers) or
// a target file. A target file of kind embedded or containers starts those
// fakes with the faults it lists. o applies to the fakes (faults, timeout,
// …); the file's own settings come on top. Configuration problems, and a
// missing Docker engine for containers, wrap target.ErrConfig.
func Open(ctx context.Context, spec string, o fakesite.Options) (*target.Target, error) {
	kind := spec
	switch spec {
	case "", BuiltinEmbedded:
		kind = BuiltinEmbedded
	case BuiltinContainers:
	default:
		site, err := target.LoadFile(spec, os.LookupEnv)
		if err != nil {
			return nil, err
		}
		if !site.Fake() {
			// A lab site: the authentication failures the suite causes
			// there are remembered across runs for the lockout window.
			return target.New(site, target.WithAuthState(target.DefaultStateDir())), nil
		}
		kind = site.Kind
		for i, f := range site.Fakes.Faults {
			if _, ok := fakesite.Lookup(f); !ok {
				return nil, fmt.Errorf("%w: %s: unknown fault %q (see cutover list --faults)", target.ErrConfig, site.Where(fmt.Sprintf("fakes.faults[%d]", i)), f)
			}
		}
		o.Faults = append(o.Faults, site.Fakes.Faults...)
		if site.Line("limits.timeout") > 0 {
			o.Timeout = site.Limits.Timeout.D()
		}
		if site.Line("discovery.budget") > 0 {
			o.Budget = site.Discovery.Budget.D()
		}
		if site.Name != site.File {
			o.Name = site.Name
		}
	}
	var t *target.Target
	var err error
	if kind == BuiltinContainers {
		t, err = containers.Start(ctx, o)
	} else {
		t, err = embedded.Start(ctx, o)
	}
	if err != nil && (errors.Is(err, fakesite.ErrUnknownFault) || errors.Is(err, fakesite.ErrPlan)) {
		return nil, fmt.Errorf("%w: %w", target.ErrConfig, err)
	}
	return t, err
}
