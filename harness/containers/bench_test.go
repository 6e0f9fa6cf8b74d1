package containers

import (
	"context"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go/log"

	"example.com/cutover/harness/fakesite"
)

// BenchmarkImage measures making the fake's image: "cold" removes the
// image first (go build with a warm build cache + docker build), "warm"
// finds it by its hash tag and skips the build.
func BenchmarkImage(b *testing.B) {
	ctx := context.Background()
	d, err := connect(ctx, log.NewNoopLogger())
	if err != nil {
		b.Skipf("containers tier skipped: %v", err)
	}
	cfg := defaultConfig()
	for _, cold := range []bool{true, false} {
		name := map[bool]string{true: "cold", false: "warm"}[cold]
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if cold {
					b.StopTimer()
					info, err := d.ensureImage(ctx, cfg)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := d.cli.ImageRemove(ctx, info.Ref, client.ImageRemoveOptions{Force: true, PruneChildren: true}); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
				info, err := d.ensureImage(ctx, cfg)
				if err != nil {
					b.Fatal(err)
				}
				if info.Built != cold {
					b.Fatalf("%s: image built %t", name, info.Built)
				}
			}
		})
	}
}

// BenchmarkStart measures Start (image reused, 3 networks, 5 hosts in
// parallel then the 2 DNS views) and reports Close separately.
func BenchmarkStart(b *testing.B) {
	ctx := context.Background()
	if err := Available(ctx); err != nil {
		b.Skipf("containers tier skipped: %v", err)
	}
	var closing time.Duration
	for b.Loop() {
		t, err := Start(ctx, fakesite.Options{})
		if t != nil {
			b.StopTimer()
			began := time.Now()
			if cerr := t.Close(); cerr != nil {
				b.Error(cerr)
			}
			closing += time.Since(began)
			b.StartTimer()
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(closing.Seconds()/float64(b.N), "close-s/op")
}
