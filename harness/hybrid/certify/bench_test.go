package certify

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"example.com/cutover/harness/hybrid/gen"
)

// BenchmarkCertify certifies a generated pair of exports (5% defective
// users, a few bad rows) with every report file written. The files are
// generated before the timer starts. users/s counts verdicts.
func BenchmarkCertify(b *testing.B) {
	for _, n := range []int{20000, 200000} {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			files, truth, err := gen.WriteFiles(filepath.Join(dir, "in"), gen.Config{Users: n, Seed: 1, BadRows: 10})
			if err != nil {
				b.Fatal(err)
			}
			opts := benchOptions(files, truth, filepath.Join(dir, "out"))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				sum, err := Run(context.Background(), opts)
				if err != nil {
					b.Fatal(err)
				}
				if sum.Users != truth.Users {
					b.Fatalf("%d verdicts, want %d", sum.Users, truth.Users)
				}
			}
			b.ReportMetric(float64(truth.Users)*float64(b.N)/b.Elapsed().Seconds(), "users/s")
		})
	}
}

func benchOptions(files gen.Files, truth gen.Truth, out string) Options {
	opts := Options{Webex: File(files.Webex), ReportDir: out}
	for i, p := range files.UCM {
		s := File(p)
		s.Cluster = files.Clusters[i]
		s.Addressing = truth.Addressing
		opts.UCM = append(opts.UCM, s)
	}
	return opts
}

// TestCertifyBenchFiles is scripts/bench-certify.sh's measured run: it
// certifies the files CUTOVER_HYBRID_BENCH_DIR holds (written by
// gen.TestWriteBenchFiles, with truth.json) in this process alone, checks
// the verdicts against the truth, and prints users/s; the script reads the
// peak RSS from /usr/bin/time. Skipped without the variable.
func TestCertifyBenchFiles(t *testing.T) {
	dir := os.Getenv("CUTOVER_HYBRID_BENCH_DIR")
	if dir == "" {
		t.Skip("set CUTOVER_HYBRID_BENCH_DIR (scripts/bench-certify.sh does)")
	}
	var meta struct {
		Files gen.Files
		Truth gen.Truth
	}
	b, err := os.ReadFile(filepath.Join(dir, "truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	opts := benchOptions(meta.Files, meta.Truth, filepath.Join(dir, "report"))
	var got []Verdict
	check := os.Getenv("CUTOVER_HYBRID_BENCH_CHECK") != ""
	if check {
		opts.Sink = func(v Verdict) {
			if !v.Routable {
				got = append(got, v)
			}
		}
	}
	start := time.Now()
	sum, err := Run(context.Background(), opts)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("certify: %d users (%d routable, %d not, %d bad rows) in %v: %.0f users/s; Go heap peak sys %d MiB\n",
		sum.Users, sum.Routable, sum.NotRoutable, sum.RowErrors, took.Round(time.Millisecond),
		float64(sum.Users)/took.Seconds(), ms.Sys>>20)
	if sum.Users != meta.Truth.Users || sum.Routable != meta.Truth.Routable || sum.RowErrors != len(meta.Truth.RowErrors) {
		t.Fatalf("got %d users, %d routable, %d bad rows; the generator made %d, %d, %d",
			sum.Users, sum.Routable, sum.RowErrors, meta.Truth.Users, meta.Truth.Routable, len(meta.Truth.RowErrors))
	}
	if check {
		wrong := 0
		for _, v := range got {
			if _, ok := meta.Truth.Defects[v.Key()]; !ok {
				wrong++
			}
		}
		fmt.Printf("certify: %d not-routable users checked against the seeded defects: %d not seeded\n", len(got), wrong)
		if wrong > 0 || len(got) != len(meta.Truth.Defects) {
			t.Fatalf("%d reported, %d seeded, %d wrong", len(got), len(meta.Truth.Defects), wrong)
		}
	}
}

// TestCertifyReportMatchesTruth checks what `cutover certify` wrote for
// the files in CUTOVER_HYBRID_BENCH_DIR (its hybrid-users.csv in
// CUTOVER_HYBRID_BENCH_REPORT) against the generator's truth: exactly the
// seeded users are not routable, each with exactly the seeded reasons, and
// every user has a row. scripts/bench-certify.sh runs it after the
// measured CLI run. Skipped without the variables.
func TestCertifyReportMatchesTruth(t *testing.T) {
	dir, rep := os.Getenv("CUTOVER_HYBRID_BENCH_DIR"), os.Getenv("CUTOVER_HYBRID_BENCH_REPORT")
	if dir == "" || rep == "" {
		t.Skip("set CUTOVER_HYBRID_BENCH_DIR and CUTOVER_HYBRID_BENCH_REPORT (scripts/bench-certify.sh does)")
	}
	var meta struct{ Truth gen.Truth }
	b, err := os.ReadFile(filepath.Join(dir, "truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(rep, "hybrid-users.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	head, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	got, users := map[string][]string{}, 0
	for {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		users++
		if row[col["routable"]] == "true" {
			continue
		}
		id := row[col["user_id"]]
		if row[col["kind"]] == "webex" {
			id = row[col["webex_email"]]
		}
		reasons := strings.Split(row[col["reasons"]], ";")
		slices.Sort(reasons)
		got[row[col["kind"]]+":"+strings.ToLower(id)] = reasons
	}
	wrong := 0
	for k, want := range meta.Truth.Defects {
		if !slices.Equal(got[k], want) {
			wrong++
			if wrong <= 10 {
				t.Errorf("%s: reasons %v, want %v", k, got[k], want)
			}
		}
	}
	fmt.Printf("certify: the CLI's report: %d users, %d not routable; %d seeded, %d not as seeded\n", users, len(got), len(meta.Truth.Defects), wrong)
	if users != meta.Truth.Users || len(got) != len(meta.Truth.Defects) || wrong > 0 {
		t.Fatalf("%d users (want %d), %d not routable (want %d), %d wrong", users, meta.Truth.Users, len(got), len(meta.Truth.Defects), wrong)
	}
}
