package fakesite

// hybridKinds are the service kinds of Hybrid Messaging.
func hybridKinds() []Kind { return nil }
