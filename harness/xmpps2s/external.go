package xmpps2s

import (
	"mellium.im/sasl"
)

// External returns the SASL EXTERNAL mechanism (RFC 4422 Appendix A) for
// server-to-server streams (RFC 6120 §6.4, XEP-0178) as a mellium.im/sasl
// Mechanism, which that package lacks.
//
// Client: the initial response is the authorization identity, the
// Identity of the negotiator's credentials (the originating domain, as
// XEP-0178 §3 shows); empty is sent as "=".
//
// Server: the response is the requested authorization identity (empty
// means the stream's from); the negotiator's permissions callback decides,
// with the identity in Credentials and the TLS state (the peer's
// certificate) in TLSState. A function, not a variable: the package keeps
// no globals.
func External() sasl.Mechanism {
	return sasl.Mechanism{
		Name: "EXTERNAL",
		Start: func(n *sasl.Negotiator) (bool, []byte, interface{}, error) {
			_, _, id := n.Credentials()
			return false, id, nil, nil
		},
		Next: func(n *sasl.Negotiator, challenge []byte, _ interface{}) (bool, []byte, interface{}, error) {
			if n.State()&sasl.Receiving != sasl.Receiving || n.State()&sasl.StepMask != sasl.AuthTextSent {
				return false, nil, nil, sasl.ErrTooManySteps
			}
			id := append([]byte(nil), challenge...)
			if n.Permissions(sasl.Credentials(func() (username, password, identity []byte) {
				return nil, nil, id
			})) {
				return false, nil, nil, nil
			}
			return false, nil, nil, sasl.ErrAuthn
		},
	}
}
