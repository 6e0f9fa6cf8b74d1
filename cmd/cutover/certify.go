package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"example.com/cutover/harness/hybrid/certify"
	"example.com/cutover/harness/hybrid/export"
	"example.com/cutover/harness/hybrid/ident"
	"example.com/cutover/harness/runner"
)

func newCertifyCmd() *cobra.Command {
	var (
		ucmFiles          []string
		webexFile, report string
		scheme, domain    string
		shard             string
		asJSON            bool
	)
	cmd := &cobra.Command{
		Use:   "certify",
		Short: "Certify every user of the real user exports for Hybrid Messaging (HYB bulk)",
		Long: `Join a UCM end-user export per cluster with the Control Hub users export and
say, for every user, whether the Hybrid Message connector can route them:
the Directory URI must be the Webex email, both sides enabled, one home
cluster, no duplicate email or JID (the reasons and their checks are in
harness/hybrid/certify). Bad rows never stop the run; they are reported with
file and line. Memory stays bounded: a 200,000-user pair certifies in a few
seconds (make bench).

--ucm-users FILE[=CLUSTER] once per cluster export (CLUSTER defaults to the
file name); --jid is how IM&P forms JIDs: userid (userid@--imp-domain, the
default) or directoryuri (Flexible JID).

With --report DIR: hybrid-users.csv (one row per user, streamed),
hybrid-users.json, hybrid-errors.csv, hybrid-rollup.json and a self-contained HTML section.

--shard K/N (for a CI matrix) reports only the users whose ID (or, for a
Control Hub identity no UCM user maps to, email) hashes to shard K; every
shard reads both exports whole, and shard 1 reports the bad rows.
"cutover report merge --out DIR SHARD_DIR..." joins the shards' --report
directories into the files the unsharded run writes.

Exit status: 0 every user routes, 1 some do not, 2 usage error or an export
that is not a CSV or lacks a required column.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(ucmFiles) == 0 || webexFile == "" {
				return configErr(fmt.Errorf("want --ucm-users FILE (once per cluster) and --webex-users FILE"))
			}
			sch, err := ident.ParseScheme(scheme)
			if err != nil {
				return configErr(err)
			}
			if sch == ident.SchemeUserID && domain == "" {
				return configErr(fmt.Errorf("--jid userid needs --imp-domain (the IM&P default domain)"))
			}
			opts := certify.Options{Webex: certify.File(webexFile), ReportDir: report}
			if shard != "" {
				sh, err := runner.ParseShard(shard)
				if err != nil {
					return usageErr("--shard: %v", err)
				}
				if report == "" {
					return usageErr("--shard needs --report DIR: the shards are merged from their report directories")
				}
				opts.Shard = certify.Shard{K: sh.K, N: sh.N}
			}
			for _, f := range ucmFiles {
				path, cluster, _ := strings.Cut(f, "=")
				src := certify.File(path)
				src.Cluster = cluster
				src.Addressing = ident.Addressing{Scheme: sch, DefaultDomain: domain}
				opts.UCM = append(opts.UCM, src)
			}
			began := time.Now()
			sum, err := certify.Run(cmd.Context(), opts)
			if err != nil {
				if isExportFormat(err) {
					return configErr(err)
				}
				return err
			}
			if err := printCertify(cmd.OutOrStdout(), sum, time.Since(began), report, asJSON); err != nil {
				return err
			}
			if sum.NotRoutable > 0 {
				return &exitError{code: exitFail}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&ucmFiles, "ucm-users", nil, "a UCM end-user export, FILE or FILE=CLUSTER (repeat per cluster)")
	fl.StringVar(&webexFile, "webex-users", "", "the Control Hub users export")
	fl.StringVar(&scheme, "jid", "userid", "how IM&P forms JIDs: userid or directoryuri")
	fl.StringVar(&domain, "imp-domain", "", "the IM&P default domain (for --jid userid)")
	fl.StringVar(&report, "report", "", "write the report files here")
	fl.StringVar(&shard, "shard", "", "certify only shard K of N of the users (e.g. 2/4, for a CI matrix; cutover report merge joins them)")
	fl.BoolVar(&asJSON, "json", false, "print the summary as JSON")
	return cmd
}

func isExportFormat(err error) bool {
	return errors.Is(err, export.ErrNotCSV) || errors.Is(err, export.ErrColumns) || errors.Is(err, certify.ErrOptions)
}

// printCertify prints a certification's summary (as JSON with asJSON).
func printCertify(out io.Writer, sum certify.Summary, took time.Duration, report string, asJSON bool) error {
	if asJSON {
		return writeJSON(out, sum)
	}
	part := ""
	if sum.Shard != nil {
		part = fmt.Sprintf(" (shard %d/%d)", sum.Shard.K, sum.Shard.N)
	}
	fmt.Fprintf(out, "certify%s: %d users in %s: %d routable, %d not routable, %d bad rows\n",
		part, sum.Users, took.Round(time.Millisecond), sum.Routable, sum.NotRoutable, sum.RowErrors)
	for _, c := range sum.ByReason {
		fmt.Fprintf(out, "  %-24s %d (%s)\n", c.Code, c.Users, certify.Check(c.Code))
	}
	for _, n := range sum.Notes {
		fmt.Fprintf(out, "  note: %s\n", n)
	}
	if len(sum.Files) > 0 {
		fmt.Fprintf(out, "reports: %s (%s)\n", report, strings.Join(sum.Files, ", "))
	}
	return nil
}
