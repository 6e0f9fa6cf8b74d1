package sso

import (
	"context"
	"fmt"
	"strings"
	"time"

	"example.com/cutover/harness/httpx"
	"example.com/cutover/harness/idp"
	"example.com/cutover/harness/oauth"
	"example.com/cutover/steps"
)

func fetchMetadata(ctx context.Context) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), state(ctx)
	u := w.T.Site.SSO.Metadata
	if u == "" {
		return ctx, steps.NotApplicable("the target names no sso.metadata (the IdP's metadata URL)")
	}
	body, ev, err := httpx.Get(ctx, w.T.HTTPClient(w.Where), u, httpx.Auth{})
	ctx = steps.Attach(ctx, "IdP metadata", ev.String())
	if err != nil {
		return ctx, fmt.Errorf("IdP metadata %s: %w", u, err)
	}
	md, err := idp.ParseMetadata(body)
	if err != nil {
		return ctx, fmt.Errorf("IdP metadata %s: %w", u, err)
	}
	st.mu.Lock()
	st.metadata, st.md = body, md
	st.mu.Unlock()
	return ctx, nil
}

func metadataComplete(ctx context.Context) error {
	st := state(ctx)
	var f steps.Failures
	if st.md.SSORedirect == "" && st.md.SSOPost == "" {
		f.Add("IdP metadata %s: want a SingleSignOnService (HTTP-Redirect or HTTP-POST), got none", st.md.EntityID)
	}
	if len(st.md.SigningCerts) == 0 {
		f.Add("IdP metadata %s: want a signing certificate (KeyDescriptor), got none", st.md.EntityID)
	}
	return f.Err()
}

func certsValid(ctx context.Context) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), state(ctx)
	list, err := idp.CheckCertificates(st.md, w.Now(), idp.WarnWindow)
	var b strings.Builder
	for _, c := range list {
		fmt.Fprintf(&b, "%s: not after %s (%.0f days left)\n", c.Subject, c.NotAfter.UTC().Format(time.RFC3339), c.Left.Hours()/24)
	}
	ctx = steps.Attach(ctx, "IdP signing certificates", b.String())
	if err != nil {
		steps.Hint(ctx, "roll the IdP signing certificate over and re-import the IdP metadata on UCM and in Control Hub")
		return ctx, fmt.Errorf("IdP %s signing certificate: want valid for 30 more days: %w", st.md.EntityID, err)
	}
	return ctx, nil
}

func (r *userRun) assertion(ctx context.Context) (idp.Assertion, error) {
	w, st := steps.WorldFrom(ctx), state(ctx)
	node := host(r.j.ucm)
	acs := r.j.ucm + oauth.ACSPrefix + node
	var posted []string
	if r.j.step.Nav != nil {
		posted = r.j.step.Nav.SAMLResponses(acs)
	}
	if len(posted) == 0 {
		if err := r.ucmErr(); err != nil {
			return idp.Assertion{}, fmt.Errorf("no assertion was posted to %s: %w", acs, err)
		}
		return idp.Assertion{}, fmt.Errorf("no assertion was posted to %s (UCM not on SAML SSO?)", acs)
	}
	sp, err := idp.NewServiceProvider(idp.SPConfig{EntityID: node, ACSURL: acs, IdPMetadata: st.metadata, Clock: w.Now})
	if err != nil {
		return idp.Assertion{}, err
	}
	a, err := sp.Verify(posted[len(posted)-1])
	if err != nil {
		return a, fmt.Errorf("the assertion posted to %s: %w", acs, err)
	}
	return a, nil
}

func assertionsValid(ctx context.Context) error {
	return eachUser(ctx, func(r *userRun) error {
		_, err := r.assertion(ctx)
		return err
	})
}

func nameIDMaps(ctx context.Context) error {
	return eachUser(ctx, func(r *userRun) error {
		a, err := r.assertion(ctx)
		if err != nil {
			return fmt.Errorf("cannot read a verified NameID: %w", err)
		}
		if strings.EqualFold(a.NameID, r.user.Email) || strings.EqualFold(a.NameID, r.user.Username) || strings.EqualFold(a.Attr("uid"), r.user.Username) {
			return nil
		}
		steps.Hint(ctx, "send the user's email as NameID (or the UCM user ID as uid) to the UCM relying party")
		return fmt.Errorf("assertion for UCM: want NameID %s (or uid %s), got NameID %q, uid %q", r.user.Email, r.user.Username, a.NameID, a.Attr("uid"))
	})
}
