package certify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"example.com/cutover/harness/hybrid/gen"
)

// certifyInto certifies the generated exports in in into out, as shard
// (the zero Shard: unsharded).
func certifyInto(t *testing.T, files gen.Files, truth gen.Truth, out string, shard Shard) Summary {
	t.Helper()
	opts := Options{Webex: File(files.Webex), ReportDir: out, Shard: shard}
	for i, p := range files.UCM {
		s := File(p)
		s.Cluster = files.Clusters[i]
		s.Addressing = truth.Addressing
		opts.UCM = append(opts.UCM, s)
	}
	sum, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// TestShardsMergeToTheUnshardedRun: the N shards of a certification,
// merged, write the very files the unsharded run writes, byte for byte:
// every user in exactly one shard, the unsharded order, the bad rows once,
// the roll-up and HTML computed over everyone.
func TestShardsMergeToTheUnshardedRun(t *testing.T) {
	cfg := gen.Config{Users: 3000, Seed: 7, DefectRate: 0.2, BadRows: 6, HugeRows: true,
		Clusters: []string{"emea", "amer", "apac"}, CRLF: true}
	dir := t.TempDir()
	files, truth, err := gen.WriteFiles(filepath.Join(dir, "in"), cfg)
	if err != nil {
		t.Fatal(err)
	}
	whole := certifyInto(t, files, truth, filepath.Join(dir, "whole"), Shard{})
	if whole.RowErrors == 0 || whole.WebexOnly == 0 || whole.WebexUnused == 0 || whole.NotRoutable == 0 {
		t.Fatalf("the exports lack a case the merge must carry: %+v", whole.Rollup)
	}
	for _, n := range []int{1, 2, 5} {
		t.Run(fmt.Sprint(n, " shards"), func(t *testing.T) {
			var dirs []string
			users := 0
			for k := n; k >= 1; k-- { // in any order
				d := filepath.Join(dir, fmt.Sprintf("shard-%d-of-%d", k, n))
				s := certifyInto(t, files, truth, d, Shard{K: k, N: n})
				users += s.Users
				dirs = append(dirs, d)
			}
			if users != whole.Users {
				t.Fatalf("the shards certified %d users in all, the whole run %d", users, whole.Users)
			}
			out := filepath.Join(dir, fmt.Sprint("merged-", n))
			sum, err := MergeReports(out, dirs)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Users != whole.Users || sum.NotRoutable != whole.NotRoutable {
				t.Fatalf("merged summary %+v, want %+v", sum.Rollup, whole.Rollup)
			}
			for _, f := range []string{UsersCSV, UsersJSON, ErrorsCSV, RollupJSON, SectionHTML} {
				want, _ := os.ReadFile(filepath.Join(dir, "whole", f))
				got, err := os.ReadFile(filepath.Join(out, f))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s merged from %d shards differs from the unsharded run's (%d bytes, want %d)", f, n, len(got), len(want))
				}
			}
		})
	}
}

// TestMergeRefusesWhatIsNotOneRun: a shard missing or twice, an unsharded
// report, shards of different runs, and a bad --shard are errors.
func TestMergeRefusesWhatIsNotOneRun(t *testing.T) {
	dir := t.TempDir()
	files, truth, err := gen.WriteFiles(filepath.Join(dir, "in"), gen.Config{Users: 200, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	d := func(name string, s Shard) string {
		p := filepath.Join(dir, name)
		certifyInto(t, files, truth, p, s)
		return p
	}
	a, b, c := d("a", Shard{1, 3}), d("b", Shard{2, 3}), d("c", Shard{3, 3})
	other := d("other", Shard{2, 2})
	whole := d("whole", Shard{})
	if _, err := MergeReports(a, []string{a, b, c}); !errors.Is(err, ErrMerge) {
		t.Errorf("--out a shard's own directory: %v, want ErrMerge", err)
	}
	otherDomain := filepath.Join(dir, "other-domain")
	opts := Options{Webex: File(files.Webex), ReportDir: otherDomain, Shard: Shard{3, 3}}
	for i, p := range files.UCM {
		s := File(p)
		s.Cluster = files.Clusters[i]
		s.Addressing = truth.Addressing
		s.Addressing.DefaultDomain = "other.example.net"
		opts.UCM = append(opts.UCM, s)
	}
	if _, err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	for name, dirs := range map[string][]string{
		"another IM&P domain": {a, b, otherDomain},
		"a shard missing":     {a, b},
		"a shard twice":       {a, b, b},
		"an unsharded run":    {a, b, whole},
		"another run's part":  {a, b, other},
	} {
		if _, err := MergeReports(filepath.Join(dir, "out"), dirs); !errors.Is(err, ErrMerge) {
			t.Errorf("%s: %v, want ErrMerge", name, err)
		}
	}
	if _, err := MergeReports(filepath.Join(dir, "out"), []string{c, a, b}); err != nil {
		t.Fatalf("the three shards in any order: %v", err)
	}
	for _, s := range []Shard{{0, 3}, {4, 3}, {1, -1}} {
		opts := Options{UCM: []Source{File(files.UCM[0])}, Webex: File(files.Webex), Shard: s}
		if _, err := Run(context.Background(), opts); !errors.Is(err, ErrOptions) {
			t.Errorf("shard %d/%d: %v, want ErrOptions", s.K, s.N, err)
		}
	}
}
