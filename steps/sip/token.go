package sip

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"example.com/cutover/harness/oauth"
	"example.com/cutover/harness/sipreg"
	"example.com/cutover/harness/sipreg/softphone"
	"example.com/cutover/harness/target"
	"example.com/cutover/steps"
	"example.com/cutover/steps/sso"
)

func registerTokenSteps(r *steps.Registry) {
	r.Step(`^every test user's devices register on the SIP OAuth port of their home cluster with the user's UCM access token$`, registerEveryDevice)
	r.Step(`^every device is answered 200 listing its contact with the device's name, and unregisters$`, everyDeviceRegistered)
	r.Step(`^every test user's first device registers with a tampered copy of the user's access token$`, registerTampered)
	r.Step(`^no tampered token is answered 200$`, noneRegistered)
	r.Step(`^the users' access tokens have expired$`, tokensExpire)
	r.Step(`^every test user's first device registers with the user's expired access token$`, registerExpired)
	r.Step(`^no expired token is answered 200$`, noneRegistered)
	r.Step(`^every test user's first device registers with the token in the (UCM|RFC 6750) form$`, registerForm)
	r.Step(`^every registration in both forms is answered 200$`, bothFormsRegistered)
	r.Step(`^every test user's first device registers with the user's access token asking for a binding of (\d+) seconds$`, registerLong)
	r.Step(`^no registration is granted longer than the user's access token has left, and each unregisters$`, grantWithinToken)
}

// tokens are the users' access tokens, obtained once per scenario.
type tokens struct {
	access map[string]string
	exp    map[string]time.Time
	err    map[string]error
}

func userTokens(ctx context.Context, st *sipState) *tokens {
	if st.tok != nil {
		return st.tok
	}
	w := steps.WorldFrom(ctx)
	st.tok = &tokens{access: map[string]string{}, exp: map[string]time.Time{}, err: map[string]error{}}
	for _, u := range w.Users() {
		tok, err := sso.AccessToken(ctx, u)
		if err != nil {
			// Without a token there is no registration to judge: the SSO
			// checks judge the sign-in itself.
			st.tok.err[u.Username] = target.NotTested(fmt.Errorf("no UCM access token for %s (the SSO checks judge the sign-in): %w", u.Username, err))
			continue
		}
		st.tok.access[u.Username] = tok.Access.Reveal()
		if info, err := oauth.Inspect(tok.Access.Reveal()); err == nil && !info.Expiry.IsZero() {
			st.tok.exp[u.Username] = info.Expiry
		} else if tok.ExpiresIn > 0 {
			st.tok.exp[u.Username] = w.Now().Add(tok.ExpiresIn)
		}
	}
	return st.tok
}

// withToken registers user's device on node's OAuth port with tok, once
// the target allows the credential there (verified TLS, a host it names,
// the failure budget); a refused token is recorded so that it is not
// sent there again. A probe (a token that must be refused) is counted by
// target.Probe instead.
func withToken(ctx context.Context, w *steps.World, u target.User, device, node, tok string, form softphone.CredentialForm, probe bool) regResult {
	return withTokenFor(ctx, w, u, device, node, tok, form, probe, 0)
}

// withTokenFor is withToken asking for a binding of expires (0: the
// softphone's default).
func withTokenFor(ctx context.Context, w *steps.World, u target.User, device, node, tok string, form softphone.CredentialForm, probe bool, expires time.Duration) regResult {
	addr := w.T.Site.SIP.OAuthAddr(node)
	r := regResult{subject: u.Username + "/" + device, user: u, device: device, node: addr}
	if err := w.T.CredentialTo("sips", node); err != nil {
		r.err = err
		return r
	}
	// The token at the SIP registrar is counted apart from the password
	// and from the token at UDS: a registrar refusing it must stop neither.
	cred := u.Username + "'s access token at SIP"
	var use *target.CredentialUse // nil for a probe: settling it does nothing
	if !probe {
		u, err := w.T.UseCredential(ctx, node, cred)
		if err != nil {
			r.err = err
			return r
		}
		use = u
		defer use.Done()
	}
	c, err := phone(ctx, w, node, nil)
	if err != nil {
		r.err = err
		return r
	}
	r.res, r.err = c.Register(ctx, softphone.Registration{Registrar: addr, User: u.Username, DeviceName: device,
		Tokens: softphone.StaticToken(tok), Form: form, Expires: expires})
	switch {
	case errors.Is(r.err, softphone.ErrTokenRejected):
		use.Refused("SIP OAuth registrar refused the access token")
	case r.err == nil:
		use.Accepted()
	}
	return r
}

