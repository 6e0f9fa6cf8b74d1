package target

// SSO is the site's part for SSO reuse and OAuth (the sso capability). Its YAML key is
// "sso"; unknown keys are an error.
type SSO struct{}

// SSOUser holds a test user's fields for SSO reuse and OAuth (the sso capability),
// inline in the user's entry.
type SSOUser struct{}

func (x *SSO) hosts() []string   { return nil }
func (x *SSO) domains() []string { return nil }

func (x *SSO) validate(v *validator) {}
