package main

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"example.com/cutover/harness/hybrid/gen"
)

// TestCertifyFindsTheSeededUsers: cutover certify on a generated pair of
// exports (two clusters, seeded defects, bad rows, CRLF and a BOM) names
// exactly the users the generator broke, each with the reasons it seeded,
// exits 1, and exits 2 for an export that is not a CSV.
func TestCertifyFindsTheSeededUsers(t *testing.T) {
	dir := t.TempDir()
	files, truth, err := gen.WriteFiles(filepath.Join(dir, "in"), gen.Config{Users: 3000, Seed: 11, BadRows: 3, DefectRate: 0.1,
		Clusters: []string{"cucm-a", "cucm-b"}, CRLF: true, BOM: true})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	args := []string{"certify", "--webex-users", files.Webex, "--imp-domain", truth.Addressing.DefaultDomain, "--report", out}
	for i, f := range files.UCM {
		args = append(args, "--ucm-users", f+"="+files.Clusters[i])
	}
	code, stdout, errs := cutover(t, args...)
	if code != 1 || !strings.Contains(stdout, "not routable") {
		t.Fatalf("certify: exit %d, want 1\n%s%s", code, stdout, errs)
	}
	f, err := os.Open(filepath.Join(out, "hybrid-users.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	got := map[string][]string{}
	for _, r := range rows[1:] {
		if r[col["routable"]] == "true" {
			continue
		}
		id := r[col["user_id"]]
		if r[col["kind"]] == "webex" {
			id = r[col["webex_email"]]
		}
		reasons := strings.Split(r[col["reasons"]], ";")
		slices.Sort(reasons)
		got[r[col["kind"]]+":"+strings.ToLower(id)] = reasons
	}
	if len(got) != len(truth.Defects) || len(rows)-1 != truth.Users {
		t.Errorf("%d users, %d not routable; the generator made %d users, %d with defects", len(rows)-1, len(got), truth.Users, len(truth.Defects))
	}
	for k, want := range truth.Defects {
		if !slices.Equal(got[k], want) {
			t.Errorf("%s: reasons %v, want %v", k, got[k], want)
		}
	}

	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("\x00\x01 not a csv"), 0o644)
	if code, _, errs := cutover(t, "certify", "--ucm-users", bad, "--webex-users", files.Webex, "--imp-domain", "imp.example.com"); code != 2 {
		t.Errorf("an export that is not a CSV: exit %d, want 2: %s", code, errs)
	}
}

// TestCertifyShardsMerge: cutover certify --shard K/N for each K, then
// cutover report merge, writes what the unsharded certify writes, with
// its exit status; a bad --shard, or one without --report, exits 2.
func TestCertifyShardsMerge(t *testing.T) {
	dir := t.TempDir()
	files, truth, err := gen.WriteFiles(filepath.Join(dir, "in"), gen.Config{Users: 1500, Seed: 5, BadRows: 2, DefectRate: 0.1,
		Clusters: []string{"cucm-a", "cucm-b"}})
	if err != nil {
		t.Fatal(err)
	}
	certify := func(extra ...string) (int, string) {
		args := []string{"certify", "--webex-users", files.Webex, "--imp-domain", truth.Addressing.DefaultDomain}
		for i, f := range files.UCM {
			args = append(args, "--ucm-users", f+"="+files.Clusters[i])
		}
		code, stdout, errs := cutover(t, append(args, extra...)...)
		return code, stdout + errs
	}
	if code, out := certify("--report", filepath.Join(dir, "whole")); code != 1 {
		t.Fatalf("unsharded: exit %d, want 1\n%s", code, out)
	}
	var shards []string
	for k := 1; k <= 3; k++ {
		d := filepath.Join(dir, "shard", strconv.Itoa(k))
		shards = append(shards, d)
		if code, out := certify("--shard", strconv.Itoa(k)+"/3", "--report", d); code > 1 || !strings.Contains(out, "(shard "+strconv.Itoa(k)+"/3)") {
			t.Fatalf("shard %d/3: exit %d\n%s", k, code, out)
		}
	}
	merged := filepath.Join(dir, "merged")
	code, stdout, errs := cutover(t, append([]string{"report", "merge", "--out", merged}, shards...)...)
	if code != 1 || !strings.Contains(stdout, "not routable") {
		t.Fatalf("report merge of the certify shards: exit %d, want 1\n%s%s", code, stdout, errs)
	}
	for _, f := range []string{"hybrid-users.csv", "hybrid-users.json", "hybrid-errors.csv", "hybrid-rollup.json", "hybrid-section.html"} {
		want, _ := os.ReadFile(filepath.Join(dir, "whole", f))
		got, _ := os.ReadFile(filepath.Join(merged, f))
		if len(want) == 0 || !bytes.Equal(got, want) {
			t.Errorf("%s merged differs from the unsharded certify's", f)
		}
	}
	for _, bad := range [][]string{{"--shard", "4/3", "--report", dir}, {"--shard", "1/3"}} {
		if code, out := certify(bad...); code != 2 {
			t.Errorf("certify %v: exit %d, want 2\n%s", bad, code, out)
		}
	}
}
