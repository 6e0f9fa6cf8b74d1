// Package suite puts the capabilities' steps together: the one place that
// lists them.
package suite

import (
	"slices"

	"github.com/cucumber/godog"

	"example.com/cutover/harness/target"
	"example.com/cutover/steps"
	"example.com/cutover/steps/disc"
	"example.com/cutover/steps/hybrid"
	"example.com/cutover/steps/journey"
	"example.com/cutover/steps/sip"
	"example.com/cutover/steps/sso"
	"example.com/cutover/steps/xmpp"
)

// Initializer returns the scenario initializer for a run against t; done,
// when not nil, hears about every check as it finishes. Step definitions
// are built once per run, not once per scenario.
func Initializer(t *target.Target, done func(steps.Done)) func(*godog.ScenarioContext) {
	r := steps.NewRegistry(t)
	r.OnDone = done
	disc.Register(r)
	sso.Register(r)
	sip.Register(r)
	xmpp.Register(r)
	hybrid.Register(r)
	// A test user's day, stage by stage in the order of a cutover.
	journey.Register(r, slices.Concat(disc.JourneyStages(), sso.JourneyStages(), sip.JourneyStages(), xmpp.JourneyStages(), hybrid.JourneyStages())...)
	return r.Initializer()
}
