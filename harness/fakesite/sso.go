package fakesite

// ssoKinds are the service kinds of SSO reuse and OAuth.
func ssoKinds() []Kind { return nil }
