// Package hybrid holds the steps of Hybrid Messaging (features/hybrid): thin
// steps that call harness/hybrid (AXL, the connector's model, the
// topology limits), harness/hybrid/webex and harness/hybrid/certify
// through the target, with the site data from the target.
package hybrid

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"example.com/cutover/harness/hybrid"
	"example.com/cutover/harness/hybrid/ident"
	"example.com/cutover/harness/hybrid/webex"
	"example.com/cutover/harness/target"
	"example.com/cutover/steps"
)

type stateKey struct{}

// state is the scenario's hybrid state.
type state struct {
	dir     map[string]hybrid.User // lower-case JID → user
	all     []hybrid.User
	dirErr  error
	status  int
	webex   map[string]webexLookup // username → lookup
	hubHM   map[string]bool        // email key → Hybrid Message in the Control Hub export
	hubErr  error
	hubRead bool
}

type webexLookup struct {
	found bool
	err   error
}

func stateFrom(ctx context.Context) *state {
	s, _ := ctx.Value(stateKey{}).(*state)
	return s
}

// Register adds the hybrid steps and registers the section's secrets with
// the target's redaction.
func Register(r *steps.Registry) {
	t := r.Target()
	if t != nil {
		t.AddSecret(t.Site.Hybrid.AXL.Password)
		for _, u := range t.Site.HybridUsers() {
			t.AddSecret(u.Hybrid.WebexToken)
		}
		if c := t.Site.Hybrid.EmailChange; c != nil {
			t.AddSecret(c.WebexToken)
		}
	}
	r.Before(func(ctx context.Context) context.Context { return context.WithValue(ctx, stateKey{}, &state{}) })
	r.Step(`^it reads the IM&P directory over AXL$`, readDirectory)
	r.Step(`^it reads the IM&P directory over AXL without credentials$`, readDirectoryOpen)
	r.Step(`^the answer is 401$`, answer401)
	r.Step(`^it looks up every migrating user's Webex email in Webex$`, lookUpWebex)
	r.Step(`^it reads the Control Hub users export$`, readControlHub)
	r.Step(`^every migrating user's Directory URI is their Webex email$`, uriIsEmail)
	r.Step(`^every migrating user has a Directory URI$`, everyUserHasURI)
	r.Step(`^every migrating user is in IM&P and in Webex$`, bothSides)
	r.Step(`^every migrating user is enabled for IM and Presence and for Hybrid Message$`, enabledBothSides)
	r.Step(`^no two IM&P users claim one email$`, noDuplicateEmails)
	r.Step(`^the connector topology the target declares$`, declaredTopology)
	r.Step(`^it is within the Hybrid Message scale limits$`, withinScale)
	r.Step(`^it certifies every user of the user exports the target names$`, certifyExports)
	r.Step(`^every exported user is routable$`, everyExportedRoutable)
	r.Step(`^every other migrating user's Jabber message reaches the first migrating user in Webex and the Webex reply reaches their JID$`, routeToFirst)
	r.Step(`^every migrating user whose JID is not their email is reached in Webex and their Webex reply reaches the sender's JID$`, routeJIDNotEmail)
	r.Step(`^a changed Directory URI routes to the new Webex identity within the connector's sync window$`, emailChange)
	r.Step(`^group chat, rich text and a file sent from Jabber are reported to the sender as not bridged$`, notBridged)
	r.Step(`^Jabber presence never reaches Webex and Webex activity shows in Jabber within the presence poll$`, presenceOneWay)
}

// migrating are the scenario's users that migrate.
func migrating(w *steps.World) ([]target.User, error) {
	var out []target.User
	for _, u := range w.Users() {
		if u.Hybrid != nil {
			out = append(out, u)
		}
	}
	if len(out) == 0 {
		return nil, steps.NotApplicable("no test user migrates (no user has a hybrid block in the target)")
	}
	return out, nil
}

func axlBase(t *target.Target) string { return "https://" + t.Site.Hybrid.AXLHost() }

func readDirectory(ctx context.Context) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), stateFrom(ctx)
	if _, err := migrating(w); err != nil {
		return ctx, err
	}
	h := w.T.Site.Hybrid
	users, status, raw, err := hybrid.ListUsers(ctx, w.T.HTTPClient(w.Where), axlBase(w.T), h.AXL.Username, h.AXL.Password, w.T.Site.Domains.IMP)
	ctx = steps.Attach(ctx, "AXL listUser", fmt.Sprintf("POST %s%s as %s: %d\n%s", axlBase(w.T), hybrid.AXLPath, h.AXL.Username, status, raw))
	if err != nil {
		return ctx, fmt.Errorf("reading the IM&P directory: %w", err)
	}
	st.all, st.dir = users, map[string]hybrid.User{}
	for _, u := range users {
		st.dir[strings.ToLower(u.JID)] = u
	}
	return ctx, nil
}

