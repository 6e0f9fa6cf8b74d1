package certify

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"example.com/cutover/harness/hybrid/export"
	"example.com/cutover/harness/hybrid/gen"
	"example.com/cutover/harness/hybrid/ident"
)

// runGenerated generates a pair (or more) of exports and certifies them,
// collecting every verdict.
func runGenerated(t *testing.T, cfg gen.Config, dir string) (gen.Truth, Summary, []Verdict) {
	t.Helper()
	files, truth, err := gen.WriteFiles(filepath.Join(dir, "in"), cfg)
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Webex: File(files.Webex), ReportDir: filepath.Join(dir, "out")}
	for i, p := range files.UCM {
		s := File(p)
		s.Cluster = files.Clusters[i]
		s.Addressing = truth.Addressing
		opts.UCM = append(opts.UCM, s)
	}
	var got []Verdict
	opts.Sink = func(v Verdict) { got = append(got, v) }
	sum, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return truth, sum, got
}

func checkTruth(t *testing.T, truth gen.Truth, sum Summary, got []Verdict) {
	t.Helper()
	seen := map[string]bool{}
	caseOnly := 0
	for _, v := range got {
		k := v.Key()
		if seen[k] {
			t.Errorf("%s certified twice", k)
		}
		seen[k] = true
		want, broken := truth.Defects[k]
		codes := v.Codes()
		sort.Strings(codes)
		switch {
		case v.Routable && broken:
			t.Errorf("%s (%s) routable; the generator broke it: %v", k, v.Source, want)
		case !v.Routable && !broken:
			t.Errorf("%s (%s) not routable, but healthy: %+v", k, v.Source, v.Reasons)
		case broken && !reflect.DeepEqual(codes, want):
			t.Errorf("%s (%s): reasons %v, want %v (%+v)", k, v.Source, codes, want, v.Reasons)
		}
		for _, w := range v.Warnings {
			if w.Code == WarnCaseDiffers {
				caseOnly++
			}
		}
	}
	for k, want := range truth.Defects {
		if !seen[k] {
			t.Errorf("%s with %v not reported", k, want)
		}
	}
	if sum.Users != truth.Users || sum.Routable != truth.Routable {
		t.Errorf("summary: %d users, %d routable; want %d, %d", sum.Users, sum.Routable, truth.Users, truth.Routable)
	}
	if caseOnly != truth.CaseOnly {
		t.Errorf("%d case_differs warnings, want %d", caseOnly, truth.CaseOnly)
	}
	var gotErr []gen.Loc
	for _, e := range sum.Errors {
		gotErr = append(gotErr, gen.Loc{File: e.File, Line: e.Line})
	}
	sortLocs := func(l []gen.Loc) {
		sort.Slice(l, func(i, j int) bool {
			if l[i].File != l[j].File {
				return l[i].File < l[j].File
			}
			return l[i].Line < l[j].Line
		})
	}
	want := append([]gen.Loc(nil), truth.RowErrors...)
	sortLocs(gotErr)
	sortLocs(want)
	if sum.RowErrors != len(want) || !reflect.DeepEqual(gotErr, want) {
		t.Errorf("row errors %v (%d), want %v", gotErr, sum.RowErrors, want)
	}
}

func TestCertifyGenerated(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  gen.Config
	}{
		{"one cluster", gen.Config{Users: 3000, Seed: 1, DefectRate: 0.2, BadRows: 8, HugeRows: true}},
		{"three clusters, CRLF and BOM", gen.Config{Users: 3000, Seed: 2, DefectRate: 0.2, BadRows: 4, Clusters: []string{"emea", "amer", "apac"}, CRLF: true, BOM: true}},
		{"healthy", gen.Config{Users: 2000, Seed: 3, DefectRate: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			truth, sum, got := runGenerated(t, tc.cfg, t.TempDir())
			if tc.cfg.DefectRate > 0 {
				for _, k := range gen.Kinds() {
					if truth.Kinds[k] == 0 {
						t.Errorf("seed made no %s defect", k)
					}
				}
			}
			checkTruth(t, truth, sum, got)
		})
	}
}

