// Package sip holds the steps of SIP OAuth registration (features/sip): thin
// steps that call the harness, with the site data from the target. The
// client is harness/sipreg/softphone, dialled through the target (its DNS,
// connect_to and pacing), TLS from Target.TLSConfig, time from the site
// clock; tokens go only where Target.CredentialTo allows.
package sip

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"

	"example.com/cutover/harness/sipreg"
	"example.com/cutover/harness/sipreg/devcfg"
	"example.com/cutover/harness/sipreg/softphone"
	"example.com/cutover/harness/target"
	"example.com/cutover/steps"
)

type stateKey struct{}

// regResult is one registration attempt: who, which device, where.
type regResult struct {
	subject string
	user    target.User
	device  string
	node    string
	res     *softphone.Result
	err     error
}

type cfgResult struct {
	user   target.User
	device string
	base   string
	cfg    devcfg.Config
	err    error
}

type sipState struct {
	regs    []regResult
	rogue   []regResult
	nocert  []noCertResult
	configs []cfgResult
	tok     *tokens
	old     []oldTLSResult
}

func state(ctx context.Context) *sipState {
	s, _ := ctx.Value(stateKey{}).(*sipState)
	return s
}

// Register adds the sip steps.
func Register(r *steps.Registry) {
	r.Before(func(ctx context.Context) context.Context {
		return context.WithValue(ctx, stateKey{}, &sipState{})
	})
	r.Step(`^it sends REGISTER without credentials to the SIP OAuth port of every UCM node$`, tokenlessEveryNode)
	r.Step(`^every node answers 407 with Proxy-Authenticate Bearer realm "([^"]+)"$`, everyNode407)
	r.Step(`^every test user's devices send REGISTER without credentials to the SIP OAuth port of their home cluster$`, tokenlessEveryDevice)
	r.Step(`^no device is answered 403 "SIP OAuth Registration port Mismatch"$`, noPortMismatch)
	r.Step(`^it fetches the configuration file of (every test user's first device|every device of every test user) from the user's home cluster$`, fetchConfigs)
	r.Step(`^every configuration has sipOAuthMode 1 and the target's OAuth ports for every node$`, configsOAuth)
	r.Step(`^the SIP OAuth port and the MRA OAuth port listen on every UCM node$`, portsListen)
	r.Step(`^every test user has a device of every device type in scope, each with a configuration file$`, devicesPerType)
	r.Step(`^Expressway-C connects with its client certificate to the MRA OAuth port of every UCM node$`, mraEveryNode)
	r.Step(`^every node completes mutual TLS and challenges REGISTER with 407$`, mraAccepted)
	r.Step(`^a client with a certificate from an unknown CA connects to the MRA OAuth port of every UCM node$`, mraRogue)
	r.Step(`^every node refuses it before any SIP answer$`, mraRefused)
	r.Step(`^a client without a certificate connects to the MRA OAuth port of every UCM node$`, mraNoCert)
	r.Step(`^every node asks for a client certificate and refuses the client before any SIP answer$`, mraNoCertRefused)
	r.Step(`^it sends REGISTER without credentials to the RFC 8898 registrar$`, tokenlessRFC8898)
	r.Step(`^the registrar answers 401 with a Bearer challenge naming realm, scope and a trusted authz_server$`, rfc8898Challenge)
	r.Step(`^it offers only TLS 1.0 and 1.1 to the SIP OAuth port of every UCM node$`, oldTLS)
	r.Step(`^every node refuses the handshake$`, oldTLSRefused)
	registerTokenSteps(r)
}

// errChallengeOnly ends a registration at the challenge: the check wanted
// to see it and has no token to give.
var errChallengeOnly = errors.New("sip: challenge only, no token sent")

func challengeOnly(context.Context, bool) (string, error) { return "", errChallengeOnly }

