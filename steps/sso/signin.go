package sso

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"example.com/cutover/harness/expressway"
	"example.com/cutover/harness/sso"
	"example.com/cutover/harness/target"
	"example.com/cutover/steps"
)

func signInWebex(ctx context.Context) (context.Context, error) {
	w := steps.WorldFrom(ctx)
	if w.T.Site.SSO.Webex == "" {
		return ctx, steps.NotApplicable("the target names no sso.webex (the URL that starts a Webex sign-in): the Webex half of the sign-in cannot be driven")
	}
	rs, err := runs(ctx)
	if err != nil {
		return ctx, err
	}
	var ev strings.Builder
	for _, r := range rs {
		unlock := r.j.gate.lock(r.user.Username)
		st, err := r.j.j.SignInWebex(ctx)
		r.webex, r.webexErr = &st, r.j.judge(st, err)
		unlock()
		fmt.Fprintf(&ev, "%s:\n%s\n", r.user.Username, r.j.evidence(st))
	}
	return steps.Attach(ctx, "webex sign-in", ev.String()), nil
}

func signInUCM(ctx context.Context) (context.Context, error) {
	rs, err := runs(ctx)
	if err != nil {
		return ctx, err
	}
	var ev strings.Builder
	for _, r := range rs {
		_, _ = r.j.signedIn(ctx)
		fmt.Fprintf(&ev, "%s:\n%s\n", r.user.Username, r.j.evidence(r.j.step))
	}
	return steps.Attach(ctx, "ucm sign-in", ev.String()), nil
}

func webexOnePrompt(ctx context.Context) error {
	idpURL := steps.WorldFrom(ctx).T.Site.SSO.IdP
	return eachUser(ctx, func(r *userRun) error {
		if r.webexErr != nil {
			return fmt.Errorf("the Webex sign-in: %w", r.webexErr)
		}
		var at []string
		for _, h := range r.webex.Nav.Hops {
			if h.Prompt {
				at = append(at, host(h.URL))
			}
		}
		if len(at) != 1 || (idpURL != "" && at[0] != host(idpURL)) {
			return fmt.Errorf("the Webex sign-in: want one credential prompt at %s, got %d at %v", host(idpURL), len(at), at)
		}
		return nil
	})
}

func noUCMPrompt(ctx context.Context) error {
	return eachUser(ctx, func(r *userRun) error {
		if err := r.ucmErr(); err != nil {
			return err
		}
		if n := r.j.step.Prompts; n > 0 {
			var at []string
			for _, h := range r.j.step.Nav.Hops {
				if h.Prompt {
					at = append(at, host(h.URL))
				}
			}
			steps.Hint(ctx, "UCM's sign-in prompted again at %v: the IdP session of the Webex sign-in was not reused; put Webex and UCM on one IdP and let the IdP honour its session", at)
			return fmt.Errorf("UCM sign-in at %s after the Webex sign-in: want no credential prompt, got %d at %v", r.j.ucm, n, at)
		}
		return nil
	})
}

func holdsToken(ctx context.Context) error {
	return eachUser(ctx, func(r *userRun) error {
		if err := r.ucmErr(); err != nil {
			return err
		}
		if r.j.j.Tokens().Access == "" {
			return fmt.Errorf("UCM sign-in at %s: no access token", r.j.ucm)
		}
		return nil
	})
}