func TestReportFiles(t *testing.T) {
	dir := t.TempDir()
	truth, sum, _ := runGenerated(t, gen.Config{Users: 500, Seed: 9, DefectRate: 0.3, BadRows: 2}, dir)
	out := filepath.Join(dir, "out")
	var users []Verdict
	b, err := os.ReadFile(filepath.Join(out, UsersJSON))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &users); err != nil || len(users) != truth.Users {
		t.Fatalf("%s: %d verdicts, %v; want %d", UsersJSON, len(users), err, truth.Users)
	}
	f, err := os.Open(filepath.Join(out, UsersCSV))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	csvText, _ := os.ReadFile(filepath.Join(out, UsersCSV))
	if n := strings.Count(string(csvText), "\nucm,") + strings.Count(string(csvText), "\nwebex,"); n != truth.Users {
		t.Errorf("%s has %d user rows, want %d", UsersCSV, n, truth.Users)
	}
	var roll Summary
	b, _ = os.ReadFile(filepath.Join(out, RollupJSON))
	if err := json.Unmarshal(b, &roll); err != nil || roll.Users != sum.Users || len(roll.ByReason) == 0 || len(roll.ByDomain) == 0 {
		t.Errorf("%s: %v %+v", RollupJSON, err, roll.Rollup)
	}
	html, _ := os.ReadFile(filepath.Join(out, SectionHTML))
	h := string(html)
	if !strings.HasPrefix(h, `<section class="cutover-hybrid"`) || !strings.HasSuffix(strings.TrimSpace(h), "</section>") ||
		strings.Contains(h, "<script") || !strings.Contains(h, "HYB-01") {
		t.Errorf("%s is not a self-contained section:\n%.400s", SectionHTML, h)
	}
	errs, _ := os.ReadFile(filepath.Join(out, ErrorsCSV))
	if n := strings.Count(string(errs), "\n") - 1; n != len(truth.RowErrors) {
		t.Errorf("%s has %d rows, want %d", ErrorsCSV, n, len(truth.RowErrors))
	}
}

