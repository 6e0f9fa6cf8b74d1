package main

import (
	"slices"
	"testing"
)

// TestFaultedSSOFixtureFailsExactly: the SSO faulted fixture fails exactly
// the SSO checks its faults name, and nothing else.
func TestFaultedSSOFixtureFailsExactly(t *testing.T) {
	dir := t.TempDir()
	code, out, _ := cutover(t, "run", "--target", "../../fixtures/targets/faulted-sso.yaml", "--report", dir)
	if code != 1 {
		t.Fatalf("want exit 1, got %d\n%s", code, out)
	}
	want := []string{"SSO-01", "SSO-02", "SSO-03", "SSO-04", "SSO-06", "SSO-07", "SSO-09", "SSO-13"}
	got := failedIDs(t, dir)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("want exactly %v failing, got %v\n%s", want, got, out)
	}
}
