package checkid

import (
	"slices"
	"testing"
)

func TestIDs(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{{"DISC-03", true}, {"SIPO-12", true}, {"DISC-3", false}, {"disc-03", false}, {"@DISC-03", false}, {"DISC-", false}, {"", false}} {
		if got := Valid(tc.in); got != tc.ok {
			t.Errorf("Valid(%q) = %t, want %t", tc.in, got, tc.ok)
		}
	}
	if id, ok := FromTag("@XFED-07"); !ok || id != "XFED-07" {
		t.Errorf("FromTag(@XFED-07) = %q, %t", id, ok)
	}
	if _, ok := FromTag("@discovery"); ok {
		t.Error("FromTag(@discovery) accepted a capability tag")
	}
	ids := []string{"HYB-01", "DISC-10", "zzz", "SSO-02", "DISC-02", "NEW-01", "SIPO-01", "XFED-01"}
	slices.SortFunc(ids, Compare)
	want := []string{"DISC-02", "DISC-10", "SSO-02", "SIPO-01", "XFED-01", "HYB-01", "NEW-01", "zzz"}
	if !slices.Equal(ids, want) {
		t.Errorf("sorted %v, want %v", ids, want)
	}
}
