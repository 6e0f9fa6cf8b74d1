package runner_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing/fstest"

	"example.com/cutover/features"
	"example.com/cutover/harness/embedded"
	"example.com/cutover/harness/fakesite"
	"example.com/cutover/harness/runner"
	"example.com/cutover/harness/target"
)

// The whole suite, strictly, against the healthy embedded site.
func Example() {
	ctx := context.Background()
	t, err := runner.Open(ctx, runner.BuiltinEmbedded, fakesite.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer t.Close()
	run, err := runner.Run(ctx, runner.Options{Target: t, FS: features.FS, Concurrency: 4})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s: %d checks, %d failed\n", run.Target, len(run.Checks), len(run.Failed()))
	// Output:
	// embedded: 42 checks, 0 failed
}

// Catalog lists the checks the features define, sorted by ID, and refuses
// features that break the house rules.
func ExampleCatalog() {
	checks, err := runner.Catalog(features.FS)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(checks), "checks, from", checks[0].ID, "to", checks[len(checks)-1].ID)
	c := checks[13]
	fmt.Printf("%s (%s) %s:%d %q\n", c.ID, c.Capability, c.Feature, c.Line, c.Title)
	fmt.Println("faults that must fail it:", fakesite.FaultsFor(c.ID))

	_, err = runner.Catalog(fstest.MapFS{"discovery/x.feature": {Data: []byte(`@discovery
Feature: x
  @SSO-01
  Scenario: a check with the wrong prefix and no source
    Given a client inside the network
`)}})
	fmt.Println(err)
	// Output:
	// 42 checks, from DISC-01 to SIPO-10
	// DISC-14 (discovery) discovery/discovery.feature:129 "Inside DNS publishes _cuplogin for the services domain"
	// faults that must fail it: [cuplogin-srv-missing dns-inside-garbage]
	// runner: feature house rules:
	//   discovery/x.feature:4: check SSO-01 is tagged @discovery, whose IDs start DISC-
	//   discovery/x.feature:4: SSO-01 has no "Source:" line
	//   discovery/x.feature:4: SSO-01 has no "Remediation:" line (what a site engineer does when it fails)
	//   discovery/x.feature:4: SSO-01 wants exactly one severity tag (@blocker, @major, @minor), got []
}

// Run a tag-selected subset against the embedded site with one fault: the
// check the fault must kill fails, the other passes.
func ExampleRun() {
	ctx := context.Background()
	t, err := embedded.Start(ctx, fakesite.Options{Faults: []string{"cuplogin-srv-missing"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer t.Close()
	run, err := runner.Run(ctx, runner.Options{Target: t, FS: features.FS, Tags: "@DISC-01 or @DISC-14"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s: %d checks, %d failed\n", run.Target, len(run.Checks), len(run.Failed()))
	for _, c := range run.Failed() {
		fmt.Println("FAIL", c.ID, strings.HasPrefix(c.Reason, c.ID+": "))
	}

	// A selection that matches nothing is an error, not a pass; so is
	// godog's old syntax, with the standard form named.
	_, err = runner.Run(ctx, runner.Options{Target: t, FS: features.FS, Tags: "@DISC-99"})
	fmt.Println(errors.Is(err, runner.ErrNoChecks))
	_, err = runner.Run(ctx, runner.Options{Target: t, FS: features.FS, Tags: "@discovery && ~@DISC-03"})
	fmt.Println(err, errors.Is(err, runner.ErrTags))
	// Output:
	// embedded+cuplogin-srv-missing: 2 checks, 1 failed
	// FAIL DISC-14 true
	// true
	// runner: bad tag expression: Tag expression "@discovery && ~@DISC-03" could not be parsed because of syntax error: "@a && @b" is godog's old syntax; write "@a and @b". (column 12) true
}

// Open reads a target file; one of kind embedded starts the fakes with the
// faults it lists, and an unknown fault is a configuration error that names
// its line.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "cutover-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			fmt.Println(err)
		}
		return p
	}

	ctx := context.Background()
	t, err := runner.Open(ctx, write("faulted.yaml", "name: faulted fakes\nkind: embedded\nfakes:\n  faults: [uds-srv-visible-outside, cuplogin-srv-missing]\n"), fakesite.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(t.Site.Name, t.Site.Kind, "inside resolver set:", t.Site.Vantage.Inside.Resolver != "")
	t.Close()

	_, err = runner.Open(ctx, write("typo.yaml", "kind: embedded\nfakes:\n  faults:\n    - uds-srv-mising\n"), fakesite.Options{})
	fmt.Println(strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), ""))
	fmt.Println("ErrConfig:", errors.Is(err, target.ErrConfig))
	// Output:
	// faulted fakes embedded inside resolver set: true
	// target: configuration error: typo.yaml:4: field fakes.faults[0]: unknown fault "uds-srv-mising" (see cutover list --faults)
	// ErrConfig: true
}
