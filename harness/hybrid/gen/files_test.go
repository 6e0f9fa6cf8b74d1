package gen

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// TestWriteBenchFiles writes a generated pair into CUTOVER_HYBRID_GEN_DIR
// (CUTOVER_HYBRID_GEN_USERS users, default 200000) with truth.json beside
// it, for scripts/bench-certify.sh. Skipped without the variable.
func TestWriteBenchFiles(t *testing.T) {
	dir := os.Getenv("CUTOVER_HYBRID_GEN_DIR")
	if dir == "" {
		t.Skip("set CUTOVER_HYBRID_GEN_DIR (scripts/bench-certify.sh does)")
	}
	n := 200000
	if s := os.Getenv("CUTOVER_HYBRID_GEN_USERS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			t.Fatal(err)
		}
	}
	files, truth, err := WriteFiles(dir, Config{Users: n, Seed: 42, BadRows: 10, HugeRows: true})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(struct {
		Files Files
		Truth Truth
	}{files, truth})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "truth.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}
