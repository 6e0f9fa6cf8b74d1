package runner

import (
	"context"
	"errors"
	"fmt"
	"os"

	"example.com/cutover/harness/embedded"
	"example.com/cutover/harness/fakesite"
	"example.com/cutover/harness/target"
)

// BuiltinEmbedded is the name of the default target.
const BuiltinEmbedded = "embedded"

// Open returns the target named by spec: "embedded" (the built-in fakes) or
// a target file. A target file of kind embedded starts the fakes with the
// faults it lists. Configuration problems wrap target.ErrConfig.
func Open(ctx context.Context, spec string, opts ...embedded.Option) (*target.Target, error) {
	if spec == "" || spec == BuiltinEmbedded {
		return embedded.Start(ctx, opts...)
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
	if site.File != "" && site.Name != site.File {
		opts = append(opts, embedded.WithName(site.Name))
	}
	t, err := embedded.Start(ctx, opts...)
	if err != nil && errors.Is(err, embedded.ErrUnknownFault) {
		return nil, fmt.Errorf("%w: %w", target.ErrConfig, err)
	}
	return t, err
}