func sameIdP(ctx context.Context) error {
	w := steps.WorldFrom(ctx)
	want := host(w.T.Site.SSO.IdP)
	if want == "" {
		return steps.NotApplicable("the target names no sso.idp")
	}
	return eachUser(ctx, func(r *userRun) error {
		for _, err := range []error{r.webexErr, r.j.err} {
			if err != nil && (errors.Is(err, target.ErrNotTested) || target.IsTimeout(err)) {
				return err // where the browser went says nothing then
			}
		}
		var problems []string
		if r.webex == nil || r.webex.Nav == nil {
			problems = append(problems, "no Webex sign-in to follow")
		} else if !visited(r.webex.Nav, want) {
			problems = append(problems, fmt.Sprintf("the Webex sign-in went to %v, never to %s (another IdP?)", hosts(r.webex.Nav), want))
		}
		switch nav := r.j.step.Nav; {
		case nav == nil:
			problems = append(problems, "no UCM sign-in to follow")
		case promptedAt(nav, host(r.j.ucm)):
			problems = append(problems, fmt.Sprintf("UCM %s showed its own login form: it is not enabled for SAML SSO (users are prompted twice)", host(r.j.ucm)))
		case !visited(nav, want):
			problems = append(problems, fmt.Sprintf("the UCM sign-in went to %v, never to %s", hosts(nav), want))
		}
		if len(problems) > 0 {
			return errors.New(strings.Join(problems, "; "))
		}
		return nil
	})
}

func codeGrant(ctx context.Context) error {
	return eachUser(ctx, func(r *userRun) error {
		if err := r.ucmErr(); err != nil {
			return err
		}
		if g := r.j.j.Grant(); g != "code" || r.j.j.Tokens().Refresh == "" {
			steps.Hint(ctx, "set the UCM enterprise parameter \"OAuth with Refresh Login Flow\" to Enabled")
			return fmt.Errorf("UCM %s: want the code grant with a refresh token (refresh login flow), got the %s grant without a refresh token", host(r.j.ucm), g)
		}
		return nil
	})
}

func edgeWithToken(ctx context.Context) (context.Context, error) {
	w := steps.WorldFrom(ctx)
	if len(w.T.Site.Expressway.Edge) == 0 {
		return ctx, steps.NotApplicable("the target names no Expressway-E (expressway.edge)")
	}
	rs, err := runs(ctx)
	if err != nil {
		return ctx, err
	}
	base := "https://" + w.T.Site.Expressway.Edge[0] + ":8443"
	c := expressway.NewClient(w.T.HTTPClient(w.Where))
	var ev strings.Builder
	for _, r := range rs {
		tok := r.j.j.Tokens().Access
		if tok == "" {
			r.edgeErr = errors.New("no access token to present")
			continue
		}
		_, e, err := c.GetEdgeConfigBearer(tokenCtx(ctx, r.user), base, r.user.VSD(), tok.Reveal(), "_cisco-uds")
		r.edgeErr = err
		fmt.Fprintf(&ev, "%s: %s\n", r.user.Username, e.String())
	}
	return steps.Attach(ctx, "get_edge_config with the access token", ev.String()), nil
}

func edgeAccepted(ctx context.Context) error {
	w := steps.WorldFrom(ctx)
	return eachUser(ctx, func(r *userRun) error {
		if r.edgeErr != nil {
			steps.Hint(ctx, "turn \"Authorize by OAuth token with refresh\" On on Expressway-C (and the refresh login flow on UCM): they must match")
			return fmt.Errorf("get_edge_config on %s with the UCM access token: %w", w.T.Site.Expressway.Edge[0], siteRefused(r.edgeErr))
		}
		return nil
	})
}

func host(raw string) string {
	rest := raw
	if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+3:]
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, ':'); i >= 0 && !strings.Contains(rest[i:], "]") {
		rest = rest[:i]
	}
	return strings.ToLower(rest)
}

func visited(nav *sso.Result, h string) bool {
	for _, hop := range nav.Hops {
		if host(hop.URL) == h {
			return true
		}
	}
	return false
}

func promptedAt(nav *sso.Result, h string) bool {
	for _, hop := range nav.Hops {
		if hop.Prompt && host(hop.URL) == h {
			return true
		}
	}
	return false
}

func hosts(nav *sso.Result) []string {
	var out []string
	for _, hop := range nav.Hops {
		if h := host(hop.URL); len(out) == 0 || out[len(out)-1] != h {
			out = append(out, h)
		}
	}
	return out
}