func registerEveryDevice(ctx context.Context) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), state(ctx)
	tk := userTokens(ctx, st)
	st.regs = nil
	for _, u := range w.Users() {
		nodes := homeNodes(w, u)
		for i, dev := range softphones(u) {
			if err := tk.err[u.Username]; err != nil {
				st.regs = append(st.regs, regResult{subject: u.Username + "/" + dev, user: u, device: dev, err: err})
				continue
			}
			// Devices spread over the cluster's nodes: every node must
			// take the cluster's tokens.
			st.regs = append(st.regs, withToken(ctx, w, u, dev, nodes[i%len(nodes)], tk.access[u.Username], softphone.FormAuto, false))
		}
	}
	return steps.Attach(ctx, "REGISTER with the access token", evidence(st.regs)), nil
}

// listedDevice is the device name of our contact in the 200 that
// registered it, "" when none lists it.
func listedDevice(res *softphone.Result) string {
	for _, e := range res.Exchanges {
		if e.Sent || !strings.HasPrefix(e.Text, "SIP/2.0 200") {
			continue
		}
		for _, line := range strings.Split(e.Text, "\n") {
			name, v, ok := strings.Cut(strings.TrimRight(line, "\r"), ":")
			if !ok || (!strings.EqualFold(name, "Contact") && name != "m") {
				continue
			}
			cs, err := sipreg.ParseContacts(strings.TrimSpace(v))
			if err != nil {
				continue
			}
			for _, c := range cs {
				if d := c.DeviceName(); strings.EqualFold(d, res.DeviceName) {
					return d
				}
			}
		}
		return ""
	}
	return ""
}

func everyDeviceRegistered(ctx context.Context) error {
	st := state(ctx)
	var f steps.Failures
	for _, r := range st.regs {
		var err error
		switch {
		case r.err != nil:
			err = fmt.Errorf("%s: want 200 to REGISTER with %s's access token, got %w", r.node, r.user.Username, r.err)
			if errors.Is(r.err, softphone.ErrTokenRejected) {
				steps.Hint(ctx, "%s refused a token of its own cluster: check that every node of the cluster has the same OAuth keys (regenerate and restart on all) and that its clock is right", r.node)
			}
		case !r.res.Registered:
			err = fmt.Errorf("%s: want 200, got %s", r.node, r.res.Reason)
		case listedDevice(r.res) == "":
			err = fmt.Errorf("%s: want the 200 to list the contact with +u.sip!devicename.ccm.cisco.com=%q, got none", r.node, r.device)
		case !r.res.Unregistered:
			err = fmt.Errorf("%s: registered, but Expires: 0 left the binding: %s", r.node, r.res.Reason)
		}
		f.Subject(ctx, r.subject, err)
	}
	return f.Err()
}

// tamper changes the signature of a compact JWS (or the last part of any
// dotted token) without changing its length.
func tamper(tok string) string {
	i := strings.LastIndexByte(tok, '.') + 1
	if i >= len(tok) {
		return tok + "x"
	}
	j := i + (len(tok)-i)/2
	c := byte('A')
	if tok[j] == 'A' {
		c = 'B'
	}
	return tok[:j] + string(c) + tok[j+1:]
}

