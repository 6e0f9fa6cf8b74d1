package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"example.com/cutover/features"
	"example.com/cutover/harness/embedded"
	"example.com/cutover/harness/fakesite"
	"example.com/cutover/harness/report"
	"example.com/cutover/harness/runner"
	"example.com/cutover/harness/target"
)

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
			fmt.Fprintln(tw, "ID\tCAPABILITY\tTITLE\tFEATURE\tFAULTS\tSOURCE")
			for _, c := range checks {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s:%d\t%s\t%s\n", c.ID, c.Capability, c.Title, c.Feature, c.Line, strings.Join(c.Faults, ","), c.Source)
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
	fmt.Fprintln(tw, "FAULT\tMUST FAIL\tMUST REPORT COULD NOT TEST\tDESCRIPTION")
	for _, f := range cat {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Name, strings.Join(f.Kills, ","), strings.Join(f.Errors, ","), f.Description)
	}
	return tw.Flush()
}

func newFakesCmd() *cobra.Command {
	var writeTarget, writeZones, resolverInside, resolverOutside, siteFile string
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
			o := fakesite.Options{Faults: faults}
			if siteFile != "" {
				data, err := target.ReadFile(siteFile, 1<<20)
				if err != nil {
					return usageErr("--site %s: %v", siteFile, err)
				}
				if o.Plan, err = fakesite.Load(siteFile, data, fakesite.Kinds()); err != nil {
					return err
				}
			}
			t, plan, err := embedded.StartPlan(ctx, o)
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
	cmd.Flags().StringVar(&siteFile, "site", "", "serve this fake site file instead of the example site (a copy of fixtures/sites/example.yaml, edited)")
	return cmd
}

func newSelftestCmd() *cobra.Command {
	var asJSON bool
	var concurrency, parallel int
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
					fmt.Fprintf(cmd.ErrOrStderr(), "selftest: %-30s %d checks, %d failed, %s\n", name, len(r.Checks), len(r.Failed()), r.Duration.Round(10*time.Millisecond))
				}
			}
			rep, err := runner.Selftest(cmd.Context(), features.FS, runner.SelftestOptions{Concurrency: concurrency, Parallel: parallel, Progress: progress})
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
	cmd.Flags().IntVar(&concurrency, "concurrency", 4, "scenarios of one run at once")
	cmd.Flags().IntVar(&parallel, "parallel", 4, "faulted sites run at once")
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
			fmt.Fprintf(out, "FAIL: fault %s also fails %v (not in its kills list)\n", f.Name, f.Unexpected)
		}
		if len(f.ErrorsMissed)+len(f.ErrorsUnexpected) > 0 {
			fmt.Fprintf(out, "FAIL: fault %s: want %v to report could-not-test, got %v\n", f.Name, f.Errors, f.Errored)
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
