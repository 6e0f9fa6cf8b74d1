package sip

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"example.com/cutover/harness/sipreg/softphone"
	"example.com/cutover/harness/target"
	"example.com/cutover/steps"
	"example.com/cutover/steps/journey"
)

// JourneyStages are SIP OAuth registration's part of a test user's day
// (JRNY-01): every softphone device of the user registers on the SIP OAuth
// port of the home cluster with the access token the SSO stage left
// ("oauth.access_token"), is answered 200 listing its contact, and
// unregisters, as SIPO-02 requires.
func JourneyStages() []journey.Stage {
	return []journey.Stage{{Name: "SIP OAuth registration", Run: func(ctx context.Context, id *steps.Identity) (string, error) {
		w := steps.WorldFrom(ctx)
		tok := id.Values["oauth.access_token"]
		if tok == "" {
			return "", steps.NotApplicable("no UCM access token from an earlier stage")
		}
		devices := softphones(id.User)
		if len(devices) == 0 {
			return "", steps.NotApplicable("the target names no softphone device (CSF, BOT, TCT, TAB) for %s", id.User.Username)
		}
		nodes := homeNodes(w, id.User)
		var ok []string
		for i, dev := range devices {
			r := withToken(ctx, w, id.User, dev, nodes[i%len(nodes)], tok, softphone.FormAuto, false)
			switch {
			case r.err != nil && errors.Is(r.err, target.ErrCredentialRefused):
				// This node refused the cluster's token earlier in the run
				// (SIPO-02): the site's refusal, not a reason to stop testing.
				return "", fmt.Errorf("%s on %s: the registrar refused the user's access token earlier in this run: %v", dev, r.node, r.err)
			case r.err != nil:
				if errors.Is(r.err, softphone.ErrTokenRejected) {
					return "", fmt.Errorf("%s on %s: the access token was refused: %w", dev, r.node, r.err)
				}
				return "", fmt.Errorf("%s on %s: %w", dev, r.node, r.err)
			case !r.res.Registered:
				return "", fmt.Errorf("%s on %s: want 200, got %s", dev, r.node, r.res.Reason)
			case listedDevice(r.res) == "":
				return "", fmt.Errorf("%s on %s: the 200 does not list the device's contact", dev, r.node)
			case !r.res.Unregistered:
				return "", fmt.Errorf("%s on %s: registered, but Expires: 0 left the binding: %s", dev, r.node, r.res.Reason)
			}
			ok = append(ok, dev+" on "+r.node)
		}
		return "registered and unregistered " + strings.Join(ok, ", "), nil
	}}}
}