// registerBad sends each user's first device a token that must be refused,
// as a deliberate bad-credential probe (once per host and user, within
// the failure budget).
func registerBad(ctx context.Context, what string, bad func(u target.User, tok string) string) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), state(ctx)
	tk := userTokens(ctx, st)
	st.regs = nil
	for _, u := range w.Users() {
		devs := softphones(u)
		if len(devs) == 0 {
			continue
		}
		node := homeNodes(w, u)[0]
		if err := tk.err[u.Username]; err != nil {
			st.regs = append(st.regs, regResult{subject: u.Username + "/" + devs[0], user: u, device: devs[0], err: err})
			continue
		}
		tok := bad(u, tk.access[u.Username])
		w.T.AddSecret(tok)
		r, err := target.Probe(ctx, w.T, node, "sip "+what+" token "+u.Username, func(pctx context.Context) (regResult, error) {
			return withToken(pctx, w, u, devs[0], node, tok, softphone.FormAuto, true), nil
		})
		if err != nil {
			r = regResult{subject: u.Username + "/" + devs[0], user: u, device: devs[0], node: node, err: err}
		}
		st.regs = append(st.regs, r)
	}
	if len(st.regs) == 0 {
		return ctx, steps.NotApplicable("no test user has a softphone device")
	}
	return steps.Attach(ctx, "REGISTER with the "+what+" token", evidence(st.regs)), nil
}

func registerTampered(ctx context.Context) (context.Context, error) {
	return registerBad(ctx, "tampered", func(_ target.User, tok string) string { return tamper(tok) })
}

func registerExpired(ctx context.Context) (context.Context, error) {
	return registerBad(ctx, "expired", func(_ target.User, tok string) string { return tok })
}

func tokensExpire(ctx context.Context) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), state(ctx)
	tk := userTokens(ctx, st)
	var last time.Time
	for _, e := range tk.exp {
		if e.After(last) {
			last = e
		}
	}
	if last.IsZero() {
		return ctx, target.NotTested(errors.New("no access token tells when it expires (no exp, no expires_in)"))
	}
	d := last.Sub(w.Now()) + time.Second
	// A real site's clock only passes: wait only as long as the target
	// allows any check to wait for tokens to expire (sso.wait_for_expiry).
	if !w.T.Site.Fake() && d > w.T.Site.SSO.WaitForExpiry.D() {
		return ctx, steps.NotApplicable("tampered tokens were refused; the expired half needs the access tokens to expire in %v, and on a real site a check waits only as long as sso.wait_for_expiry allows (it is %v)", d.Round(time.Second), w.T.Site.SSO.WaitForExpiry.D())
	}
	return steps.Elapse(ctx, d)
}

func noneRegistered(ctx context.Context) error {
	st := state(ctx)
	var f steps.Failures
	for _, r := range st.regs {
		var err error
		switch {
		case errors.Is(r.err, target.ErrNotTested) || r.res == nil:
			err = r.err
		case r.res.Registered:
			err = fmt.Errorf("%s: want the token refused (407 error=\"invalid_token\"), got 200: the registrar does not verify tokens", r.node)
			steps.Hint(ctx, "%s registers a device with a token that is not valid: check that SIP OAuth validates token signature and expiry (keys regenerated consistently, time in sync with NTP)", r.node)
		}
		f.Subject(ctx, r.subject, err)
	}
	return f.Err()
}

func registerForm(ctx context.Context, form string) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), state(ctx)
	tk := userTokens(ctx, st)
	cf, label := softphone.FormUCM, `Bearer token="…"`
	if form == "RFC 6750" {
		cf, label = softphone.FormRFC6750, "Bearer …"
	}
	var rs []regResult
	for _, u := range w.Users() {
		devs := softphones(u)
		if len(devs) == 0 {
			continue
		}
		r := regResult{subject: u.Username + "/" + devs[0] + " " + label, user: u, device: devs[0]}
		if err := tk.err[u.Username]; err != nil {
			r.err = err
		} else {
			r = withToken(ctx, w, u, devs[0], homeNodes(w, u)[0], tk.access[u.Username], cf, false)
			r.subject += " " + label
		}
		rs = append(rs, r)
	}
	st.regs = append(st.regs, rs...)
	return steps.Attach(ctx, "REGISTER with "+label, evidence(rs)), nil
}