func TestSample(t *testing.T) {
	dir := t.TempDir()
	files, truth, err := gen.WriteFiles(dir, gen.Config{Users: 400, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	pick := func(seed uint64) []string {
		var ids []string
		ucm := File(files.UCM[0])
		ucm.Addressing = truth.Addressing
		sum, err := Run(context.Background(), Options{UCM: []Source{ucm}, Webex: File(files.Webex),
			Sample: &Sample{N: 5, Seed: seed, RoutableOnly: true, Check: func(_ context.Context, v Verdict) []Outcome {
				ids = append(ids, v.UserID)
				return []Outcome{{Check: "HYB-03", Pass: true, Detail: "sent and replied"}}
			}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(sum.Samples) != 5 {
			t.Fatalf("%d samples", len(sum.Samples))
		}
		for _, s := range sum.Samples {
			if !s.Verdict.Routable {
				t.Errorf("sampled unroutable %s", s.Verdict.UserID)
			}
		}
		return ids
	}
	a, b, c := pick(1), pick(1), pick(2)
	if !reflect.DeepEqual(a, b) || reflect.DeepEqual(a, c) {
		t.Errorf("samples not deterministic by seed: %v %v %v", a, b, c)
	}
}

// TestReasons certifies hand-written rows, one per reason, so the details
// read right.
func TestReasons(t *testing.T) {
	ucm := "USER ID,MAIL ID,DIRECTORY URI,HOME CLUSTER,ENABLE USER FOR UNIFIED CM IM AND PRESENCE,CONTROLLED DEVICE 1\n" +
		"ok,ok@example.com,OK@example.com,t,t,CSFOK\n" +
		"none,,,t,t,\n" +
		"mailonly,mailonly@example.com,,t,t,\n" +
		"bad,bad@example.com,\"Bad, Smith@example.com\",t,t,\n" +
		"mismatch,mis.match@example.com,mismatch@example.com,t,t,\n" +
		"dup1,dup@example.com,dup@example.com,t,t,\n" +
		"dup2,dup@example.com,dup@example.com,t,t,\n" +
		"noimp,noimp@example.com,noimp@example.com,t,f,\n" +
		"nohybrid,nohybrid@example.com,nohybrid@example.com,t,t,\n" +
		"nowebex,nowebex@example.com,nowebex@example.com,t,t,\n" +
		"away,away@example.com,away@example.com,f,t,\n" +
		"ok,again@example.com,again@example.com,t,t,\n"
	webex := "User ID/Email (Required),User Status,Hybrid Message Service\n" +
		"ok@EXAMPLE.com,Active,TRUE\nmailonly@example.com,Active,TRUE\nbad@example.com,Active,TRUE\n" +
		"mis.match@example.com,Active,TRUE\ndup@example.com,Active,TRUE\nnoimp@example.com,Active,TRUE\n" +
		"nohybrid@example.com,Active,FALSE\naway@example.com,Active,TRUE\norphan@example.com,Active,TRUE\n" +
		"cloud@example.com,Active,FALSE\nnot an email,Active,TRUE\n"
	dir := t.TempDir()
	up, wp := filepath.Join(dir, "u.csv"), filepath.Join(dir, "w.csv")
	os.WriteFile(up, []byte(ucm), 0o644)
	os.WriteFile(wp, []byte(webex), 0o644)
	src := File(up)
	src.Addressing = ident.Addressing{Scheme: ident.SchemeUserID, DefaultDomain: "imp.example.com"}
	got := map[string]Verdict{}
	sum, err := Run(context.Background(), Options{UCM: []Source{src}, Webex: File(wp), Sink: func(v Verdict) { got[v.Key()] = v }})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"ucm:ok": "", "ucm:none": "no_email", "ucm:mailonly": "no_directory_uri", "ucm:bad": "bad_directory_uri",
		"ucm:mismatch": "directory_uri_mismatch", "ucm:dup1": "duplicate_email", "ucm:dup2": "duplicate_email",
		"ucm:noimp": "imp_disabled", "ucm:nohybrid": "hybrid_disabled", "ucm:nowebex": "not_in_webex",
		"ucm:away": "not_homed", "webex:orphan@example.com": "not_in_ucm",
	}
	for k, codes := range want {
		v, ok := got[k]
		if !ok {
			t.Errorf("no verdict for %s", k)
			continue
		}
		if c := strings.Join(v.Codes(), ","); c != codes {
			t.Errorf("%s: reasons %q, want %q: %+v", k, c, codes, v.Reasons)
		}
		for _, r := range v.Reasons {
			if r.Check == "" || r.Detail == "" {
				t.Errorf("%s: reason without check or detail: %+v", k, r)
			}
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d verdicts, want %d", len(got), len(want))
	}
	if w := got["ucm:ok"].Warnings; len(w) != 1 || w[0].Code != WarnCaseDiffers {
		t.Errorf("ok's warnings: %+v", w)
	}
	if !strings.Contains(got["ucm:mismatch"].Reasons[0].Detail, "mis.match@example.com") {
		t.Errorf("mismatch detail: %s", got["ucm:mismatch"].Reasons[0].Detail)
	}
	if sum.RowErrors != 2 || sum.WebexUnused != 1 {
		t.Errorf("row errors %d (%+v), unused %d", sum.RowErrors, sum.Errors, sum.WebexUnused)
	}
	if !reflect.DeepEqual(got["ucm:ok"].Devices, []string{"CSF"}) {
		t.Errorf("devices %v", got["ucm:ok"].Devices)
	}
}

func TestNotCSVIsFatal(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "photo.png")
	os.WriteFile(bin, []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), 0o644)
	ok := filepath.Join(dir, "w.csv")
	os.WriteFile(ok, []byte("User ID/Email (Required),Hybrid Message Service\na@example.com,TRUE\n"), 0o644)
	_, err := Run(context.Background(), Options{UCM: []Source{File(bin)}, Webex: File(ok)})
	if !errors.Is(err, export.ErrNotCSV) || !strings.Contains(err.Error(), "photo.png") {
		t.Errorf("binary UCM export: %v", err)
	}
	_, err = Run(context.Background(), Options{UCM: []Source{File(ok)}, Webex: File(ok)})
	if !errors.Is(err, export.ErrColumns) {
		t.Errorf("Control Hub file as UCM export: %v", err)
	}
	_, err = Run(context.Background(), Options{Webex: File(ok)})
	if !errors.Is(err, ErrOptions) {
		t.Errorf("no UCM: %v", err)
	}
	_, err = Run(context.Background(), Options{UCM: []Source{File(filepath.Join(dir, "missing.csv"))}, Webex: File(ok)})
	if err == nil || !strings.Contains(err.Error(), "missing.csv") {
		t.Errorf("missing file: %v", err)
	}
}

func TestAppendVerdictMatchesMarshal(t *testing.T) {
	_, _, got := runGenerated(t, gen.Config{Users: 800, Seed: 11, DefectRate: 0.3}, t.TempDir())
	got = append(got, Verdict{Kind: "ucm", UserID: "<a&b>\u2028\x01\"\\\xff", Source: "x:1", Devices: []string{"CSF"},
		Reasons: []Reason{{Code: "c", Check: "HYB-01", Detail: "tab\there\nnew line"}}, Warnings: []Reason{{Code: "w"}}})
	for _, v := range got {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if g := appendVerdict(nil, v); string(g) != string(want) {
			t.Fatalf("appendVerdict:\n%s\njson.Marshal:\n%s", g, want)
		}
	}
}

func TestSpool(t *testing.T) {
	src, remove, err := Spool("-", strings.NewReader("USER ID,MAIL ID,DIRECTORY URI\na,a@example.com,a@example.com\n"), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer remove()
	wx, removeWx, err := Spool("ch.csv", strings.NewReader("User ID/Email (Required),Hybrid Message Service\na@example.com,TRUE\n"), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer removeWx()
	src.Addressing = ident.Addressing{Scheme: ident.SchemeDirectoryURI}
	sum, err := Run(context.Background(), Options{UCM: []Source{src}, Webex: wx})
	if err != nil || sum.Users != 1 || sum.Routable != 1 || !strings.HasPrefix(sum.Inputs[0], "UCM - ") {
		t.Errorf("%+v %v", sum.Rollup, err)
	}
}
