// Package discovery models how Jabber and the Webex App find their services:
// manual settings, then the ciscojabber://provision configuration URL, then
// DNS SRV; only the highest-priority _cisco-uds targets within a time budget;
// UDS home-cluster lookup; MRA through Expressway-E.
package discovery

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ConfigURL is a parsed ciscojabber://provision URL (Jabber on-premises deployment guide, §Configuration
// URL).
type ConfigURL struct {
	ServicesDomain      string
	VoiceServicesDomain string
	// Excluded are the ServiceDiscoveryExcludedServices values, upper-cased.
	Excluded []string
	// SSOEmailPrompt is "ON", "OFF" or "" (not set).
	SSOEmailPrompt string
	// Params holds every parameter as given, for evidence.
	Params url.Values
}

// Services that ServiceDiscoveryExcludedServices may name.
var excludable = []string{"WEBEX", "CUCM", "CUP"}

// ErrConfigURL wraps every configuration URL problem.
var ErrConfigURL = errors.New("discovery: config url")

// maxConfigURL bounds the input: a provisioning link is short.
const maxConfigURL = 8 << 10

// ParseConfigURL parses the URL leniently, as the clients do (spaces around
// '&' as in the guide's own examples are tolerated), and keeps every value so
// Problems can report what is wrong.
func ParseConfigURL(s string) (ConfigURL, error) {
	if len(s) > maxConfigURL {
		return ConfigURL{}, fmt.Errorf("%w: longer than %d bytes", ErrConfigURL, maxConfigURL)
	}
	s = strings.TrimSpace(s)
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || !strings.EqualFold(scheme, "ciscojabber") {
		return ConfigURL{}, fmt.Errorf("%w: want scheme ciscojabber://, got %q", ErrConfigURL, truncate(s, 60))
	}
	host, query, _ := strings.Cut(rest, "?")
	if !strings.EqualFold(strings.TrimSuffix(host, "/"), "provision") {
		return ConfigURL{}, fmt.Errorf("%w: want ciscojabber://provision?…, got host %q", ErrConfigURL, truncate(host, 60))
	}
	c := ConfigURL{Params: url.Values{}}
	for _, part := range strings.Split(query, "&") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		k, err := url.QueryUnescape(strings.TrimSpace(k))
		if err != nil {
			return ConfigURL{}, fmt.Errorf("%w: bad escape in %q", ErrConfigURL, truncate(part, 60))
		}
		v, err = url.QueryUnescape(strings.TrimSpace(v))
		if err != nil {
			return ConfigURL{}, fmt.Errorf("%w: bad escape in %q", ErrConfigURL, truncate(part, 60))
		}
		c.Params.Add(k, v)
		switch k {
		case "ServicesDomain":
			c.ServicesDomain = strings.ToLower(v)
		case "VoiceServicesDomain":
			c.VoiceServicesDomain = strings.ToLower(v)
		case "ServiceDiscoveryExcludedServices":
			for _, e := range strings.Split(v, ",") {
				if e = strings.ToUpper(strings.TrimSpace(e)); e != "" {
					c.Excluded = append(c.Excluded, e)
				}
			}
		case "ServicesDomainSsoEmailPrompt":
			c.SSOEmailPrompt = strings.ToUpper(v)
		}
	}
	return c, nil
}

// Problems lists what makes the URL unusable or wrong (DISC-13):
// ServicesDomain is mandatory, exclusions are only WEBEX, CUCM and CUP, the
// SSO prompt is ON or OFF, and the guide's "VoiceServiceDomain" typo is
// ignored by the clients.
func (c ConfigURL) Problems() []string {
	var p []string
	if c.ServicesDomain == "" {
		p = append(p, "ServicesDomain is missing (mandatory)")
	}
	for _, e := range c.Excluded {
		if !contains(excludable, e) {
			p = append(p, fmt.Sprintf("ServiceDiscoveryExcludedServices has %q (allowed: WEBEX, CUCM, CUP)", e))
		}
	}
	if c.SSOEmailPrompt != "" && c.SSOEmailPrompt != "ON" && c.SSOEmailPrompt != "OFF" {
		p = append(p, fmt.Sprintf("ServicesDomainSsoEmailPrompt is %q (want ON or OFF)", c.SSOEmailPrompt))
	}
	if _, ok := c.Params["VoiceServiceDomain"]; ok {
		p = append(p, `"VoiceServiceDomain" is not a parameter (the guide's typo): use VoiceServicesDomain`)
	}
	return p
}

// Excludes reports whether service (WEBEX, CUCM, CUP) is excluded.
func (c ConfigURL) Excludes(service string) bool { return contains(c.Excluded, service) }

// ExcludesAll is true when all three services are excluded: the client does
// no discovery and prompts for manual settings.
func (c ConfigURL) ExcludesAll() bool {
	for _, e := range excludable {
		if !c.Excludes(e) {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
