package waiver

import (
	"errors"
	"testing"

	"example.com/cutover/harness/target"
)

// FuzzParse holds the waivers parser to its promise on any file: it never
// panics, every error is ErrWaivers and target.ErrConfig, and what parses
// has a check ID, an owner, a reason and a date for every waiver.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"waivers:\n  - id: DISC-10\n    owner: o\n    reason: r\n    expires: 2027-01-01\n",
		"waivers:\n  - {id: SIPO-02, user: alice, owner: o, reason: r, ticket: CHG-1, expires: 2027-01-01}\n",
		"waivers: []\n", "", "waivers: x\n", "- 1\n", "waivers:\n  - id: &a DISC-01\n    owner: *a\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ws, err := Parse("f.yaml", data)
		if err != nil {
			if !errors.Is(err, ErrWaivers) || !errors.Is(err, target.ErrConfig) {
				t.Fatalf("error %v is not ErrWaivers and ErrConfig", err)
			}
			return
		}
		for _, w := range ws {
			if w.ID == "" || w.Owner == "" || w.Reason == "" || w.Expires == "" {
				t.Fatalf("accepted an incomplete waiver %+v", w)
			}
		}
	})
}
