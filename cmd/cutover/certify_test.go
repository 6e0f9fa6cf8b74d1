package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
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
