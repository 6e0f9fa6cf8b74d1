package xmpp

import (
	"context"
	"fmt"
	"strings"

	"example.com/cutover/harness/target"
	"example.com/cutover/steps"
	"example.com/cutover/steps/journey"
)

// JourneyStages are XMPP federation's part of a test user's day (JRNY-01):
// every allowed partner's agent sends the user's JID a 1:1 message that the
// user must answer over the site's own stream, and after the cutover a
// group chat message that Webex must refuse, as XFED-07 requires.
func JourneyStages() []journey.Stage {
	return []journey.Stage{{Name: "XMPP federation", Run: func(ctx context.Context, id *steps.Identity) (string, error) {
		w := steps.WorldFrom(ctx)
		x, err := xmppSite(w)
		if err != nil {
			return "", err
		}
		partners := x.PartnersBy(target.PolicyAllowed)
		if len(partners) == 0 {
			return "", steps.NotApplicable("the target lists no allowed partner (xmpp.partners)")
		}
		users := []target.User{id.User}
		var f steps.Failures
		for _, p := range runProbes(ctx, w, partners, users, "chat") {
			if err := p.answered(); err != nil {
				f.AddErr(err, "%s: %v", p.subject(), err)
			}
		}
		saw := fmt.Sprintf("1:1 answered from %s", domains(partners))
		if x.Cutover != target.CutoverBefore {
			for _, p := range runProbes(ctx, w, partners, users, "groupchat") {
				if err := p.refused(); err != nil {
					f.AddErr(err, "%s (groupchat): %v", p.subject(), err)
				}
			}
			saw += ", group chat refused"
		}
		return saw, f.Err()
	}}}
}

func domains(ps []target.Partner) string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Domain)
	}
	return strings.Join(out, ", ")
}
