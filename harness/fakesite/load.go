package fakesite

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"gopkg.in/yaml.v3"

	"example.com/cutover/fixtures"
	"example.com/cutover/harness/target"
)

// siteFile is a fake site file as written (fixtures/sites/example.yaml).
type siteFile struct {
	Site  target.Site `yaml:"site"`
	Keys  []KeySpec   `yaml:"keys,omitempty"`
	Hosts []hostFile  `yaml:"hosts"`
}

type hostFile struct {
	Host     `yaml:",inline"`
	Services []serviceFile `yaml:"services"`
}

type serviceFile struct {
	Kind      string    `yaml:"kind"`
	Port      int       `yaml:"port"`
	Transport Transport `yaml:"transport,omitempty"`
	Settings  yaml.Node `yaml:"settings,omitempty"`
}

// Example loads the example site (fixtures/sites/example.yaml) with fresh
// passwords.
func Example() (*Plan, error) {
	return Load(fixtures.ExampleSiteName, fixtures.ExampleSite, Kinds())
}

// Load decodes a fake site file as strictly as a target file: unknown keys
// (in each service's settings too, by its kind), type errors and invalid
// site data are reported at once, each with file and line. Every test
// user gets a fresh random password: nothing real can depend on it.
func Load(name string, data []byte, reg *Registry) (*Plan, error) {
	var f siteFile
	doc, errs := target.DecodeStrict(name, data, &f)
	if doc == nil {
		return nil, &target.LoadError{Errs: errs}
	}
	p := &Plan{Site: &f.Site, Keys: f.Keys}
	for i, hf := range f.Hosts {
		h := hf.Host
		h.Services = nil
		for j, sf := range hf.Services {
			path := fmt.Sprintf("hosts[%d].services[%d]", i, j)
			s := &Service{Kind: sf.Kind, Port: sf.Port, Transport: sf.Transport}
			k, ok := reg.Lookup(sf.Kind)
			switch {
			case !ok:
				errs = append(errs, &target.FieldError{File: name, Line: doc.At(path + ".kind"), Field: path + ".kind",
					Msg: fmt.Sprintf("unknown service kind %q (known: %v)", sf.Kind, reg.Names())})
			case k.Settings != nil:
				s.Settings = k.Settings()
				if !sf.Settings.IsZero() {
					errs = append(errs, doc.DecodeNode(&sf.Settings, path+".settings", s.Settings)...)
				}
			case !sf.Settings.IsZero():
				errs = append(errs, &target.FieldError{File: name, Line: doc.At(path + ".settings"), Field: path + ".settings",
					Msg: fmt.Sprintf("kind %s takes no settings", sf.Kind)})
			}
			h.Services = append(h.Services, s)
		}
		host := h
		p.Hosts = append(p.Hosts, &host)
	}
	errs = append(errs, target.ValidateServed(doc, "site", p.Site)...)
	if len(errs) > 0 {
		return nil, &target.LoadError{Errs: errs}
	}
	if err := reg.check(p); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for i := range p.Site.Users {
		p.Site.Users[i].Password = randomSecret()
	}
	if p.Site.SSO.Admin.Username != "" {
		p.Site.SSO.Admin.Password = randomSecret()
	}
	return p, nil
}

// randomSecret makes a fresh password per run.
func randomSecret() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // never fails on Linux (crypto/rand)
	return "pw-" + hex.EncodeToString(b)
}
