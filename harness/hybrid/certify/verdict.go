package certify

// Reason codes: why a user is not routable through Hybrid Messaging. Each
// belongs to one check (see Check); the codes are stable strings for the
// CSV and JSON reports.
const (
	// ReasonNoEmail: neither Directory URI nor MAIL ID is set.
	ReasonNoEmail = "no_email"
	// ReasonNoDirectoryURI: MAIL ID is set but Directory URI is empty;
	// the connector routes to the Directory URI only.
	ReasonNoDirectoryURI = "no_directory_uri"
	// ReasonBadDirectoryURI: the Directory URI is not an email address.
	ReasonBadDirectoryURI = "bad_directory_uri"
	// ReasonDirectoryURIMismatch: no Webex identity has the Directory URI,
	// but one has the user's MAIL ID or JID.
	ReasonDirectoryURIMismatch = "directory_uri_mismatch"
	// ReasonNotInWebex: no Webex identity for the user at all.
	ReasonNotInWebex = "not_in_webex"
	// ReasonNotInUCM: a Webex identity enabled for Hybrid Message that no
	// UCM user's Directory URI names.
	ReasonNotInUCM = "not_in_ucm"
	// ReasonDuplicateEmail: several UCM users share the Directory URI, or
	// several Control Hub rows the email.
	ReasonDuplicateEmail = "duplicate_email"
	// ReasonDuplicateJID: several UCM users form the same JID.
	ReasonDuplicateJID = "duplicate_jid"
	// ReasonNoJID: no JID can be formed (bad user ID, or the Directory URI
	// scheme and no Directory URI).
	ReasonNoJID = "no_jid"
	// ReasonIMPDisabled: not enabled for Unified CM IM and Presence.
	ReasonIMPDisabled = "imp_disabled"
	// ReasonHybridDisabled: the Webex identity is not entitled to the
	// Hybrid Message service.
	ReasonHybridDisabled = "hybrid_disabled"
	// ReasonNotHomed: HOME CLUSTER is false in every export the user is in.
	ReasonNotHomed = "not_homed"
)

// Warning codes: worth knowing, but the user still routes.
const (
	// WarnCaseDiffers: Directory URI and Webex email differ only in case.
	WarnCaseDiffers = "case_differs"
	// WarnMailDiffers: MAIL ID and Directory URI name different addresses.
	WarnMailDiffers = "mail_differs"
	// WarnHomedTwice: more than one export marks the user's home cluster.
	WarnHomedTwice = "homed_twice"
)

// Check returns the check ID a reason or warning code belongs to.
func Check(code string) string {
	switch code {
	case ReasonBadDirectoryURI, ReasonDirectoryURIMismatch, WarnMailDiffers:
		return "HYB-01"
	case ReasonNoEmail, ReasonNoDirectoryURI:
		return "HYB-02"
	case ReasonNoJID:
		return "HYB-04"
	case ReasonIMPDisabled, ReasonHybridDisabled, ReasonNotHomed, WarnHomedTwice:
		return "HYB-08"
	case ReasonDuplicateEmail, ReasonDuplicateJID:
		return "HYB-10"
	case ReasonNotInWebex, ReasonNotInUCM:
		return "HYB-12"
	case WarnCaseDiffers:
		return "HYB-14"
	}
	return ""
}

// Reason is one reason (or warning) with the detail a lead can act on.
type Reason struct {
	Code   string `json:"code"`
	Check  string `json:"check"`
	Detail string `json:"detail"`
}

func reason(code, detail string) Reason {
	return Reason{Code: code, Check: Check(code), Detail: detail}
}

// Verdict is the certification of one user.
type Verdict struct {
	// Kind is "ucm" for a UCM user, "webex" for a Control Hub identity
	// that no UCM user maps to.
	Kind         string `json:"kind"`
	UserID       string `json:"user_id,omitempty"`
	Cluster      string `json:"home_cluster,omitempty"`
	JID          string `json:"jid,omitempty"`
	DirectoryURI string `json:"directory_uri,omitempty"`
	Mail         string `json:"mail_id,omitempty"`
	// WebexEmail is the Control Hub identity the user joined to, if any.
	WebexEmail string `json:"webex_email,omitempty"`
	Domain     string `json:"domain,omitempty"`
	// Source is file:line of the UCM row (the Control Hub row for kind
	// "webex"); WebexSource is file:line of the joined Control Hub row.
	Source        string   `json:"source"`
	WebexSource   string   `json:"webex_source,omitempty"`
	IMPEnabled    bool     `json:"imp_enabled"`
	HybridMessage bool     `json:"hybrid_message"`
	WebexStatus   string   `json:"webex_status,omitempty"`
	Devices       []string `json:"device_types,omitempty"`
	JIDIsEmail    bool     `json:"jid_is_email"`
	Routable      bool     `json:"routable"`
	Reasons       []Reason `json:"reasons,omitempty"`
	Warnings      []Reason `json:"warnings,omitempty"`
}

// Codes returns the verdict's reason codes in order.
func (v Verdict) Codes() []string {
	out := make([]string, len(v.Reasons))
	for i, r := range v.Reasons {
		out[i] = r.Code
	}
	return out
}

// Key identifies the verdict's user: "ucm:<user id>" or "webex:<email>",
// both lower case.
func (v Verdict) Key() string {
	if v.Kind == "webex" {
		return "webex:" + lower(v.WebexEmail)
	}
	return "ucm:" + lower(v.UserID)
}
