package sso

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"example.com/cutover/harness/httpx"
	"example.com/cutover/harness/oauth"
	"example.com/cutover/harness/target"
	"example.com/cutover/harness/ucm"
	"example.com/cutover/steps"
)

func refreshAll(ctx context.Context) (context.Context, error) {
	rs, err := runs(ctx)
	if err != nil {
		return ctx, err
	}
	var ev strings.Builder
	for _, r := range rs {
		r.before = r.j.j.Tokens()
		r.refreshed = true
		st, err := r.j.j.Refresh(ctx)
		r.refresh, r.refreshErr = st, r.j.judge(st, err)
		fmt.Fprintf(&ev, "%s:\n%s\n", r.user.Username, r.j.evidence(st))
	}
	return steps.Attach(ctx, "refresh", ev.String()), nil
}

func refreshedWithoutBrowser(ctx context.Context) error {
	return eachUser(ctx, func(r *userRun) error {
		if err := r.ucmErr(); err != nil {
			return err
		}
		if r.refreshErr != nil {
			return fmt.Errorf("refresh at %s: %w", r.j.ucm, r.refreshErr)
		}
		now := r.j.j.Tokens()
		switch {
		case now.Access == "":
			return fmt.Errorf("refresh at %s: no access token", r.j.ucm)
		case now.Access == r.before.Access:
			return fmt.Errorf("refresh at %s: the access token is the one it replaced", r.j.ucm)
		case r.refresh.Nav != nil || r.refresh.Prompts > 0:
			return fmt.Errorf("refresh at %s: went through a browser (%d prompts)", r.j.ucm, r.refresh.Prompts)
		}
		return nil
	})
}

func tokensAreJWT(ctx context.Context) error {
	return eachUser(ctx, func(r *userRun) error {
		if err := r.ucmErr(); err != nil {
			return err
		}
		info, err := oauth.Inspect(r.j.j.Tokens().Access.Reveal())
		if err != nil {
			return fmt.Errorf("access token from %s: %w", r.j.ucm, err)
		}
		if info.Parts != 3 && info.Parts != 5 {
			return fmt.Errorf("access token from %s: want 3 or 5 parts, got %d", r.j.ucm, info.Parts)
		}
		return nil
	})
}

func udsAccepts(ctx context.Context) (context.Context, error) {
	var ev strings.Builder
	err := eachUser(ctx, func(r *userRun) error {
		if err := r.ucmErr(); err != nil {
			return err
		}
		_, st, err := r.j.j.UDS(tokenCtx(ctx, r.user), r.user.Username)
		fmt.Fprintf(&ev, "%s:\n%s\n", r.user.Username, r.j.evidence(st))
		if err != nil {
			return fmt.Errorf("UDS %s/cucm-uds/user/%s/devices with the access token: %w", r.j.ucm, r.user.Username, siteRefused(err))
		}
		return nil
	})
	return steps.Attach(ctx, "UDS with the access token", ev.String()), err
}

func lifetime(tok oauth.Secret, announced time.Duration) time.Duration {
	if info, err := oauth.Inspect(tok.Reveal()); err == nil && info.Lifetime() > 0 {
		return info.Lifetime()
	}
	return announced
}

func accessLifetimes(ctx context.Context, lo, hi int) error {
	return eachUser(ctx, func(r *userRun) error {
		if err := r.ucmErr(); err != nil {
			return err
		}
		t := r.j.j.Tokens()
		d := lifetime(t.Access, t.ExpiresIn)
		if d == 0 {
			return steps.NotApplicable("the access token from %s has no readable lifetime (encrypted, no expires_in)", r.j.ucm)
		}
		if d < time.Duration(lo)*time.Minute || d > time.Duration(hi)*time.Minute {
			return fmt.Errorf("access token from %s: want a lifetime of %d–%d minutes, got %v", r.j.ucm, lo, hi, d)
		}
		return nil
	})
}

