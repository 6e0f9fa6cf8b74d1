package hybrid

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"example.com/cutover/harness/hybrid"
	"example.com/cutover/harness/hybrid/certify"
	"example.com/cutover/harness/hybrid/export"
	"example.com/cutover/harness/hybrid/ident"
	"example.com/cutover/harness/target"
	"example.com/cutover/steps"
)

// maxSubjects caps the per-user subjects one bulk check records: every
// user that fails is listed up to it, then passing users while room is
// left; the counts cover everyone.
const maxSubjects = 1000

func noExports(t *target.Target) error {
	if t.Site.Hybrid.Exports.ControlHub == "" {
		return steps.NotApplicable("the target names no user exports (hybrid.exports)")
	}
	return nil
}

func readControlHub(ctx context.Context) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), stateFrom(ctx)
	st.hubRead = true
	name := w.T.Site.Hybrid.Exports.ControlHub
	if name == "" {
		return ctx, nil // the IM&P half is still checked
	}
	f, err := w.T.Site.Hybrid.OpenExport(name)
	if err != nil {
		st.hubErr = err
		return ctx, nil
	}
	defer f.Close()
	rd, err := export.NewWebexReader(f, name)
	if err != nil {
		st.hubErr = err
		return ctx, nil
	}
	st.hubHM = map[string]bool{}
	for {
		u, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var re *export.RowError
		if errors.As(err, &re) {
			continue
		}
		if err != nil {
			st.hubErr = err
			break
		}
		if k, err := ident.EmailKey(u.Email); err == nil {
			st.hubHM[k] = st.hubHM[k] || u.HybridMessage
		}
	}
	return steps.Attach(ctx, "Control Hub export", fmt.Sprintf("%s: %d identities", name, len(st.hubHM))), nil
}

func enabledBothSides(ctx context.Context) error {
	w, st := steps.WorldFrom(ctx), stateFrom(ctx)
	users, err := migrating(w)
	if err != nil {
		return err
	}
	var f steps.Failures
	if st.hubErr != nil {
		f.Add("the Control Hub export %s: %v", w.T.Site.Hybrid.Exports.ControlHub, st.hubErr)
	}
	for _, u := range users {
		d, err := st.entry(u)
		var probs []string
		if err == nil && !d.Enabled {
			probs = append(probs, fmt.Sprintf("JID %s is not enabled for IM and Presence", u.Hybrid.JID))
			steps.Hint(ctx, "enable %s for Unified CM IM and Presence (End User > Service Settings) or the connector drops their messages", u.Username)
		}
		if err == nil && st.hubHM != nil {
			k, _ := ident.EmailKey(u.Hybrid.WebexEmail)
			if !st.hubHM[k] {
				probs = append(probs, fmt.Sprintf("Webex identity %s is not enabled for Hybrid Message in Control Hub", u.Hybrid.WebexEmail))
				steps.Hint(ctx, "assign the Hybrid Message service to %s in Control Hub", u.Hybrid.WebexEmail)
			}
		}
		if len(probs) > 0 {
			err = errors.New(strings.Join(probs, "; ") + ": enabled on one side only, messages are not bridged")
		}
		f.Subject(ctx, u.Username, err)
	}
	return f.Err()
}

func noDuplicateEmails(ctx context.Context) error {
	w, st := steps.WorldFrom(ctx), stateFrom(ctx)
	users, err := migrating(w)
	if err != nil {
		return err
	}
	claims := map[string][]string{}
	for _, d := range st.all {
		if k, err := ident.EmailKey(d.DirectoryURI); err == nil {
			claims[k] = append(claims[k], d.JID)
		}
	}
	var f steps.Failures
	named := map[string]bool{}
	for _, u := range users {
		d, err := st.entry(u)
		if err == nil {
			k, _ := ident.EmailKey(d.DirectoryURI)
			if c := claims[k]; len(c) > 1 {
				err = fmt.Errorf("the Directory URI %s is claimed by %d IM&P users (%s): the connector refuses to map it", d.DirectoryURI, len(c), strings.Join(c, ", "))
				named[k] = true
			}
		}
		f.Subject(ctx, u.Username, err)
	}
	for k, c := range claims {
		if len(c) > 1 && !named[k] {
			f.Add("Directory URI %s is claimed by %d IM&P users (%s)", k, len(c), strings.Join(c, ", "))
		}
	}
	return f.Err()
}

