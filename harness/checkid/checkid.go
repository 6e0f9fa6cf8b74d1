// Package checkid is the one definition of check IDs and capabilities that
// the feature catalogue, the steps and the reports share: an ID is
// AREA-NN (DISC-03), its area names its capability, and IDs sort by
// capability in the order of a cutover, then by number.
package checkid

import (
	"regexp"
	"strconv"
	"strings"
)

// Capability is one capability of the suite: its tag and its ID prefix.
type Capability struct {
	// Tag is the scenario tag without "@" ("discovery").
	Tag string
	// Prefix starts the capability's check IDs ("DISC").
	Prefix string
	// Title names it in reports.
	Title string
}

// Capabilities in the order of a cutover, from finding the service to
// messaging across it.
var Capabilities = []Capability{
	{"discovery", "DISC", "Service discovery"},
	{"sso", "SSO", "SSO reuse and OAuth"},
	{"sip", "SIPO", "SIP OAuth registration"},
	{"xmpp", "XFED", "XMPP federation"},
	{"hybrid", "HYB", "Hybrid Messaging"},
	{"journey", "JRNY", "Journey per identity"},
}

var pattern = regexp.MustCompile(`^([A-Z][A-Z0-9]*)-([0-9]{2,})$`)

// Valid reports whether id is a check ID such as DISC-03.
func Valid(id string) bool { return pattern.MatchString(id) }

// FromTag returns the ID of a tag such as "@DISC-03".
func FromTag(tag string) (string, bool) {
	id, ok := strings.CutPrefix(tag, "@")
	if !ok || !Valid(id) {
		return "", false
	}
	return id, true
}

// Split returns an ID's prefix and number ("DISC", 3); ok is false for a
// string that is not an ID.
func Split(id string) (prefix string, n int, ok bool) {
	m := pattern.FindStringSubmatch(id)
	if m == nil {
		return "", 0, false
	}
	n, err := strconv.Atoi(m[2])
	return m[1], n, err == nil
}

// ByTag returns the capability with tag.
func ByTag(tag string) (Capability, bool) {
	for _, c := range Capabilities {
		if c.Tag == tag {
			return c, true
		}
	}
	return Capability{}, false
}

// Rank is a capability tag's place in Capabilities; unknown tags after
// them, the empty tag last.
func Rank(tag string) int {
	for i, c := range Capabilities {
		if c.Tag == tag {
			return i
		}
	}
	if tag == "" {
		return len(Capabilities) + 1
	}
	return len(Capabilities)
}

// prefixRank is a prefix's place in Capabilities.
func prefixRank(prefix string) int {
	for i, c := range Capabilities {
		if c.Prefix == prefix {
			return i
		}
	}
	return len(Capabilities)
}

// Compare orders IDs by capability, then number (DISC-2 < DISC-10 <
// SSO-01); strings that are not IDs come last, in string order.
func Compare(a, b string) int {
	pa, na, oka := Split(a)
	pb, nb, okb := Split(b)
	switch {
	case !oka || !okb:
		if oka != okb {
			if oka {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	case pa != pb:
		if ra, rb := prefixRank(pa), prefixRank(pb); ra != rb {
			return ra - rb
		}
		return strings.Compare(pa, pb)
	case na != nb:
		return na - nb
	}
	return strings.Compare(a, b)
}

// Less is Compare(a, b) < 0.
func Less(a, b string) bool { return Compare(a, b) < 0 }
