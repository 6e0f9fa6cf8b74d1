package sso

import (
	"context"
	"fmt"
	"io"

	"example.com/cutover/harness/target"
	"example.com/cutover/steps"
	jr "example.com/cutover/steps/journey"
)

// JourneyStages are SSO's part of a test user's day (JRNY-01): the user
// signs in to the home cluster's UCM from inside the way the Webex App
// does (AccessTokenFrom), and UDS on every node of the cluster accepts the
// token (the app lands on any of them), as SSO-14 requires. The access
// token is left for the stages after ("oauth.access_token"); it is a
// secret the target redacts.
func JourneyStages() []jr.Stage {
	return []jr.Stage{{Name: "SSO sign-in to UCM", Run: func(ctx context.Context, id *steps.Identity) (string, error) {
		w := steps.WorldFrom(ctx)
		tok, err := AccessTokenFrom(ctx, w.T, target.Inside, id.User)
		if err != nil {
			return "", err
		}
		nodes, err := tokenOnEveryNode(ctx, w, target.Inside, id.User, tok.Access.Reveal(), io.Discard)
		if err != nil {
			return "", fmt.Errorf("the access token: %w", err)
		}
		cl, _ := w.T.Site.Cluster(id.User.HomeCluster)
		id.Values["oauth.access_token"] = tok.Access.Reveal()
		return fmt.Sprintf("an access token UDS accepts on the %d nodes of %s", len(nodes), cl.Name), nil
	}}}
}
