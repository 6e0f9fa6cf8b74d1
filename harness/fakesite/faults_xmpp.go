package fakesite

// xmppFaults are the faults of XMPP federation.
func xmppFaults() []Fault { return nil }
