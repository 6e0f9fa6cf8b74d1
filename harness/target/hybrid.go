package target

// Hybrid is the site's part for Hybrid Messaging (the hybrid capability). Its YAML key is
// "hybrid"; unknown keys are an error.
type Hybrid struct{}

// HybridUser holds a test user's fields for Hybrid Messaging (the hybrid capability),
// inline in the user's entry.
type HybridUser struct{}

func (x *Hybrid) hosts() []string   { return nil }
func (x *Hybrid) domains() []string { return nil }

func (x *Hybrid) validate(v *validator) {}
