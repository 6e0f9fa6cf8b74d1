package runner_test

import (
	"context"
	"testing"

	"example.com/cutover/features"
	"example.com/cutover/harness/embedded"
	"example.com/cutover/harness/fakesite"
	"example.com/cutover/harness/runner"
)

// BenchmarkEmbeddedStart measures starting the whole embedded site (CA,
// certificates, two DNS views, five UDS nodes, Expressway-E).
func BenchmarkEmbeddedStart(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		t, err := embedded.Start(ctx, fakesite.Options{})
		if err != nil {
			b.Fatal(err)
		}
		t.Close()
	}
}

// BenchmarkSuite measures one full run of every feature against a running
// embedded site, at the CLI's default concurrency.
func BenchmarkSuite(b *testing.B) {
	ctx := context.Background()
	t, err := embedded.Start(ctx, fakesite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer t.Close()
	for b.Loop() {
		run, err := runner.Run(ctx, runner.Options{Target: t, FS: features.FS, Concurrency: 4})
		if err != nil || len(run.Failed()) > 0 {
			b.Fatalf("run: %v", err)
		}
	}
}

// BenchmarkSuiteSerial is the same with one scenario at a time.
func BenchmarkSuiteSerial(b *testing.B) {
	ctx := context.Background()
	t, err := embedded.Start(ctx, fakesite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer t.Close()
	for b.Loop() {
		if _, err := runner.Run(ctx, runner.Options{Target: t, FS: features.FS, Concurrency: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
