package fakesite

// xmppKinds are the service kinds of XMPP federation.
func xmppKinds() []Kind { return nil }