func refreshLifetimes(ctx context.Context, lo, hi int) error {
	return eachUser(ctx, func(r *userRun) error {
		if err := r.ucmErr(); err != nil {
			return err
		}
		t := r.j.j.Tokens()
		if t.Refresh == "" {
			return fmt.Errorf("UCM %s gave no refresh token (refresh login flow off)", host(r.j.ucm))
		}
		d := lifetime(t.Refresh, t.RefreshExpiresIn)
		if d == 0 {
			return steps.NotApplicable("the refresh token from %s has no readable lifetime", r.j.ucm)
		}
		day := 24 * time.Hour
		if d < time.Duration(lo)*day || d > time.Duration(hi)*day {
			return fmt.Errorf("refresh token from %s: want a lifetime of %d–%d days, got %.1f days", r.j.ucm, lo, hi, d.Hours()/24)
		}
		return nil
	})
}

func everyNodeAccepts(ctx context.Context) (context.Context, error) {
	w := steps.WorldFrom(ctx)
	var ev strings.Builder
	err := eachUser(ctx, func(r *userRun) error {
		if err := r.ucmErr(); err != nil {
			return err
		}
		_, err := tokenOnEveryNode(ctx, w, w.Where, r.user, r.j.j.Tokens().Access.Reveal(), &ev)
		if err != nil {
			return fmt.Errorf("the access token from %s: %w", host(r.j.ucm), err)
		}
		return nil
	})
	return steps.Attach(ctx, "UDS on every node with the access token", ev.String()), err
}

// tokenOnEveryNode asks UDS on every node of u's home cluster, from where,
// for u's devices with the access token tok (SSO-14, and the journey's SSO
// stage): the Webex App lands on any node. It returns the nodes asked. A
// node that refuses the token fails it; one that could not answer leaves
// it untested, unless another refused.
func tokenOnEveryNode(ctx context.Context, w *steps.World, where target.Where, u target.User, tok string, ev io.Writer) ([]string, error) {
	cl, _ := w.T.Site.Cluster(u.HomeCluster)
	uc := ucm.NewClient(w.T.HTTPClient(where))
	nodes, _ := target.Follow(w.T, cl.Nodes)
	var refused, untested []string
	for _, n := range nodes {
		_, e, err := uc.UserDevices(tokenCtx(ctx, u), ucmBase(cl, n), u.Username, ucm.Auth{Bearer: tok})
		fmt.Fprintf(ev, "%s: %s\n", u.Username, e.String())
		switch {
		case err == nil:
		case errors.Is(err, target.ErrCredentialRefused):
			// This node refused the token (now or earlier in the run): the
			// site's answer, whatever the guard made of it.
			refused = append(refused, fmt.Sprintf("UDS on %s %v", n, siteRefused(err)))
		case errors.Is(err, target.ErrNotTested) || target.IsTimeout(err):
			untested = append(untested, fmt.Sprintf("UDS on %s could not be asked: %v", n, err))
		default:
			refused = append(refused, fmt.Sprintf("UDS on %s %v", n, siteRefused(err)))
		}
	}
	switch {
	case len(refused) > 0:
		return nodes, errors.New(strings.Join(append(refused, untested...), "; "))
	case len(untested) > 0:
		return nodes, target.NotTested(errors.New(strings.Join(untested, "; ")))
	}
	return nodes, nil
}

func lifetimePasses(ctx context.Context) (context.Context, error) {
	rs, err := runs(ctx)
	if err != nil {
		return ctx, err
	}
	var longest time.Duration
	var f steps.Failures
	for _, r := range rs {
		t := r.j.j.Tokens()
		r.expired = t
		if d := lifetime(t.Access, t.ExpiresIn); d > longest {
			longest = d
		}
		if err := r.ucmErr(); err != nil {
			f.Subject(ctx, r.user.Username, err)
		}
	}
	if longest == 0 {
		if err := f.Err(); err != nil {
			return ctx, err
		}
		return ctx, errors.New("no access token with a known lifetime: nothing to let expire")
	}
	d := longest + time.Minute
	if w := steps.WorldFrom(ctx); !w.T.Site.Fake() && d > w.T.Site.SSO.WaitForExpiry.D() {
		return ctx, steps.NotApplicable("the access tokens live %v: on a real site the check waits %v for them to expire only when sso.wait_for_expiry allows it (it is %v)", longest, d, w.T.Site.SSO.WaitForExpiry.D())
	}
	return steps.Elapse(ctx, d)
}

