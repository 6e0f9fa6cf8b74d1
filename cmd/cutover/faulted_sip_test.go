package main

import (
	"regexp"
	"slices"
	"testing"
)

// The SIP OAuth faulted fixture fails exactly the checks its faults kill:
// a security profile without OAuth (SIPO-02, SIPO-03 and the journey's SIP
// stage), a one-way TLS MRA port (SIPO-11) and bindings that outlive the
// access token (SIPO-12).
func TestFaultedSIPFixtureFailsExactly(t *testing.T) {
	dir := t.TempDir()
	code, out, _ := cutover(t, "run", "--target", "../../fixtures/targets/faulted-sip.yaml", "--report", dir)
	if code != 1 {
		t.Fatalf("want exit 1, got %d\n%s", code, out)
	}
	want := []string{"JRNY-01", "SIPO-02", "SIPO-03", "SIPO-11", "SIPO-12"}
	if got := failedIDs(t, dir); !slices.Equal(got, want) {
		t.Fatalf("want exactly %v failing, got %v\n%s", want, got, out)
	}
	for _, id := range want {
		if !regexp.MustCompile(`(?m)^  FAIL +` + id + ` `).MatchString(out) {
			t.Errorf("summary does not list %s:\n%s", id, out)
		}
	}
}
