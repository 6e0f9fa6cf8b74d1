// Package ident is the identity model Hybrid Messaging joins on: IM&P users
// (addressed by JID) and Webex users (addressed by email), and the join key
// that relates them, the email compared as the service compares it.
//
// IM&P routes by JID, Webex by email. Without Flexible JID the JID is
// userid@<IM&P default domain>; with the Directory URI address scheme it is
// the Directory URI. The Hybrid Message connector syncs each user's JID and
// Directory URI from IM&P and routes JID to Directory URI, so the Directory
// URI (LDAP mail, synced by UCM) must equal the Webex identity's email
// (Cisco, "Collaboration Transitions – Clients: Transitioning from Jabber to
// Webex", Enable Hybrid Messaging Service). See README.md for the key rule
// and its sources.
package ident

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrAddress is wrapped by every error about an address that is not an
// email address or cannot be a JID.
const ErrAddress = sentinel("ident: bad address")

type sentinel string

func (s sentinel) Error() string { return string(s) }

// Limits on an address, from RFC 5321 §4.5.3.1 (local part 64 octets,
// domain 255) and RFC 7622 §3.1 (each JID part 1023 octets).
const (
	MaxLocal     = 64
	MaxDomain    = 255
	MaxJIDPart   = 1023
	maxEmailSize = MaxLocal + 1 + MaxDomain
)

// EmailKey returns the join key for an email address or Directory URI: the
// address with surrounding white space removed, the domain in lower case
// without a trailing dot, and the local part in lower case too.
//
// The local part rule is a decision: RFC 5321 §2.4 lets a host treat local
// parts as case-sensitive, but Webex identities are case-insensitive (the
// Control Hub CSV import matches user IDs ignoring case) and UCM's UDS
// matches email case-insensitively, so two addresses that differ only in
// case reach the same Webex identity. Nothing else is folded: dots, "+tags"
// and Unicode forms stay as they are, since neither side documents more.
// Callers that want to warn about a case-only difference compare the raw
// strings after a successful key match.
//
// An address that is not a plain addr-spec (no @, an empty part, white
// space, control characters, quotes, commas, angle brackets, more than 64
// octets of local part) returns an error wrapping ErrAddress.
func EmailKey(addr string) (string, error) {
	s := strings.TrimSpace(addr)
	if s == "" {
		return "", fmt.Errorf("%w: empty", ErrAddress)
	}
	if len(s) > maxEmailSize {
		return "", fmt.Errorf("%w: %d octets, more than %d", ErrAddress, len(s), maxEmailSize)
	}
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%w: invalid UTF-8", ErrAddress)
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return "", fmt.Errorf("%w: %q has no @", ErrAddress, clip(s))
	}
	local, domain := s[:at], strings.TrimSuffix(s[at+1:], ".")
	switch {
	case local == "":
		return "", fmt.Errorf("%w: %q has an empty local part", ErrAddress, clip(s))
	case domain == "":
		return "", fmt.Errorf("%w: %q has an empty domain", ErrAddress, clip(s))
	case len(local) > MaxLocal:
		return "", fmt.Errorf("%w: local part of %q is %d octets, more than %d", ErrAddress, clip(s), len(local), MaxLocal)
	case len(domain) > MaxDomain:
		return "", fmt.Errorf("%w: domain of %q is %d octets, more than %d", ErrAddress, clip(s), len(domain), MaxDomain)
	}
	for _, r := range local {
		if !localRune(r) {
			return "", fmt.Errorf("%w: %q: %q is not allowed in a local part", ErrAddress, clip(s), r)
		}
	}
	if err := checkDomain(domain); err != nil {
		return "", fmt.Errorf("%w: %q: %v", ErrAddress, clip(s), err)
	}
	return strings.ToLower(local) + "@" + strings.ToLower(domain), nil
}

// SameEmail reports whether a and b are the same identity under EmailKey;
// an invalid address equals nothing.
func SameEmail(a, b string) bool {
	ka, err := EmailKey(a)
	if err != nil {
		return false
	}
	kb, err := EmailKey(b)
	return err == nil && ka == kb
}

// Domain returns the lower-case domain of a valid address, or "".
func Domain(addr string) string {
	k, err := EmailKey(addr)
	if err != nil {
		return ""
	}
	return k[strings.LastIndexByte(k, '@')+1:]
}

// localRune allows RFC 5322 atext, dots, and non-ASCII letters and digits
// (RFC 6531 §3.3). Quoted local parts are not email addresses any Webex
// identity has.
func localRune(r rune) bool {
	if r < utf8.RuneSelf {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return true
		}
		return strings.ContainsRune("!#$%&'*+-/=?^_`{|}~.", r)
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

func checkDomain(d string) error {
	for d != "" {
		label := d
		if i := strings.IndexByte(d, '.'); i >= 0 {
			label, d = d[:i], d[i+1:]
			if d == "" {
				return fmt.Errorf("empty label in domain")
			}
		} else {
			d = ""
		}
		if label == "" {
			return fmt.Errorf("empty label in domain")
		}
		if len(label) > 63 {
			return fmt.Errorf("label of %d octets in domain", len(label))
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("label %q starts or ends with -", clip(label))
		}
		for _, r := range label {
			ok := r == '-' || (r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')) ||
				(r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)))
			if !ok {
				return fmt.Errorf("%q is not allowed in a domain", r)
			}
		}
	}
	return nil
}

// Scheme is the IM&P "IM address scheme" (a cluster-wide advanced presence
// setting): how a user's JID is formed.
type Scheme int

