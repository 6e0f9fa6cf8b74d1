package sip

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"

	"example.com/cutover/harness/target"
	"example.com/cutover/steps"
)

// oldTLS offers only TLS 1.0 and 1.1 to every node's SIP OAuth port and
// records what each handshake ended with.
func oldTLS(ctx context.Context) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), state(ctx)
	st.old = nil
	dial := w.T.DialContext(w.Where)
	var ev strings.Builder
	for _, node := range w.T.Site.AllUCMNodes() {
		addr := w.T.Site.SIP.OAuthAddr(node)
		r := oldTLSResult{node: node, addr: addr}
		conn, err := dial(ctx, "tcp", addr)
		if err != nil {
			r.err = err
		} else {
			tc := w.T.TLSConfig(node)
			// Only what the check offers: an old client, nothing sent but
			// the handshake.
			tc.MinVersion, tc.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
			c := tls.Client(conn, tc)
			hctx, cancel := context.WithTimeout(ctx, w.T.Timeout())
			herr := c.HandshakeContext(hctx)
			cancel()
			if herr == nil {
				r.accepted = c.ConnectionState().Version
			}
			r.refusal = herr
			_ = c.Close()
		}
		fmt.Fprintf(&ev, "%s: TLS 1.0-1.1 only: %s\n", addr, r.describe())
		st.old = append(st.old, r)
	}
	return steps.Attach(ctx, "TLS below 1.2 to the SIP OAuth ports", ev.String()), nil
}

type oldTLSResult struct {
	node, addr string
	err        error  // no connection at all
	refusal    error  // the handshake's end (nil: accepted)
	accepted   uint16 // the version agreed when accepted
}

func (r oldTLSResult) describe() string {
	switch {
	case r.err != nil:
		return "no connection: " + r.err.Error()
	case r.refusal != nil:
		return "refused: " + r.refusal.Error()
	}
	return "accepted " + tls.VersionName(r.accepted)
}

func oldTLSRefused(ctx context.Context) error {
	st := state(ctx)
	var f steps.Failures
	for _, r := range st.old {
		var err error
		switch {
		case r.err != nil:
			err = fmt.Errorf("%s: want a TLS handshake to judge, got %w", r.addr, r.err)
		case r.refusal == nil:
			err = fmt.Errorf("%s: want TLS 1.0 and 1.1 refused (RFC 8996), got a %s session", r.addr, tls.VersionName(r.accepted))
			steps.Hint(ctx, "set the TLS minimum version of %s to 1.2 (set tls min-version 1.2 on the UCM CLI, then restart the node)", r.node)
		case target.IsTimeout(r.refusal):
			err = target.NotTested(fmt.Errorf("%s: the handshake did not end in time: %w", r.addr, r.refusal))
		}
		f.Subject(ctx, r.node, err)
	}
	return f.Err()
}
