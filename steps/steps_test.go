package steps_test

import (
	"context"
	"testing"

	"example.com/cutover/features"
	"example.com/cutover/harness/embedded"
	"example.com/cutover/harness/fakesite"
	"example.com/cutover/harness/runner"
)

// TestFeatures runs every feature against the embedded fakes, strictly and
// concurrently, each scenario as a subtest.
func TestFeatures(t *testing.T) {
	ctx := context.Background()
	tg, err := embedded.Start(ctx, fakesite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := tg.Close(); err != nil {
			t.Errorf("close fakes: %v", err)
		}
	})
	run, err := runner.Run(ctx, runner.Options{Target: tg, FS: features.FS, Concurrency: 4, TestingT: t})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range run.Failed() {
		t.Errorf("%s failed on the healthy fakes: %s", c.ID, c.Reason)
	}
}
