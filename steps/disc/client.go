package disc

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"example.com/cutover/harness/discovery"
	"example.com/cutover/steps"
)

func siteConfigURL(ctx context.Context) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), state(ctx)
	st.configURL = w.T.Site.Discovery.ConfigURL
	if st.configURL == "" {
		return ctx, steps.NotApplicable("the target names no configuration URL (discovery.config_url): users discover by SRV alone")
	}
	return steps.Attach(ctx, "configuration URL", st.configURL), nil
}

func configURLWellFormed(ctx context.Context) error {
	st := state(ctx)
	c, err := discovery.ParseConfigURL(st.configURL)
	if err != nil {
		return err
	}
	if p := c.Problems(); len(p) > 0 {
		return fmt.Errorf("config URL %q: %s", st.configURL, strings.Join(p, "; "))
	}
	return nil
}

func everyUserDiscovers(ctx context.Context) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), state(ctx)
	s := w.T.Site
	st.results = nil
	var ev strings.Builder
	for _, u := range s.Users {
		res, err := discoveryClient(w, u.Email).Discover(ctx, discovery.Input{
			Email: u.Email, Username: u.Username, Password: u.Password,
			Manual: s.Discovery.Manual, ConfigURL: s.Discovery.ConfigURL, VoiceServicesDomain: u.VoiceServicesDomain,
		})
		st.results = append(st.results, discoveryResult{user: u, res: res, err: err})
		fmt.Fprintf(&ev, "== %s from %s\n%s\n=> mode %q err %v\n\n", u.Email, w.Where, strings.Join(res.Trace, "\n"), res.Mode, err)
	}
	return steps.Attach(ctx, "client discovery", ev.String()), nil
}

func everyDiscoveryMRA(ctx context.Context) error {
	w, st := steps.WorldFrom(ctx), state(ctx)
	var f steps.Failures
	for _, r := range st.results {
		switch {
		case r.err != nil:
			f.AddErr(r.err, "discovery for %s from %s: want MRA through Expressway-E, got %v", r.user.Email, w.Where, r.err)
		case r.res.Mode != discovery.ModeMRA:
			f.Add("discovery for %s from %s: want mode mra, got %q (UDS %s)", r.user.Email, w.Where, r.res.Mode, r.res.UDS)
		case r.res.EdgeConfig == nil:
			f.Add("discovery for %s from %s: want an edge configuration, got none", r.user.Email, w.Where)
		}
	}
	return f.Err()
}

func everyDiscoveryHomeCluster(ctx context.Context) error {
	w, st := steps.WorldFrom(ctx), state(ctx)
	var f steps.Failures
	for _, r := range st.results {
		cl, _ := w.T.Site.Cluster(r.user.HomeCluster)
		switch {
		case r.err != nil && r.res.Mode != discovery.ModeUDS:
			f.AddErr(r.err, "discovery for %s from %s: want UCM directly (mode uds), got %v", r.user.Email, w.Where, r.err)
		case r.res.Mode != discovery.ModeUDS:
			f.Add("discovery for %s from %s: want mode uds, got %q", r.user.Email, w.Where, r.res.Mode)
		case !slices.Contains(lower(cl.Nodes), strings.ToLower(r.res.Node)):
			f.Add("discovery for %s from %s: want a node of home cluster %s %v, got node %q (home cluster %q, err %v)", r.user.Email, w.Where, cl.Name, cl.Nodes, r.res.Node, r.res.HomeCluster, r.err)
		}
	}
	return f.Err()
}

func everyDiscoveryDevices(ctx context.Context) error {
	w, st := steps.WorldFrom(ctx), state(ctx)
	var f steps.Failures
	for _, r := range st.results {
		if r.err != nil {
			f.AddErr(r.err, "discovery for %s from %s: want the user's devices, got %v", r.user.Email, w.Where, r.err)
			continue
		}
		var have []string
		for _, d := range r.res.Devices {
			have = append(have, strings.ToUpper(d.Name))
		}
		for _, want := range r.user.Devices {
			if !slices.Contains(have, strings.ToUpper(want)) {
				f.Add("devices of %s on %s: want %s, got %v", r.user.Username, r.res.Node, want, have)
			}
		}
	}
	return f.Err()
}
