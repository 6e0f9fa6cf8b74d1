package sso

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"example.com/cutover/harness/httpx"
	"example.com/cutover/harness/oauth"
	"example.com/cutover/harness/sso"
	"example.com/cutover/harness/target"
	"example.com/cutover/steps"
)

// userRun is what the scenario learned about one test user.

type userRun struct {
	user target.User
	j    *journey

	webex    *sso.Step
	webexErr error

	refreshed  bool
	before     oauth.Tokens // the tokens a refresh replaced
	refresh    sso.Step
	refreshErr error

	edgeErr error
	// expired are the tokens held when the site's time passed their
	// lifetime.
	expired oauth.Tokens
}

// runs are the scenario's users, in the target's order, each with the

// journey from where the client stands.

func runs(ctx context.Context) ([]*userRun, error) {
	w, st := steps.WorldFrom(ctx), state(ctx)
	st.mu.Lock()
	have := st.runs
	st.mu.Unlock()
	if have != nil {
		return have, nil
	}
	var out []*userRun
	for _, u := range w.Users() {
		j, err := st.journey(ctx, w.T, w.Where, u)
		if err != nil {
			return nil, err
		}
		out = append(out, &userRun{user: u, j: j})
	}
	st.mu.Lock()
	st.runs = out
	st.mu.Unlock()
	return out, nil
}

// tokenCtx marks the requests made with ctx as carrying u's token, so a

// refusal counts against that token alone.

func tokenCtx(ctx context.Context, u target.User) context.Context {
	return target.WithCredentialOf(ctx, u.Username+"'s access token")
}

// siteRefused turns the target's "credential refused" for a token the

// site itself has just issued into what it is: the site refusing its own

// token (a 401 to a password is the suite's could-not-test; to a fresh

// token it is the site's failure).

func siteRefused(err error) error {
	var se *httpx.StatusError
	if errors.As(err, &se) {
		return fmt.Errorf("answered %d (WWW-Authenticate %q)", se.Code, se.WWWAuthenticate)
	}
	if errors.Is(err, target.ErrCredentialRefused) {
		msg := err.Error()
		if i := strings.Index(msg, ": check the test user's password"); i > 0 {
			msg = msg[:i]
		}
		if i := strings.Index(msg, ": "); i > 0 {
			msg = msg[i+2:]
		}
		return fmt.Errorf("refused the UCM access token: %s", msg)
	}
	return err
}

// eachUser runs f for every user and records the subjects.

func eachUser(ctx context.Context, f func(r *userRun) error) error {
	rs, err := runs(ctx)
	if err != nil {
		return err
	}
	var fl steps.Failures
	for _, r := range rs {
		fl.Subject(ctx, r.user.Username, f(r))
	}
	return fl.Err()
}

func (r *userRun) ucmErr() error {
	if r.j.err != nil {
		return fmt.Errorf("UCM sign-in at %s: %w", r.j.ucm, r.j.err)
	}
	return nil
}

// lifetime is how long a token lives: exp-iat of a readable JWT, else

// what the token answer announced.

// assertion verifies what the IdP posted to UCM's ACS for r as UCM's SP.

// host is the host name of a URL.
