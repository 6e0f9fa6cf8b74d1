package fakesite

import "testing"

// TestAlsoNamesFaults: every fault a capability's Also list names exists
// (a renamed fault must not drop the checks it also breaks).
func TestAlsoNamesFaults(t *testing.T) {
	for name := range sipAlso() {
		if _, ok := Lookup(name); !ok {
			t.Errorf("sipAlso names %q, not a fault of the catalogue", name)
		}
	}
}
