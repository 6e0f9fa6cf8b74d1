package xmpps2s

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
)

type sentinel string

func (s sentinel) Error() string { return string(s) }

// Sentinel errors; returned errors wrap them (errors.Is) and name the peer
// and the reason.
const (
	// ErrServiceAbsent: an SRV answer was a single "." target (RFC 2782,
	// RFC 6120 §3.2.1): no connection, no A/AAAA fallback.
	ErrServiceAbsent = sentinel("xmpps2s: service decidedly not available")
	// ErrResolve: a DNS lookup failed (SERVFAIL, timeout, bad reply), which
	// is not an absence: no fallback is made on it.
	ErrResolve = sentinel("xmpps2s: dns lookup failed")
	// ErrNoAddress: no SRV and the domain has no A/AAAA either.
	ErrNoAddress = sentinel("xmpps2s: no address for the domain")
	// ErrConnect: no candidate accepted a TCP connection.
	ErrConnect = sentinel("xmpps2s: no candidate accepted a connection")
	// ErrTimeout: the deadline passed while waiting for the peer.
	ErrTimeout = sentinel("xmpps2s: timed out")
	// ErrClosed: the peer closed the stream or the connection early.
	ErrClosed = sentinel("xmpps2s: closed by peer")
	// ErrMalformed: the peer sent XML that is not a well-formed, restricted
	// XMPP stream (RFC 6120 §11).
	ErrMalformed = sentinel("xmpps2s: malformed stream")
	// ErrTooLarge: an element or header exceeded the size limit.
	ErrTooLarge = sentinel("xmpps2s: element over the size limit")
	// ErrProtocol: the peer sent something out of order or unexpected.
	ErrProtocol = sentinel("xmpps2s: protocol violation")
	// ErrStreamError: the peer sent <stream:error/>; see *StreamError.
	ErrStreamError = sentinel("xmpps2s: stream error from peer")
	// ErrPolicy: refused by policy: a <policy-violation/> stream error, or a
	// domain our own allow/block list refuses.
	ErrPolicy = sentinel("xmpps2s: refused by policy")
	// ErrNoTLS: the peer did not offer STARTTLS and TLS is required.
	ErrNoTLS = sentinel("xmpps2s: peer did not offer TLS")
	// ErrTLS: the TLS handshake failed.
	ErrTLS = sentinel("xmpps2s: tls handshake failed")
	// ErrCertificate: the peer's certificate does not chain to the trusted
	// roots or is not valid for the domain (RFC 6125, RFC 7590).
	ErrCertificate = sentinel("xmpps2s: certificate not valid for the domain")
	// ErrAuth: no authentication succeeded (SASL EXTERNAL, dialback).
	ErrAuth = sentinel("xmpps2s: authentication failed")
	// ErrStanzaError: the message came back as a stanza error; see
	// *StanzaError.
	ErrStanzaError = sentinel("xmpps2s: stanza error")
	// ErrNoReply: the message went out but no reply came back in time.
	ErrNoReply = sentinel("xmpps2s: no reply")
	// ErrJID: an address is not a valid JID (RFC 7622) or not of the
	// required form.
	ErrJID = sentinel("xmpps2s: invalid address")
	// ErrUnexpected is returned by Close when peers sent the fake traffic
	// a correct server does not send (see Server.Close).
	ErrUnexpected = sentinel("xmpps2s: unexpected traffic")
)

// StreamError is a <stream:error/> (RFC 6120 §4.9) received from or sent
// to a peer.
type StreamError struct {
	Condition string // e.g. "policy-violation"
	Text      string
	Raw       string // the element as received, capped
}

func (e *StreamError) Error() string {
	s := "xmpps2s: stream error <" + e.Condition + "/>"
	if e.Text != "" {
		s += ": " + e.Text
	}
	return s
}

// Is makes errors.Is(err, ErrStreamError) true, and ErrPolicy for a
// <policy-violation/>.
func (e *StreamError) Is(target error) bool {
	return target == ErrStreamError || (target == ErrPolicy && e.Condition == "policy-violation")
}

// StanzaError is a stanza of type "error" (RFC 6120 §8.3) that answered a
// message, e.g. <remote-server-not-found/> or <service-unavailable/>.
type StanzaError struct {
	Type      string // cancel, modify, wait, auth
	Condition string
	Text      string
	Raw       string
}

func (e *StanzaError) Error() string {
	s := "xmpps2s: stanza error <" + e.Condition + "/>"
	if e.Type != "" {
		s += " type " + e.Type
	}
	if e.Text != "" {
		s += ": " + e.Text
	}
	return s
}

// Is makes errors.Is(err, ErrStanzaError) true, and ErrPolicy for
// <policy-violation/> and <not-allowed/>.
func (e *StanzaError) Is(target error) bool {
	return target == ErrStanzaError || (target == ErrPolicy && (e.Condition == "policy-violation" || e.Condition == "not-allowed"))
}

// netErr maps a read or write error to the package sentinels: deadlines to
// ErrTimeout, EOF and resets to ErrClosed.
func netErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var ne net.Error
	switch {
	case errors.Is(err, ErrTooLarge), errors.Is(err, ErrMalformed):
		return fmt.Errorf("%s: %w", op, err)
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("%s: %w: %w", op, ErrTimeout, err)
	case isClosed(err):
		return fmt.Errorf("%s: %w: %w", op, ErrClosed, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

func isClosed(err error) bool {
	if errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrClosed) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "EOF") || strings.Contains(s, "connection reset") || strings.Contains(s, "broken pipe")
}
