package target

// XMPP is the site's part for XMPP federation (the xmpp capability). Its YAML key is
// "xmpp"; unknown keys are an error.
type XMPP struct{}

// XMPPUser holds a test user's fields for XMPP federation (the xmpp capability),
// inline in the user's entry.
type XMPPUser struct{}

func (x *XMPP) hosts() []string   { return nil }
func (x *XMPP) domains() []string { return nil }

func (x *XMPP) validate(v *validator) {}