func readDirectoryOpen(ctx context.Context) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), stateFrom(ctx)
	if _, err := migrating(w); err != nil {
		return ctx, err
	}
	_, status, raw, err := hybrid.ListUsers(ctx, w.T.HTTPClient(w.Where), axlBase(w.T), "", "", w.T.Site.Domains.IMP)
	st.status, st.dirErr = status, err
	if status == 0 && err != nil {
		return ctx, err
	}
	if len(raw) > 2000 {
		raw = raw[:2000] + "…"
	}
	return steps.Attach(ctx, "AXL listUser without credentials", fmt.Sprintf("POST %s%s: %d\n%s", axlBase(w.T), hybrid.AXLPath, status, raw)), nil
}

func answer401(ctx context.Context) error {
	st := stateFrom(ctx)
	if st.status != http.StatusUnauthorized {
		steps.Hint(ctx, "require authentication for AXL (an application user with a read-only AXL role): the directory it serves holds every user's address")
		return fmt.Errorf("AXL listUser without credentials: want 401, got %d", st.status)
	}
	return nil
}

func lookUpWebex(ctx context.Context) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), stateFrom(ctx)
	users, err := migrating(w)
	if err != nil {
		return ctx, err
	}
	c := webex.NewClient(w.T.HTTPClient(w.Where), "https://"+w.T.Site.Hybrid.WebexAPI)
	st.webex = map[string]webexLookup{}
	var ev strings.Builder
	for _, u := range users {
		_, found, e, err := c.Person(ctx, u.Hybrid.WebexToken, u.Hybrid.WebexEmail)
		var se *webex.StatusError
		if errors.As(err, &se) && se.Code == http.StatusUnauthorized {
			err = target.NotTested(fmt.Errorf("the Webex API refused %s's token (401): renew it (%s): %w", u.Username, u.Hybrid.WebexTokenEnv, err))
		}
		st.webex[u.Username] = webexLookup{found: found, err: err}
		fmt.Fprintf(&ev, "== %s (%s)\n%s\n=> found %t err %v\n\n", u.Username, u.Hybrid.WebexEmail, strings.TrimSpace(e.String()), found, err)
	}
	return steps.Attach(ctx, "Webex people", ev.String()), nil
}

// entry is u's directory entry; a user IM&P lacks is not applicable here
// (HYB-12 reports it).
func (st *state) entry(u target.User) (hybrid.User, error) {
	d, ok := st.dir[strings.ToLower(u.Hybrid.JID)]
	if !ok {
		return d, steps.NotApplicable("IM&P has no user %s (HYB-12 reports it)", u.Hybrid.JID)
	}
	return d, nil
}

func uriIsEmail(ctx context.Context) error {
	w, st := steps.WorldFrom(ctx), stateFrom(ctx)
	users, err := migrating(w)
	if err != nil {
		return err
	}
	var f steps.Failures
	for _, u := range users {
		d, err := st.entry(u)
		switch {
		case err != nil:
		case d.DirectoryURI == "":
			err = steps.NotApplicable("%s has no Directory URI (HYB-02 reports it)", u.Hybrid.JID)
		case !ident.SameEmail(d.DirectoryURI, u.Hybrid.WebexEmail):
			err = fmt.Errorf("JID %s: want Directory URI %s (the Webex email), got %s: the connector routes to the Directory URI", u.Hybrid.JID, u.Hybrid.WebexEmail, d.DirectoryURI)
			steps.Hint(ctx, "set %s's LDAP mail (synced to the Directory URI) to %s, or correct the Webex email, then wait for the connector's next directory sync (10 min)", u.Username, u.Hybrid.WebexEmail)
		}
		f.Subject(ctx, u.Username, err)
	}
	return f.Err()
}

func everyUserHasURI(ctx context.Context) error {
	w, st := steps.WorldFrom(ctx), stateFrom(ctx)
	users, err := migrating(w)
	if err != nil {
		return err
	}
	var f steps.Failures
	for _, u := range users {
		d, err := st.entry(u)
		if err == nil && strings.TrimSpace(d.DirectoryURI) == "" {
			err = fmt.Errorf("JID %s: want a Directory URI (the user's email), got none: the connector cannot route this user", u.Hybrid.JID)
			steps.Hint(ctx, "give %s a mail attribute in LDAP mapped to the Directory URI in UCM's LDAP directory settings", u.Username)
		}
		f.Subject(ctx, u.Username, err)
	}
	return f.Err()
}

func bothSides(ctx context.Context) error {
	w, st := steps.WorldFrom(ctx), stateFrom(ctx)
	users, err := migrating(w)
	if err != nil {
		return err
	}
	var f steps.Failures
	for _, u := range users {
		var probs []string
		if _, ok := st.dir[strings.ToLower(u.Hybrid.JID)]; !ok {
			probs = append(probs, fmt.Sprintf("IM&P has no user %s", u.Hybrid.JID))
		}
		l := st.webex[u.Username]
		var err error
		switch {
		case l.err != nil:
			err = fmt.Errorf("looking up %s in Webex: %w", u.Hybrid.WebexEmail, l.err)
		case !l.found:
			probs = append(probs, fmt.Sprintf("Webex has no identity %s", u.Hybrid.WebexEmail))
		}
		if err == nil && len(probs) > 0 {
			err = errors.New(strings.Join(probs, "; "))
		}
		f.Subject(ctx, u.Username, err)
	}
	return f.Err()
}
