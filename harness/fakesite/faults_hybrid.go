package fakesite

// hybridFaults are the faults of Hybrid Messaging.
func hybridFaults() []Fault { return nil }
