package fakesite

// sipKinds are the service kinds of SIP OAuth registration.
func sipKinds() []Kind { return nil }
