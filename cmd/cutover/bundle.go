package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"example.com/cutover/harness/hybrid/certify"
	"example.com/cutover/harness/report"
	"example.com/cutover/harness/runner"
)

// readResults reads a saved run: a report directory or its results.json.
func readResults(p string) (*report.Run, string, error) {
	dir := p
	if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
		dir = filepath.Dir(p)
	} else {
		p = filepath.Join(p, runner.FileResults)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, "", fmt.Errorf("read saved results: %w", err)
	}
	defer f.Close()
	r, err := report.ReadJSON(f)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", p, err)
	}
	return r, dir, nil
}

func newReportCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "report DIR",
		Short: "Regenerate every report format of a saved run (DIR/results.json)",
		Long: `Regenerate junit.xml, report.html, results.json, the evidence bundle and
the manifest from a saved run's results.json (cucumber.json is carried over
as saved). results.json comes out byte for byte as it went in.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			run, dir, err := readResults(args[0])
			if err != nil {
				return configErr(err)
			}
			if out == "" {
				out = dir
			}
			cucumber, err := os.ReadFile(filepath.Join(dir, runner.FileCucumber))
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return configErr(err)
			}
			if err := runner.WriteReports(out, "", run, cucumber); err != nil {
				return err
			}
			if err := report.WriteSummary(cmd.OutOrStdout(), run); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "reports: %s\n", out)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "write the reports here (default: DIR itself)")
	cmd.AddCommand(newMergeCmd())
	return cmd
}

func newMergeCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "merge --out DIR SHARD_DIR...",
		Short: "Merge the reports of the shards of one run (cutover run --shard K/N) into one report and one verdict",
		Long: `Merge the saved results of every shard of one sharded run into one set of
reports, as the unsharded run would have written them: every check from
exactly one shard, one result under the run's profile. A missing shard, a
check in two shards, or shards of different targets, tags or profiles are
errors (exit 2). Exit status otherwise: 0 the merged run passes, 1 it does not.

The shards of a certification (cutover certify --shard K/N --report DIR)
merge the same way: the per-user CSV and JSON in the unsharded order, the
bad rows once, the roll-up and HTML section over every user; exit 1 when a
user does not route.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageErr("report merge: --out DIR is required")
			}
			if isCertifyReport(args[0]) {
				began := time.Now()
				sum, err := certify.MergeReports(out, args)
				if err != nil {
					if errors.Is(err, certify.ErrMerge) {
						return configErr(err)
					}
					return err
				}
				if err := printCertify(cmd.OutOrStdout(), sum, time.Since(began), out, false); err != nil {
					return err
				}
				if sum.NotRoutable > 0 {
					return &exitError{code: exitFail}
				}
				return nil
			}
			var runs []*report.Run
			var cucumber [][]byte
			for _, a := range args {
				r, dir, err := readResults(a)
				if err != nil {
					return configErr(err)
				}
				runs = append(runs, r)
				b, err := os.ReadFile(filepath.Join(dir, runner.FileCucumber))
				if err != nil && !errors.Is(err, os.ErrNotExist) {
					return configErr(err)
				}
				cucumber = append(cucumber, b)
			}
			merged, err := report.Merge(runs)
			if err != nil {
				return configErr(err)
			}
			cuke, err := runner.MergeCucumber(cucumber)
			if err != nil {
				return configErr(err)
			}
			if err := runner.WriteReports(out, "", merged, cuke); err != nil {
				return err
			}
			if err := report.WriteSummary(cmd.OutOrStdout(), merged); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "reports: %s (merged from %d shards)\n", out, len(runs))
			if merged.Result() != string(report.Pass) {
				return &exitError{code: exitFail}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "write the merged reports here")
	return cmd
}

func newDiffCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "Show which checks changed verdict between two saved runs (report directories or results.json)",
		Long: `Compare two saved runs (e.g. Friday's and Monday's): every check, and every
user of a per-user check, whose verdict changed. A regression is a verdict
that now fails or could not test where it did not.

Exit status: 0 nothing regressed, 1 something did, 2 a run could not be read.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			old, _, err := readResults(args[0])
			if err != nil {
				return configErr(err)
			}
			nw, _, err := readResults(args[1])
			if err != nil {
				return configErr(err)
			}
			changes := report.Diff(old, nw)
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				if changes == nil {
					changes = []report.Change{}
				}
				if err := enc.Encode(struct {
					Old     string          `json:"old"`
					New     string          `json:"new"`
					Changes []report.Change `json:"changes"`
				}{args[0], args[1], changes}); err != nil {
					return err
				}
			} else if err := report.WriteDiff(cmd.OutOrStdout(), old, nw, changes); err != nil {
				return err
			}
			for _, c := range changes {
				if c.Regression {
					return &exitError{code: exitFail}
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the changes as JSON")
	return cmd
}

func newVerifyCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "verify DIR",
		Short: "Check a report directory against its manifest.json (every file's SHA-256)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, extra, err := report.VerifyManifest(args[0])
			out := cmd.OutOrStdout()
			for _, e := range extra {
				fmt.Fprintf(out, "not in the manifest (added later): %s\n", e)
			}
			if err != nil {
				if m == nil {
					return configErr(err)
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "cutover: %v\n", err)
				return &exitError{code: exitFail}
			}
			fmt.Fprintf(out, "verified: %d files match manifest.json (target %s, %s, result %s, %s)\n", len(m.Files), m.Target, m.Tool, m.Result, m.Started.UTC().Format("2006-01-02 15:04:05Z"))
			return nil
		},
	}
}

// isCertifyReport says whether dir holds a certification's report (cutover
// certify --report) rather than a run's.
func isCertifyReport(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, certify.RollupJSON))
	if err != nil {
		return false
	}
	_, err = os.Stat(filepath.Join(dir, runner.FileResults))
	return err != nil
}
