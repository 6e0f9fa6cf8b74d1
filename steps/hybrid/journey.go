package hybrid

import (
	"context"
	"io"

	"example.com/cutover/steps"
	"example.com/cutover/steps/journey"
)

// JourneyStages are Hybrid Messaging's part of a test user's day
// (JRNY-01), on HYB-03's routes: a migrating user's Jabber text reaches
// the first migrating user's Webex identity by email and the Webex reply
// reaches the sender's JID. The first migrating user's own text goes to
// the second's Webex identity (the days run side by side, and one Jabber
// session per user keeps each reply's way back unambiguous).
func JourneyStages() []journey.Stage {
	return []journey.Stage{{Name: "Hybrid Messaging", Run: func(ctx context.Context, id *steps.Identity) (string, error) {
		w := steps.WorldFrom(ctx)
		if id.User.Hybrid == nil {
			return "", steps.NotApplicable("%s does not migrate (no hybrid block in the target)", id.User.Username)
		}
		users, err := migrating(w)
		if err != nil {
			return "", err
		}
		if len(users) < 2 {
			return "", steps.NotApplicable("fewer than two migrating test users: no one to message")
		}
		from, to := id.User, users[0]
		if from.Username == to.Username {
			to = users[1]
		}
		if err := route(ctx, w, from, to, io.Discard); err != nil {
			return "", err
		}
		return "Jabber " + from.Hybrid.JID + " → Webex " + to.Hybrid.WebexEmail + " and the reply back", nil
	}}}
}
