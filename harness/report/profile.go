package report

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Profile decides which verdicts fail a run. Every report names it.
type Profile struct {
	Name string `json:"name"`
	// Fails are the verdicts that fail the run.
	Fails []Verdict `json:"fails"`
	// Doc says what the profile is for.
	Doc string `json:"doc"`
}

// Profile names.
const (
	ProfileStrict        = "strict"
	ProfileCertification = "certification"
	ProfileSmoke         = "smoke"
)

// Profiles lists the profiles; certification is the default.
var Profiles = []Profile{
	{ProfileStrict, []Verdict{Fail, Error, Waived}, "a sign-off with no exceptions: any failure, any could-not-test and any waived failure fails the run"},
	{ProfileCertification, []Verdict{Fail, Error}, "the default: failures and checks that could not test fail the run; waived failures do not"},
	{ProfileSmoke, []Verdict{Fail}, "a quick look: only failures of the site fail the run; could-not-test is reported, not fatal"},
}

// ErrProfile is a profile name that is not one of Profiles.
var ErrProfile = errors.New("report: unknown profile")

// LookupProfile returns the profile named name ("" is certification).
func LookupProfile(name string) (Profile, error) {
	if name == "" {
		name = ProfileCertification
	}
	for _, p := range Profiles {
		if p.Name == name {
			return p, nil
		}
	}
	var names []string
	for _, p := range Profiles {
		names = append(names, p.Name)
	}
	return Profiles[1], fmt.Errorf("%w %q (want %s)", ErrProfile, name, strings.Join(names, ", "))
}

func (p Profile) fails(v Verdict) bool { return slices.Contains(p.Fails, v) }

// String is the profile as reports print it: "certification (fails on
// fail, error)".
func (p Profile) String() string {
	var vs []string
	for _, v := range p.Fails {
		vs = append(vs, v.Label())
	}
	return fmt.Sprintf("%s (fails on %s)", p.Name, strings.Join(vs, ", "))
}

// ProfileOf is the run's profile.
func (r *Run) ProfileOf() Profile {
	p, _ := LookupProfile(r.Profile)
	return p
}
