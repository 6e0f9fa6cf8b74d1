// Package runner runs the features against a target with godog in strict
// mode, turns the outcome into a report.Run, and lists the check catalogue.
package runner

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	gherkin "github.com/cucumber/gherkin/go/v26"
	messages "github.com/cucumber/messages/go/v21"

	"example.com/cutover/harness/checkid"
	"example.com/cutover/harness/report"
)

// CheckInfo describes one check as written in the features.
type CheckInfo struct {
	ID         string   `json:"id"`
	Capability string   `json:"capability"`
	Title      string   `json:"title"`
	Source     string   `json:"source"`
	Feature    string   `json:"feature"`
	Line       int      `json:"line"`
	Tags       []string `json:"tags"`
	// Severity is the check's severity tag: blocker, major or minor.
	Severity string `json:"severity"`
	// Remediation is what a site engineer does when it fails.
	Remediation string `json:"remediation"`
	// Faults are the embedded faults that must make this check fail.
	Faults []string `json:"faults"`
}

// Catalog parses every feature in fsys and returns its checks sorted by ID.
// It enforces the house rules a run relies on: exactly one check ID and one
// capability tag per scenario, a prefix that matches the capability, a
// Source line, and no ID used twice.
func Catalog(fsys fs.FS) ([]CheckInfo, error) {
	var out []CheckInfo
	var problems []string
	seen := map[string]string{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".feature" {
			return err
		}
		f, err := fsys.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		doc, err := gherkin.ParseGherkinDocument(f, (&messages.Incrementing{}).NewId)
		if err != nil {
			return fmt.Errorf("runner: parse %s: %w", p, err)
		}
		if doc.Feature == nil {
			return nil
		}
		var scenarios []*messages.Scenario
		for _, c := range doc.Feature.Children {
			if c.Scenario != nil {
				scenarios = append(scenarios, c.Scenario)
			}
			if c.Rule != nil {
				for _, rc := range c.Rule.Children {
					if rc.Scenario != nil {
						scenarios = append(scenarios, rc.Scenario)
					}
				}
			}
		}
		for _, sc := range scenarios {
			ci := CheckInfo{Title: sc.Name, Feature: p, Line: int(sc.Location.Line)}
			where := fmt.Sprintf("%s:%d", p, ci.Line)
			var ids, caps, sevs []string
			for _, t := range append(append([]*messages.Tag{}, doc.Feature.Tags...), sc.Tags...) {
				ci.Tags = append(ci.Tags, t.Name)
				if s := strings.TrimPrefix(t.Name, "@"); slices.Contains(report.Severities, s) {
					sevs = append(sevs, s)
				}
				if id, ok := checkid.FromTag(t.Name); ok {
					ids = append(ids, id)
					continue
				}
				for _, c := range checkid.Capabilities {
					if t.Name == "@"+c.Tag {
						caps = append(caps, c.Tag)
					}
				}
			}
			if len(ids) != 1 {
				problems = append(problems, fmt.Sprintf("%s: want exactly one check ID tag, got %v", where, ids))
				continue
			}
			if len(caps) != 1 {
				problems = append(problems, fmt.Sprintf("%s: want exactly one capability tag, got %v", where, caps))
				continue
			}
			ci.ID, ci.Capability = ids[0], caps[0]
			if want := prefixOf(ci.Capability); !strings.HasPrefix(ci.ID, want+"-") {
				problems = append(problems, fmt.Sprintf("%s: check %s is tagged @%s, whose IDs start %s-", where, ci.ID, ci.Capability, want))
			}
			if prev, dup := seen[ci.ID]; dup {
				problems = append(problems, fmt.Sprintf("%s: check ID %s already used at %s", where, ci.ID, prev))
			}
			seen[ci.ID] = where
			ci.Source = descLine(sc.Description, "Source:")
			if ci.Source == "" {
				problems = append(problems, fmt.Sprintf("%s: %s has no \"Source:\" line", where, ci.ID))
			}
			ci.Remediation = descLine(sc.Description, "Remediation:")
			if ci.Remediation == "" {
				problems = append(problems, fmt.Sprintf("%s: %s has no \"Remediation:\" line (what a site engineer does when it fails)", where, ci.ID))
			}
			if len(sevs) != 1 {
				problems = append(problems, fmt.Sprintf("%s: %s wants exactly one severity tag (@blocker, @major, @minor), got %v", where, ci.ID, sevs))
			} else {
				ci.Severity = sevs[0]
			}
			out = append(out, ci)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("runner: feature house rules:\n  %s", strings.Join(problems, "\n  "))
	}
	sort.Slice(out, func(i, j int) bool { return LessID(out[i].ID, out[j].ID) })
	return out, nil
}

func prefixOf(capability string) string {
	c, _ := checkid.ByTag(capability)
	return c.Prefix
}

// descLine is the value of the description's first line starting key.
func descLine(desc, key string) string {
	for _, l := range strings.Split(desc, "\n") {
		l = strings.TrimSpace(l)
		if s, ok := strings.CutPrefix(l, key); ok {
			return strings.TrimSpace(s)
		}
	}
	return ""
}

// LessID orders check IDs by capability order, then number: DISC-2 < DISC-10.
func LessID(a, b string) bool { return checkid.Less(a, b) }