// The two IM address schemes.
const (
	// SchemeUserID forms the JID as <userid>@<default domain>; the
	// default, and what a deployment without Flexible JID has.
	SchemeUserID Scheme = iota
	// SchemeDirectoryURI makes the JID the user's Directory URI (Flexible
	// JID).
	SchemeDirectoryURI
)

func (s Scheme) String() string {
	switch s {
	case SchemeUserID:
		return "UserID@Default_Domain"
	case SchemeDirectoryURI:
		return "Directory URI"
	}
	return fmt.Sprintf("Scheme(%d)", int(s))
}

// ParseScheme accepts "userid", "UserID@Default_Domain", "directoryuri",
// "Directory URI" (case and punctuation ignored).
func ParseScheme(s string) (Scheme, error) {
	k := strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, s)
	switch k {
	case "userid", "useriddefaultdomain", "":
		return SchemeUserID, nil
	case "directoryuri", "uri":
		return SchemeDirectoryURI, nil
	}
	return 0, fmt.Errorf("ident: unknown IM address scheme %q (want UserID@Default_Domain or Directory URI)", clip(s))
}

// Addressing is how one IM&P cluster forms JIDs.
type Addressing struct {
	Scheme Scheme
	// DefaultDomain is the IM&P default domain; required for SchemeUserID.
	DefaultDomain string
}

// JID forms the bare JID of user u under a, lower-cased as IM&P stores it.
// Under SchemeUserID the user ID is escaped per XEP-0106 (a space becomes
// \20, and so on) since user IDs may hold characters a JID local part may
// not. Errors wrap ErrAddress.
func (a Addressing) JID(userID, directoryURI string) (string, error) {
	switch a.Scheme {
	case SchemeDirectoryURI:
		if strings.TrimSpace(directoryURI) == "" {
			return "", fmt.Errorf("%w: no Directory URI to form the JID from", ErrAddress)
		}
		k, err := EmailKey(directoryURI)
		if err != nil {
			return "", err
		}
		return k, nil
	default:
		uid := strings.TrimSpace(userID)
		if uid == "" {
			return "", fmt.Errorf("%w: empty user ID", ErrAddress)
		}
		if a.DefaultDomain == "" {
			return "", fmt.Errorf("%w: no IM&P default domain", ErrAddress)
		}
		if !utf8.ValidString(uid) {
			return "", fmt.Errorf("%w: user ID is not UTF-8", ErrAddress)
		}
		local := EscapeNode(strings.ToLower(uid))
		if len(local) > MaxJIDPart {
			return "", fmt.Errorf("%w: JID local part of %d octets, more than %d", ErrAddress, len(local), MaxJIDPart)
		}
		for _, r := range local {
			if r < 0x20 || r == 0x7f || unicode.IsSpace(r) {
				return "", fmt.Errorf("%w: user ID %q has control or space characters", ErrAddress, clip(uid))
			}
		}
		d := strings.ToLower(strings.TrimSuffix(a.DefaultDomain, "."))
		if err := checkDomain(d); err != nil {
			return "", fmt.Errorf("%w: default domain: %v", ErrAddress, err)
		}
		return local + "@" + d, nil
	}
}

// EscapeNode applies XEP-0106 §4 JID escaping to a local part: space " & '
// / : < > @ and a backslash that starts an escape sequence.
func EscapeNode(s string) string {
	if !strings.ContainsAny(s, " \"&'/:<>@\\") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case ' ', '"', '&', '\'', '/', ':', '<', '>', '@':
			fmt.Fprintf(&b, `\%02x`, c)
		case '\\':
			if i+2 < len(s) && isEscapeSeq(s[i+1:i+3]) {
				b.WriteString(`\5c`)
			} else {
				b.WriteByte(c)
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isEscapeSeq(h string) bool {
	switch strings.ToLower(h) {
	case "20", "22", "26", "27", "2f", "3a", "3c", "3e", "40", "5c":
		return true
	}
	return false
}

// IMPUser is one end user as UCM and IM&P know them.
type IMPUser struct {
	UserID       string
	DirectoryURI string
	// Mail is the MAIL ID field (LDAP mail); the connector does not read
	// it, the Directory URI is what it routes to.
	Mail string
	// JID as formed by the cluster's Addressing; empty when none can be.
	JID string
	// IMPEnabled is "Enable User for Unified CM IM and Presence".
	IMPEnabled bool
	// HomeCluster names the cluster whose export marks this user's Home
	// Cluster; empty when none does.
	HomeCluster    string
	PresenceServer string
	// Devices are the controlled device names (CSF…, BOT…, TCT…, SEP…).
	Devices []string
}

// WebexUser is one Webex identity as Control Hub exports it.
type WebexUser struct {
	Email string
	// Status is Control Hub's user status (e.g. "Active", "Verified",
	// "Not Verified", "Inactive"); informational.
	Status string
	// HybridMessage is the Hybrid Message service entitlement.
	HybridMessage bool
}

// DeviceKind classifies a UCM device name by its prefix: CSF (Jabber
// desktop), BOT (Android), TCT (iPhone), TAB (tablet), SEP (desk phone),
// else "other". The prefixes are UCM's device-name conventions for Cisco
// Jabber (Cisco Jabber on-premises deployment guide).
func DeviceKind(name string) string {
	n := strings.ToUpper(strings.TrimSpace(name))
	for _, p := range []string{"CSF", "BOT", "TCT", "TAB", "SEP"} {
		if strings.HasPrefix(n, p) && len(n) > len(p) {
			return p
		}
	}
	if n == "" {
		return ""
	}
	return "other"
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
