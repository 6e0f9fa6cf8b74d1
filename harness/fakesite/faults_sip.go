package fakesite

// sipFaults are the faults of SIP OAuth registration.
func sipFaults() []Fault { return nil }
