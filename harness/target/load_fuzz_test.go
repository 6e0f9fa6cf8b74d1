package target_test

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"example.com/cutover/harness/target"
)

// anyEnv sets every password variable, so only the file decides.
func anyEnv(string) (string, bool) { return "x", true }

// FuzzLoadTarget feeds arbitrary bytes to Load as a target file. It must
// never panic, and every error must be a *LoadError whose FieldErrors point
// at a line (>= 1) and name a field, so an editor can jump to it. Seeds are
// in testdata/fuzz/FuzzLoadTarget: a full lab target and broken variants.
func FuzzLoadTarget(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		site, err := target.Load("fuzz.yaml", b, anyEnv)
		if err == nil {
			if site == nil {
				t.Fatalf("Load(%q): nil site and nil error", b)
			}
			return
		}
		var le *target.LoadError
		if !errors.As(err, &le) {
			t.Fatalf("Load(%q): error %T %v, want *target.LoadError", b, err, err)
		}
		if !errors.Is(err, target.ErrConfig) {
			t.Fatalf("Load(%q): error %v does not match ErrConfig", b, err)
		}
		if len(le.Errs) == 0 {
			t.Fatalf("Load(%q): LoadError without FieldErrors", b)
		}
		for _, fe := range le.Errs {
			if fe.Line < 1 || fe.Field == "" {
				t.Fatalf("Load(%q): FieldError %+v: want Line >= 1 and a Field", b, *fe)
			}
		}
	})
}

// TestLoadFullSeed replays testdata/fuzz/FuzzLoadTarget/full-valid: the
// realistic seed must itself load, or the fuzzer starts from an error path.
func TestLoadFullSeed(t *testing.T) {
	const file = "testdata/fuzz/FuzzLoadTarget/full-valid"
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	header, body, _ := strings.Cut(string(b), "\n")
	lit, ok := strings.CutPrefix(strings.TrimSpace(body), "[]byte(")
	if header != "go test fuzz v1" || !ok || !strings.HasSuffix(lit, ")") {
		t.Fatalf("%s: not a go test fuzz v1 []byte corpus file", file)
	}
	data, err := strconv.Unquote(strings.TrimSuffix(lit, ")"))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	site, err := target.Load("full-valid.yaml", []byte(data), anyEnv)
	if err != nil {
		t.Fatalf("Load(%s): %v", file, err)
	}
	if got := site.AllUCMNodes(); len(got) != 4 {
		t.Errorf("Load(%s): UCM nodes %v, want 4", file, got)
	}
	if line := site.Line("users[1].email"); line == 0 {
		t.Errorf("Load(%s): no line for users[1].email", file)
	}
}
