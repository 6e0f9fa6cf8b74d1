package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"example.com/cutover/features"
	"example.com/cutover/harness/embedded"
	"example.com/cutover/harness/fakesite"
	"example.com/cutover/harness/report"
	"example.com/cutover/harness/runner"
	"example.com/cutover/harness/target"
)

func newRunCmd() *cobra.Command {
	var (
		targetSpec, tags, reportDir string
		concurrency, repeat         int
		seed                        int64
		resetAuth                   bool
	)
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the checks against a target and print a summary per capability",
		Long: `Run the checks against a target: "embedded" (default, in-process fakes),
"containers" (the same fakes in Docker on inside/DMZ/outside networks), or a
target file (lab site, or kind: embedded with faults).
Exit status: 0 all selected checks passed, 1 a check failed (or, with
--repeat, a verdict changed between runs), 2 usage or configuration error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if concurrency < 1 {
				return usageErr("--concurrency must be at least 1, got %d", concurrency)
			}
			if repeat < 1 {
				return usageErr("--repeat must be at least 1, got %d", repeat)
			}
			ctx := cmd.Context()
			if resetAuth {
				if err := resetAuthBudget(targetSpec); err != nil {
					return configErr(err)
				}
			}
			t, err := runner.Open(ctx, targetSpec, fakesite.Options{})
			if err != nil {
				return configErr(err)
			}
			defer t.Close()
			out := cmd.OutOrStdout()
			// Only each check's verdicts are kept across repeats, and the
			// last run: memory does not grow with --repeat.
			history := verdictHistory{}
			var last *report.Run
			for i := 0; i < repeat; i++ {
				dir := reportDir
				if repeat > 1 && dir != "" {
					dir = fmt.Sprintf("%s/run-%03d", reportDir, i+1)
				}
				runSeed := seed
				if seed != 0 {
					runSeed = seed + int64(i) // a new order each repeat: order-dependence shows up
				}
				r, err := runner.Run(ctx, runner.Options{Target: t, FS: features.FS, Tags: tags, Concurrency: concurrency, ReportDir: dir, Seed: runSeed})
				if err != nil {
					if errors.Is(err, runner.ErrNoChecks) {
						return usageErr("%v", err)
					}
					return &exitError{code: exitConfig, err: err}
				}
				history.add(r)
				last = r
				if ctx.Err() != nil {
					return &exitError{code: exitConfig, err: fmt.Errorf("interrupted")}
				}
			}
			if err := report.WriteSummary(out, last); err != nil {
				return err
			}
			if reportDir != "" {
				fmt.Fprintf(out, "reports: %s (junit.xml, cucumber.json, report.html)\n", reportDir)
			}
			if repeat > 1 {
				changed := history.changed()
				fmt.Fprintf(out, "repeat: %d runs, %d check(s) changed verdict\n", repeat, len(changed))
				for _, c := range changed {
					fmt.Fprintf(out, "  FLAKY %s\n", c)
				}
				if len(changed) > 0 {
					return &exitError{code: exitFail}
				}
			}
			if len(last.Failed()) > 0 {
				return &exitError{code: exitFail}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&targetSpec, "target", runner.BuiltinEmbedded, `"embedded", "containers" (needs Docker) or a target file`)
	f.StringVar(&tags, "tags", "", `tag expression, e.g. "@discovery && ~@DISC-03"`)
	f.StringVar(&reportDir, "report", "", "write junit.xml, cucumber.json and report.html here")
	f.IntVar(&concurrency, "concurrency", 4, "scenarios run at once")
	f.IntVar(&repeat, "repeat", 1, "run the suite N times and report checks whose verdict changed")
	f.Int64Var(&seed, "seed", 0, "shuffle scenario order with this seed, +1 per repeat (0: file order)")
	f.BoolVar(&resetAuth, "reset-auth-budget", false, "forget the authentication failures remembered for this lab target (only when the lockout window is over or the lockout was cleared)")
	return cmd
}

// resetAuthBudget forgets a lab target's remembered authentication
// failures (target.StateFile).
func resetAuthBudget(spec string) error {
	if spec == runner.BuiltinEmbedded || spec == runner.BuiltinContainers || spec == "" {
		return nil // the fakes keep no state
	}
	site, err := target.LoadFile(spec, os.LookupEnv)
	if err != nil {
		return err
	}
	return target.ResetAuthState(target.DefaultStateDir(), site)
}

// verdictHistory counts each check's verdicts across repeats.
type verdictHistory map[string]map[report.Status]int

func (h verdictHistory) add(r *report.Run) {
	for _, c := range r.Checks {
		if h[c.ID] == nil {
			h[c.ID] = map[report.Status]int{}
		}
		h[c.ID][c.Status]++
	}
}

// changed lists the checks whose verdict was not the same in every run.
func (h verdictHistory) changed() []string {
	var out []string
	for id, st := range h {
		if len(st) > 1 {
			var parts []string
			for s, n := range st {
				parts = append(parts, fmt.Sprintf("%s×%d", s, n))
			}
			sort.Strings(parts)
			out = append(out, id+" ("+strings.Join(parts, ", ")+")")
		}
	}
	sort.Strings(out)
	return out
}

// configErr maps target problems to exit 2.
func configErr(err error) error {
	return &exitError{code: exitConfig, err: err}
}

func newListCmd() *cobra.Command {
	var asJSON, faults bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List every check (id, capability, title, source, feature:line, faults)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			if faults {
				return listFaults(out, asJSON)
			}
			checks, err := runner.Catalog(features.FS)
			if err != nil {
				return err
			}
			for i := range checks {
				checks[i].Faults = fakesite.FaultsFor(checks[i].ID)
			}
			if asJSON {
				return writeJSON(out, checks)
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tCAPABILITY\tTITLE\tSOURCE\tFEATURE")
			for _, c := range checks {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s:%d\n", c.ID, c.Capability, c.Title, c.Source, c.Feature, c.Line)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&faults, "faults", false, "list the fault catalogue instead of the checks")
	return cmd
}

func listFaults(out io.Writer, asJSON bool) error {
	cat := fakesite.Catalogue()
	if asJSON {
		return writeJSON(out, cat)
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FAULT\tKILLS\tDESCRIPTION")
	for _, f := range cat {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", f.Name, strings.Join(f.Kills, ","), f.Description)
	}
	return tw.Flush()
}

func newFakesCmd() *cobra.Command {
	var writeTarget, writeZones, resolverInside, resolverOutside string
	var faults []string
	cmd := &cobra.Command{
		Use:   "fakes",
		Short: "Start the embedded fakes in the foreground and print their endpoints",
		Long: `Start the embedded fakes until interrupted. With --write-target FILE,
write a lab target file (and FILE's CA beside it) that points at them, so lab
mode can be exercised against them: cutover run --target FILE.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			t, plan, err := embedded.StartPlan(ctx, fakesite.Options{Faults: faults})
			if err != nil {
				if errors.Is(err, embedded.ErrUnknownFault) {
					return usageErr("%v", err)
				}
				return err
			}
			defer t.Close()
			out := cmd.OutOrStdout()
			s := t.Site
			fmt.Fprintf(out, "inside DNS   %s\noutside DNS  %s\n", s.Vantage.Inside.Resolver, s.Vantage.Outside.Resolver)
			for _, c := range s.ConnectTo {
				fmt.Fprintf(out, "connect      %s → %s\n", c.From, c.To)
			}
			if writeZones != "" {
				files, err := fakesite.WriteZones(plan, writeZones, plan.Site.Domains.Services, "127.0.0.1")
				if err != nil {
					return err
				}
				for _, f := range files {
					fmt.Fprintf(out, "zone file    %s\n", f)
				}
			}
			if resolverInside != "" {
				s.Vantage.Inside.Resolver = resolverInside
			}
			if resolverOutside != "" {
				s.Vantage.Outside.Resolver = resolverOutside
			}
			if writeTarget != "" {
				env, err := embedded.WriteTarget(t, writeTarget)
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "target file  %s\n", writeTarget)
				keys := make([]string, 0, len(env))
				for k := range env {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				for _, k := range keys {
					fmt.Fprintf(out, "export %s=%s\n", k, env[k])
				}
			}
			fmt.Fprintln(out, "serving; interrupt (Ctrl-C) to stop")
			<-ctx.Done()
			return nil
		},
	}
	cmd.Flags().StringVar(&writeTarget, "write-target", "", "write a lab target file pointing at the fakes")
	cmd.Flags().StringVar(&writeZones, "write-zones", "", "write the inside and outside DNS views as zone files into this directory (for a real DNS server)")
	cmd.Flags().StringVar(&resolverInside, "resolver-inside", "", "in the written target, use this ip:port as the inside resolver (e.g. a BIND serving the zones)")
	cmd.Flags().StringVar(&resolverOutside, "resolver-outside", "", "in the written target, use this ip:port as the outside resolver")
	cmd.Flags().StringSliceVar(&faults, "fault", nil, "inject a fault (repeatable; see cutover list --faults)")
	return cmd
}