func bothFormsRegistered(ctx context.Context) error {
	st := state(ctx)
	if len(st.regs) == 0 {
		return steps.NotApplicable("no test user has a softphone device")
	}
	var f steps.Failures
	for _, r := range st.regs {
		var err error
		switch {
		case r.err != nil:
			err = fmt.Errorf("%s: want 200, got %w", r.node, r.err)
		case !r.res.Registered:
			err = fmt.Errorf("%s: want 200, got %s", r.node, r.res.Reason)
		}
		f.Subject(ctx, r.subject, err)
	}
	return f.Err()
}

func registerLong(ctx context.Context, secs int) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), state(ctx)
	tk := userTokens(ctx, st)
	st.regs = nil
	for _, u := range w.Users() {
		devs := softphones(u)
		if len(devs) == 0 {
			continue
		}
		r := regResult{subject: u.Username + "/" + devs[0], user: u, device: devs[0]}
		if err := tk.err[u.Username]; err != nil {
			r.err = err
		} else if _, ok := tk.exp[u.Username]; !ok {
			r.err = target.NotTested(fmt.Errorf("%s's access token does not say when it expires (no exp, no expires_in)", u.Username))
		} else {
			r = withTokenFor(ctx, w, u, devs[0], homeNodes(w, u)[0], tk.access[u.Username], softphone.FormAuto, false, time.Duration(secs)*time.Second)
		}
		st.regs = append(st.regs, r)
	}
	if len(st.regs) == 0 {
		return ctx, steps.NotApplicable("no test user has a softphone device")
	}
	return steps.Attach(ctx, "REGISTER asking for a long binding", evidence(st.regs)), nil
}

// grantWithinToken holds each granted Expires to what the user's token
// had left when the registrar answered: a binding that outlives its token
// keeps a device reachable on a credential that no longer holds.
func grantWithinToken(ctx context.Context) error {
	w, st := steps.WorldFrom(ctx), state(ctx)
	tk := userTokens(ctx, st)
	var f steps.Failures
	for _, r := range st.regs {
		var err error
		switch {
		case errors.Is(r.err, target.ErrNotTested):
			err = r.err
		case r.err != nil:
			err = fmt.Errorf("%s: want 200 to REGISTER with %s's access token, got %w", r.node, r.user.Username, r.err)
		case !r.res.Registered:
			err = fmt.Errorf("%s: want 200, got %s", r.node, r.res.Reason)
		default:
			at := w.Now()
			for _, e := range r.res.Exchanges {
				if !e.Sent && strings.HasPrefix(e.Text, "SIP/2.0 200") {
					at = e.At
					break
				}
			}
			// Expires is in whole seconds, rounded up.
			left := tk.exp[r.user.Username].Sub(at) + time.Second
			switch {
			case r.res.Granted > left:
				err = fmt.Errorf("%s: granted a binding of %v, but the access token had %v left (RFC 3261 §10.3: the registrar may shorten what is asked)", r.node, r.res.Granted, left.Truncate(time.Second))
				steps.Hint(ctx, "%s grants registrations longer than the UCM access tokens live: keep the registration timer below the OAuth access token expiry (UCM grants 120 s)", r.node)
			case !r.res.Unregistered:
				err = fmt.Errorf("%s: registered, but Expires: 0 left the binding: %s", r.node, r.res.Reason)
			}
		}
		f.Subject(ctx, r.subject, err)
	}
	return f.Err()
}
