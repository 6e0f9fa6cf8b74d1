package disc

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"example.com/cutover/harness/discovery"
	"example.com/cutover/harness/target"
	"example.com/cutover/steps"
	"example.com/cutover/steps/journey"
)

// JourneyStages are discovery's part of a test user's day (JRNY-01): the
// client inside ends on a node of the home cluster listing the user's
// devices (as DISC-20 requires), the client outside ends in MRA with an
// edge configuration (as DISC-17 does). They leave the node
// ("discovery.node") and the Expressway-E ("discovery.edge") for the
// stages after them.
func JourneyStages() []journey.Stage {
	return []journey.Stage{
		{Name: "discovery inside", Run: func(ctx context.Context, id *steps.Identity) (string, error) {
			w := steps.WorldFrom(ctx)
			res, err := discoverFrom(ctx, w.T, target.Inside, id.User)
			cl, _ := w.T.Site.Cluster(id.User.HomeCluster)
			switch {
			case err != nil && res.Mode != discovery.ModeUDS:
				return "", fmt.Errorf("want UCM directly (mode uds): %w", err)
			case res.Mode != discovery.ModeUDS:
				return "", fmt.Errorf("want mode uds, got %q", res.Mode)
			case !slices.Contains(lower(cl.Nodes), strings.ToLower(res.Node)):
				return "", fmt.Errorf("want a node of home cluster %s %v, got %q (err %v)", cl.Name, cl.Nodes, res.Node, err)
			case err != nil:
				return "", fmt.Errorf("want the user's devices: %w", err)
			}
			var have []string
			for _, d := range res.Devices {
				have = append(have, strings.ToUpper(d.Name))
			}
			for _, want := range id.User.Devices {
				if !slices.Contains(have, strings.ToUpper(want)) {
					return "", fmt.Errorf("devices on %s: want %s, got %v", res.Node, want, have)
				}
			}
			id.Values["discovery.node"] = res.Node
			return fmt.Sprintf("%s of %s, %d devices", res.Node, cl.Name, len(have)), nil
		}},
		{Name: "discovery outside", Run: func(ctx context.Context, id *steps.Identity) (string, error) {
			w := steps.WorldFrom(ctx)
			res, err := discoverFrom(ctx, w.T, target.Outside, id.User)
			switch {
			case err != nil:
				return "", fmt.Errorf("want MRA through Expressway-E: %w", err)
			case res.Mode != discovery.ModeMRA:
				return "", fmt.Errorf("want mode mra, got %q (UDS %s)", res.Mode, res.UDS)
			case res.EdgeConfig == nil:
				return "", fmt.Errorf("want an edge configuration, got none")
			}
			id.Values["discovery.edge"] = res.Edge
			return "MRA through " + res.Edge, nil
		}},
	}
}

// discoverFrom runs the user's client discovery from where, as the
// discovery checks do (the same seeded choices).
func discoverFrom(ctx context.Context, t *target.Target, where target.Where, u target.User) (*discovery.Result, error) {
	s := t.Site
	c := &discovery.Client{Resolver: t.From(where), Budget: s.Discovery.Budget.D(), TopN: s.Discovery.TopN, Rand: steps.Seeded(u.Email)}
	return c.Discover(ctx, discovery.Input{
		Email: u.Email, Username: u.Username, Password: u.Password,
		Manual: s.Discovery.Manual, ConfigURL: s.Discovery.ConfigURL, VoiceServicesDomain: u.VoiceServicesDomain,
	})
}