// phone is the softphone a client at w's vantage uses toward host: dialled
// through the target (DNS, connect_to, proxy), every write paced, TLS from
// the target's settings (with cert as the client certificate), the site's
// clock and the target's timeout.
func phone(ctx context.Context, w *steps.World, host string, cert *tls.Certificate, trusted ...string) (*softphone.Client, error) {
	var present func(*tls.CertificateRequestInfo) (*tls.Certificate, error)
	if cert != nil {
		// Presented whatever CAs the node asks for, as Expressway-C does:
		// the node, not the client, must refuse a signer it does not trust.
		present = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
	}
	return phoneWith(ctx, w, host, present, trusted...)
}

// phoneWith is phone with present answering the node's certificate
// request (nil: the client has no certificate and is never asked).
func phoneWith(ctx context.Context, w *steps.World, host string, present func(*tls.CertificateRequestInfo) (*tls.Certificate, error), trusted ...string) (*softphone.Client, error) {
	tc := w.T.TLSConfig(host)
	if present != nil {
		tc.GetClientCertificate = present
	}
	dial := w.T.DialContext(w.Where)
	c, err := softphone.New(
		softphone.WithDialer(func(dctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dial(dctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &pacedConn{Conn: conn, ctx: ctx, t: w.T, host: host}, nil
		}),
		softphone.WithTLSConfig(tc),
		softphone.WithClock(w.T.Now),
		softphone.WithTimeout(w.T.Timeout()),
		softphone.WithTrustedAuthzServers(trusted...),
	)
	if err != nil {
		// tls.insecure_skip_verify: the client will not register without
		// verifying the registrar.
		return nil, target.NotTested(fmt.Errorf("softphone: %w (%s)", err, w.T.TLSVerification()))
	}
	return c, nil
}

// pacedConn waits for the target's rate limit before every write: each
// SIP message (and TLS record) counts.
type pacedConn struct {
	net.Conn
	ctx  context.Context
	t    *target.Target
	host string
}

func (c *pacedConn) Write(b []byte) (int, error) {
	if err := c.t.Pace(c.ctx, c.host); err != nil {
		return 0, err
	}
	return c.Conn.Write(b)
}

// deviceType is the type a device name's prefix names.
func deviceType(name string) (sipreg.DeviceType, bool) {
	return sipreg.DeviceTypeOf(strings.ToUpper(name))
}

// homeNodes are the nodes of the user's home cluster.
func homeNodes(w *steps.World, u target.User) []string {
	cl, _ := w.T.Site.Cluster(u.HomeCluster)
	return cl.Nodes
}

// softphones lists the user's devices the softphone can register (CSF,
// BOT, TCT, TAB): desk phones are not the Webex App's.
func softphones(u target.User) []string {
	var out []string
	for _, d := range u.Devices {
		if _, ok := deviceType(d); ok {
			out = append(out, d)
		}
	}
	return out
}

// tokenless sends REGISTER without credentials for user's device to addr
// and stops at the answer.
func tokenless(ctx context.Context, c *softphone.Client, addr string, u target.User, device string) (*softphone.Result, error) {
	res, err := c.Register(ctx, softphone.Registration{Registrar: addr, User: u.Username, DeviceName: device, Tokens: challengeOnly})
	if errors.Is(err, errChallengeOnly) {
		err = nil
	}
	return res, err
}

// evidence renders registrations for a report (credentials redacted by
// the softphone, and again by steps.Attach).
func evidence(rs []regResult) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "== %s at %s: %s\n", r.subject, r.node, reason(r))
		if r.res != nil {
			b.WriteString(r.res.Evidence())
		}
		b.WriteString("\n")
	}
	return b.String()
}

func reason(r regResult) string {
	switch {
	case r.err != nil:
		return r.err.Error()
	case r.res != nil && r.res.Registered:
		return r.res.Reason
	case r.res != nil && r.res.Challenge != nil:
		return fmt.Sprintf("challenged %d (%s)", r.res.Challenge.Status, r.res.Challenge.Header)
	case r.res != nil:
		return r.res.Reason
	}
	return "no result"
}
