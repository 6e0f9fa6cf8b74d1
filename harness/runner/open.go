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
	BuiltinEmbedded = "embedded"
	// BuiltinContainers is the same fakes in Docker containers on networks
	// that model the site (harness/containers); it needs a Docker engine.
	BuiltinContainers = "containers"
)

// Open returns the target named by spec: "embedded" (the built-in fakes),
// "containers" (the same fakes in Docker containers; opts apply only to
// embedded) or a target file. A target file of kind embedded starts the
// fakes with the faults it lists. Configuration problems, and a missing
// Docker engine for "containers", wrap target.ErrConfig.
func Open(ctx context.Context, spec string, opts ...embedded.Option) (*target.Target, error) {
	if spec == "" || spec == BuiltinEmbedded {
		return embedded.Start(ctx, opts...)
	}
	if spec == BuiltinContainers {
		t, err := containers.Start(ctx)
		if err != nil && errors.Is(err, fakesite.ErrUnknownFault) {
			return nil, fmt.Errorf("%w: %w", target.ErrConfig, err)
		}
		return t, err
	}
	site, err := target.LoadFile(spec, os.LookupEnv)
	if err != nil {
		return nil, err
	}
	if site.Kind != target.KindEmbedded {
		return target.New(site), nil
	}
	for i, f := range site.Embedded.Faults {
		if _, ok := fakesite.Lookup(f); !ok {
			return nil, fmt.Errorf("%w: %s: unknown fault %q (see cutover list --faults)", target.ErrConfig, site.Where(fmt.Sprintf("embedded.faults[%d]", i)), f)
		}
	}
	opts = append(opts, embedded.WithFaults(site.Embedded.Faults...))
	if site.Limits.Timeout > 0 && site.Line("limits.timeout") > 0 {
		opts = append(opts, embedded.WithTimeout(site.Limits.Timeout.D()))
	}
	if site.Discovery.Budget > 0 && site.Line("discovery.budget") > 0 {
		opts = append(opts, embedded.WithBudget(site.Discovery.Budget.D()))
	}
	if site.File != "" && site.Name != site.File {
		opts = append(opts, embedded.WithName(site.Name))
	}
	t, err := embedded.Start(ctx, opts...)
	if err != nil && errors.Is(err, embedded.ErrUnknownFault) {
		return nil, fmt.Errorf("%w: %w", target.ErrConfig, err)
	}
	return t, err
}
