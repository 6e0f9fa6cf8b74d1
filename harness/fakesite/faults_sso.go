package fakesite

// ssoFaults are the faults of SSO reuse and OAuth.
func ssoFaults() []Fault { return nil }
