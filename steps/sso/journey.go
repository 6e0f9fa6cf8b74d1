package sso

import (
	"context"

	"example.com/cutover/harness/target"
	"example.com/cutover/steps"
	jr "example.com/cutover/steps/journey"
)

// JourneyStages are SSO's part of a test user's day (JRNY-01): the user
// signs in to the home cluster's UCM from inside the way the Webex App
// does (AccessTokenFrom) and the access token is left for the stages
// after ("oauth.access_token"); it is a secret the target redacts.
func JourneyStages() []jr.Stage {
	return []jr.Stage{{Name: "SSO sign-in to UCM", Run: func(ctx context.Context, id *steps.Identity) (string, error) {
		w := steps.WorldFrom(ctx)
		tok, err := AccessTokenFrom(ctx, w.T, target.Inside, id.User)
		if err != nil {
			return "", err
		}
		id.Values["oauth.access_token"] = tok.Access.Reveal()
		return "an access token of " + id.User.HomeCluster, nil
	}}}
}