func newSelftestCmd() *cobra.Command {
	var asJSON bool
	var concurrency int
	cmd := &cobra.Command{
		Use:   "selftest",
		Short: "Prove every check can fail: run each against the embedded fakes with its faults",
		Long: `For every fault of the catalogue, start the embedded fakes with it and run
the suite. A check is killed when each fault mapped to it makes it fail,
survived when one does not, no-fault when none is mapped. Exit 1 unless every
check is killed and the healthy fakes pass everything.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			progress := func(name string, r *report.Run) {
				if !asJSON {
					fmt.Fprintf(cmd.ErrOrStderr(), "selftest: %-30s %d checks, %d failed\n", name, len(r.Checks), len(r.Failed()))
				}
			}
			rep, err := runner.Selftest(cmd.Context(), features.FS, concurrency, progress)
			if err != nil {
				return err
			}
			if asJSON {
				if err := writeJSON(out, rep); err != nil {
					return err
				}
			} else {
				writeSelftest(out, rep)
			}
			if !rep.OK() {
				return &exitError{code: exitFail}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().IntVar(&concurrency, "concurrency", 4, "scenarios run at once")
	return cmd
}

func writeSelftest(out io.Writer, rep *runner.SelftestReport) {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tVERDICT\tFAULTS")
	n := map[string]int{}
	for _, c := range rep.Checks {
		n[c.Verdict]++
		var fs []string
		for f, k := range c.Faults {
			mark := "killed"
			if !k {
				mark = "SURVIVED"
			}
			fs = append(fs, f+"="+mark)
		}
		sort.Strings(fs)
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.ID, c.Verdict, strings.Join(fs, " "))
	}
	tw.Flush()
	for _, f := range rep.Faults {
		if len(f.Unexpected) > 0 {
			fmt.Fprintf(out, "note: fault %s also fails %v (not in its kills list)\n", f.Name, f.Unexpected)
		}
	}
	if len(rep.Clean) > 0 {
		fmt.Fprintf(out, "FAIL: the healthy fakes fail %v\n", rep.Clean)
	}
	verdict := "PASS"
	if !rep.OK() {
		verdict = "FAIL"
	}
	fmt.Fprintf(out, "SELFTEST: %s (%d killed, %d survived, %d without a fault, of %d checks)\n",
		verdict, n[runner.Killed], n[runner.Survived], n[runner.NoFault], len(rep.Checks))
}

// writeJSON prints v as indented JSON, for --json.
func writeJSON(out io.Writer, v any) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