func declaredTopology(ctx context.Context) (context.Context, error) {
	w := steps.WorldFrom(ctx)
	h := w.T.Site.Hybrid
	if len(h.Connectors) == 0 {
		return ctx, steps.NotApplicable("the target declares no connector clusters (hybrid.connectors)")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "organisation: %d Hybrid Message users\n", h.OrgUsers)
	for _, c := range h.Connectors {
		fmt.Fprintf(&b, "%s: %d nodes, MRA %t, %d users, IM&P clusters %s\n", c.Name, c.Nodes, c.MRA, c.Users, strings.Join(c.IMPClusters, ", "))
	}
	return steps.Attach(ctx, "connector topology", b.String()), nil
}

func withinScale(ctx context.Context) error {
	w := steps.WorldFrom(ctx)
	h := w.T.Site.Hybrid
	t := hybrid.Topology{OrgUsers: h.OrgUsers}
	for _, c := range h.Connectors {
		t.ConnectorClusters = append(t.ConnectorClusters, hybrid.ConnectorCluster{Name: c.Name, Nodes: c.Nodes, MRA: c.MRA, IMPClusters: c.IMPClusters, Users: c.Users})
	}
	var f steps.Failures
	for _, v := range t.Violations() {
		f.Add("%s (Hybrid Message Service deployment guide limits)", v)
	}
	if n := len(w.T.Site.HybridUsers()); h.OrgUsers > 0 && n > h.OrgUsers {
		f.Add("%d test users migrate but the organisation declares %d Hybrid Message users", n, h.OrgUsers)
	}
	return f.Err()
}

type bulkResult struct {
	sum      certify.Summary
	verdicts []certify.Verdict
}

type bulkKey struct{}

func certifyExports(ctx context.Context) (context.Context, error) {
	w := steps.WorldFrom(ctx)
	if err := noExports(w.T); err != nil {
		return ctx, err
	}
	h := w.T.Site.Hybrid
	open := func(name string) func() (io.ReadCloser, error) {
		return func() (io.ReadCloser, error) { return h.OpenExport(name) }
	}
	opts := certify.Options{Webex: certify.Source{Name: h.Exports.ControlHub, Open: open(h.Exports.ControlHub)}}
	for _, e := range h.Exports.UCM {
		opts.UCM = append(opts.UCM, certify.Source{Name: e.File, Open: open(e.File), Cluster: e.Cluster,
			Addressing: ident.Addressing{Scheme: ident.SchemeUserID, DefaultDomain: h.Exports.DefaultDomain}})
	}
	res := &bulkResult{}
	opts.Sink = func(v certify.Verdict) {
		if !v.Routable || len(res.verdicts) < maxSubjects {
			res.verdicts = append(res.verdicts, v)
		}
	}
	sum, err := certify.Run(ctx, opts)
	if err != nil {
		return ctx, fmt.Errorf("certifying the user exports: %w", err)
	}
	res.sum = sum
	ctx = context.WithValue(ctx, bulkKey{}, res)
	return steps.Attach(ctx, "bulk certification", fmt.Sprintf("%s\n%d users: %d routable, %d not routable, %d JID not email, %d bad rows",
		strings.Join(sum.Inputs, "\n"), sum.Users, sum.Routable, sum.NotRoutable, sum.JIDNotEmail, sum.RowErrors)), nil
}

func everyExportedRoutable(ctx context.Context) error {
	res, _ := ctx.Value(bulkKey{}).(*bulkResult)
	if res == nil {
		return errors.New("no certification ran")
	}
	var f steps.Failures
	shown := 0
	for _, v := range res.verdicts {
		if v.Routable && shown >= maxSubjects {
			continue
		}
		shown++
		name := v.UserID
		if v.Kind == "webex" {
			name = v.WebexEmail
		}
		var err error
		if !v.Routable {
			var rs []string
			for _, r := range v.Reasons {
				rs = append(rs, fmt.Sprintf("%s (%s): %s", r.Code, r.Check, r.Detail))
			}
			err = fmt.Errorf("%s: not routable: %s", v.Source, strings.Join(rs, "; "))
		}
		f.Subject(ctx, name, err)
	}
	if n := res.sum.NotRoutable - countNot(res.verdicts); n > 0 {
		f.Add("%d more users are not routable (see the bulk report)", n)
	}
	if res.sum.RowErrors > 0 {
		f.Add("%d bad rows in the exports", res.sum.RowErrors)
	}
	return f.Err()
}

func countNot(vs []certify.Verdict) int {
	n := 0
	for _, v := range vs {
		if !v.Routable {
			n++
		}
	}
	return n
}