func udsRefusesExpired(ctx context.Context) (context.Context, error) {
	w := steps.WorldFrom(ctx)
	var ev strings.Builder
	err := eachUser(ctx, func(r *userRun) error {
		if err := r.ucmErr(); err != nil {
			return err
		}
		if r.expired.Access == "" {
			return errors.New("no expired access token to present")
		}
		// A deliberate presentation of a token that must be refused: once
		// per node and user, within the failure budget.
		type answer struct {
			ev  string
			err error
		}
		res, err := target.Probe(ctx, w.T, host(r.j.ucm), "UDS with the expired access token of "+r.user.Username, func(ctx context.Context) (answer, error) {
			_, e, err := ucm.NewClient(w.T.HTTPClient(w.Where)).UserDevices(ctx, r.j.ucm, r.user.Username, ucm.Auth{Bearer: r.expired.Access.Reveal()})
			return answer{e.String(), err}, nil
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(&ev, "%s: %s\n", r.user.Username, res.ev)
		var se *httpx.StatusError
		switch {
		case res.err == nil:
			return fmt.Errorf("UDS %s accepted an access token that expired (want 401)", r.j.ucm)
		case errors.As(res.err, &se) && se.Code == 401:
			return nil
		default:
			return fmt.Errorf("UDS %s with an expired access token: want 401, got %w", r.j.ucm, res.err)
		}
	})
	return steps.Attach(ctx, "UDS with the expired access token", ev.String()), err
}

func revokeFirst(ctx context.Context) (context.Context, error) {
	w := steps.WorldFrom(ctx)
	a := w.T.Site.SSO.Admin
	if a.Username == "" {
		return ctx, steps.NotApplicable("the target names no sso.admin (the UCM administrator for the revoke API)")
	}
	rs, err := runs(ctx)
	if err != nil {
		return ctx, err
	}
	r := rs[0]
	if err := r.ucmErr(); err != nil {
		return ctx, err
	}
	if r.j.j.Tokens().Refresh == "" {
		return ctx, fmt.Errorf("%s holds no refresh token from %s (refresh login flow off): nothing to revoke", r.user.Username, host(r.j.ucm))
	}
	rr, st, err := r.j.j.Revoke(ctx, oauth.Admin{Username: a.Username, Password: a.Password}, r.user.Username)
	ctx = steps.Attach(ctx, "revoke", r.j.evidence(st))
	if err != nil {
		return ctx, fmt.Errorf("revoke %s's tokens at %s: %w", r.user.Username, host(r.j.ucm), r.j.judge(st, err))
	}
	_ = rr
	return ctx, nil
}

func firstRefused(ctx context.Context) (context.Context, error) {
	rs, err := runs(ctx)
	if err != nil {
		return ctx, err
	}
	r := rs[0]
	st, err := r.j.j.Refresh(ctx)
	ctx = steps.Attach(ctx, "refresh after revoke", r.j.evidence(st))
	r.j.secrets(st)
	var f steps.Failures
	switch {
	case err == nil:
		f.Subject(ctx, r.user.Username, fmt.Errorf("refresh at %s after the revoke: want invalid_grant, got a new access token", r.j.ucm))
	case errors.Is(err, oauth.ErrGrant):
		f.Subject(ctx, r.user.Username, nil)
	default:
		f.Subject(ctx, r.user.Username, fmt.Errorf("refresh at %s after the revoke: want an OAuth error (invalid_grant), got %v", r.j.ucm, r.j.judge(st, err)))
	}
	return ctx, f.Err()
}

func othersRefresh(ctx context.Context) (context.Context, error) {
	rs, err := runs(ctx)
	if err != nil {
		return ctx, err
	}
	if len(rs) < 2 {
		return ctx, nil // the revoked user was checked; there is no other
	}
	var f steps.Failures
	var ev strings.Builder
	for _, r := range rs[1:] {
		if err := r.ucmErr(); err != nil {
			f.Subject(ctx, r.user.Username, err)
			continue
		}
		st, err := r.j.j.Refresh(ctx)
		fmt.Fprintf(&ev, "%s:\n%s\n", r.user.Username, r.j.evidence(st))
		if err = r.j.judge(st, err); err != nil {
			err = fmt.Errorf("refresh at %s after another user's revoke: %w", r.j.ucm, err)
		}
		f.Subject(ctx, r.user.Username, err)
	}
	return steps.Attach(ctx, "other users' refresh", ev.String()), f.Err()
}
