package main

import (
	"regexp"
	"slices"
	"testing"
)

// The XMPP faulted fixture breaks dialback, STARTTLS and the one federated
// domain on the embedded site: exactly the XFED checks they kill fail.
func TestFaultedXMPPFixtureFailsExactly(t *testing.T) {
	dir := t.TempDir()
	code, out, _ := cutover(t, "run", "--target", "../../fixtures/targets/faulted-xmpp.yaml", "--report", dir)
	if code != 1 {
		t.Fatalf("want exit 1, got %d\n%s", code, out)
	}
	want := []string{"XFED-07", "XFED-09", "XFED-11", "XFED-12"}
	if got := failedIDs(t, dir); !slices.Equal(got, want) {
		t.Fatalf("want exactly %v failing, got %v\n%s", want, got, out)
	}
	for _, id := range want {
		if !regexp.MustCompile(`(?m)^  FAIL +` + id + ` `).MatchString(out) {
			t.Errorf("summary does not list %s:\n%s", id, out)
		}
	}
}
