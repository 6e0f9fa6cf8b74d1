package target

// SIP is the site's part for SIP OAuth registration (the sip capability). Its YAML key is
// "sip"; unknown keys are an error.
type SIP struct{}

// SIPUser holds a test user's fields for SIP OAuth registration (the sip capability),
// inline in the user's entry.
type SIPUser struct{}

func (x *SIP) hosts() []string   { return nil }
func (x *SIP) domains() []string { return nil }

func (x *SIP) validate(v *validator) {}
