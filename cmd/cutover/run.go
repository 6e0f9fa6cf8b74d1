package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"example.com/cutover/features"
	"example.com/cutover/harness/fakesite"
	"example.com/cutover/harness/report"
	"example.com/cutover/harness/runner"
	"example.com/cutover/harness/tagexpr"
	"example.com/cutover/harness/target"
	"example.com/cutover/harness/waiver"
	"example.com/cutover/steps"
)

// runFlags are cutover run's options.
type runFlags struct {
	target, tags, reportDir string
	concurrency, repeat     int
	seed                    int64
	resetAuth               bool
	asJSON, quiet, verbose  bool
	progress                bool
	heartbeat               time.Duration
	profile, waivers        string
	shard                   string
}

func newRunCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the checks against a target and print a summary per capability",
		Long: `Run the checks against a target: "embedded" (default, in-process fakes),
"containers" (the same fakes in Docker on inside/DMZ/outside networks), or a
target file (a lab site, or kind: embedded / containers with faults).

Each check ends PASS, FAIL (the site is wrong), ERROR (the suite could not
test: a resolver that never answered, a refused test credential, a safety
limit, an interrupted run), N/A (nothing to check on this site) or WAIVED
(a failure that a waiver in force accepts, --waivers).

The profile decides which verdicts fail the run: certification (default:
FAIL and ERROR), strict (FAIL, ERROR and WAIVED), smoke (FAIL only). An
expired waiver fails the run under every profile.

With --report DIR: junit.xml, cucumber.json, report.html, results.json,
the evidence bundle (evidence/<ID>/…) and manifest.json (every file's
SHA-256; cutover verify DIR checks it later).

Exit status: 0 the run passes under its profile, 1 it does not (or, with
--repeat, a verdict changed between runs), 2 usage or configuration error,
130 interrupted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runChecks(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.target, "target", runner.BuiltinEmbedded, `"embedded", "containers" (needs Docker) or a target file`)
	fl.StringVar(&f.tags, "tags", "", `Cucumber tag expression, e.g. "@discovery and not @DISC-03"`)
	fl.StringVar(&f.reportDir, "report", "", "write junit.xml, cucumber.json, report.html and results.json here")
	fl.IntVar(&f.concurrency, "concurrency", 4, "checks run at once")
	fl.IntVar(&f.repeat, "repeat", 1, "run the suite N times and report checks whose verdict changed")
	fl.Int64Var(&f.seed, "seed", 0, "shuffle check order with this seed, +1 per repeat (0: file order)")
	fl.BoolVar(&f.resetAuth, "reset-auth-budget", false, "forget the authentication failures remembered for this lab target (only when the lockout window is over or the lockout was cleared)")
	fl.BoolVar(&f.asJSON, "json", false, "print the results as JSON on stdout (the summary goes to stderr)")
	fl.BoolVar(&f.progress, "progress", false, "print a line per check as it finishes on stderr (default when stderr is a terminal)")
	fl.BoolVar(&f.quiet, "quiet", false, "print no progress and no summary (the exit status, --json and the reports remain)")
	fl.BoolVar(&f.verbose, "verbose", false, "print whole reasons, not the first 200 characters")
	fl.DurationVar(&f.heartbeat, "heartbeat", 10*time.Second, "with progress, say which checks are still running this often")
	fl.StringVar(&f.profile, "profile", report.ProfileCertification, "which verdicts fail the run: strict, certification or smoke")
	fl.StringVar(&f.shard, "shard", "", "run only shard K of N of the selected checks (e.g. 2/4, for a CI matrix; cutover report merge joins them)")
	fl.StringVar(&f.waivers, "waivers", "", "a YAML file of waivers (check ID, optional user or host, owner, reason, ticket, expires)")
	return cmd
}

func runChecks(cmd *cobra.Command, f runFlags) error {
	if f.concurrency < 1 {
		return usageErr("--concurrency must be at least 1, got %d", f.concurrency)
	}
	if f.repeat < 1 {
		return usageErr("--repeat must be at least 1, got %d", f.repeat)
	}
	if _, err := tagexpr.Parse(f.tags); err != nil {
		return usageErr("--tags: %v", err)
	}
	if _, err := report.LookupProfile(f.profile); err != nil {
		return usageErr("--profile: %v", err)
	}
	var shard runner.Shard
	if f.shard != "" {
		var err error
		if shard, err = runner.ParseShard(f.shard); err != nil {
			return usageErr("--shard: %v", err)
		}
	}
	var waivers []report.Waiver
	if f.waivers != "" {
		var err error
		if waivers, err = waiver.Load(f.waivers); err != nil {
			return configErr(err)
		}
	}
	ctx := cmd.Context()
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if f.resetAuth {
		if err := resetAuthBudget(f.target); err != nil {
			return configErr(err)
		}
	}
	t, err := runner.Open(ctx, f.target, fakesite.Options{})
	if err != nil {
		return configErr(err)
	}
	defer t.Close()

	color := isTerminal(stderr) && os.Getenv("NO_COLOR") == ""
	showProgress := !f.quiet && (f.progress || isTerminal(stderr))
	summaryOut := stdout
	if f.asJSON {
		summaryOut = stderr
	}
	history := verdictHistory{}
	var last *report.Run
	for i := 0; i < f.repeat; i++ {
		o := runner.Options{Target: t, FS: features.FS, Tags: f.tags, Concurrency: f.concurrency, ReportDir: f.reportDir,
			Tool: version().String(), Command: commandLine(t), Profile: f.profile, Waivers: waivers, Shard: shard}
		if f.repeat > 1 {
			o.FilePrefix = fmt.Sprintf("run-%03d-", i+1)
		}
		if f.seed != 0 {
			o.Seed = f.seed + int64(i) // a new order each repeat: order-dependence shows up
		}
		var prog *progress
		if showProgress {
			prog = newProgress(stderr, color, f.verbose, f.heartbeat)
			o.Progress = prog.done
			prog.start(ctx)
		}
		r, err := runner.Run(ctx, o)
		if prog != nil {
			prog.stop()
		}
		if err != nil {
			if errors.Is(err, runner.ErrNoChecks) || errors.Is(err, runner.ErrTags) {
				return usageErr("%v", err)
			}
			return &exitError{code: exitConfig, err: err}
		}
		history.add(r)
		last = r
		if f.repeat > 1 && !f.quiet {
			n := r.Counts()
			fmt.Fprintf(stderr, "repeat %d/%d: %d checks, %d failed, %d could not test (%.2fs)\n", i+1, f.repeat, len(r.Checks), n[report.Fail], n[report.Error], r.Duration.Seconds())
		}
		if r.Interrupted != "" {
			break
		}
	}
	if f.repeat > 1 && f.reportDir != "" {
		// The last run's reports under the plain names, for dashboards
		// that look for junit.xml.
		if err := runner.WriteReports(f.reportDir, "", last, nil); err != nil {
			return err
		}
	}
	if f.asJSON {
		if err := report.WriteJSON(stdout, last); err != nil {
			return err
		}
	}
	if !f.quiet {
		if err := report.WriteSummaryWith(summaryOut, last, report.SummaryOptions{Verbose: f.verbose, Color: color && !f.asJSON}); err != nil {
			return err
		}
		if f.reportDir != "" {
			fmt.Fprintf(summaryOut, "reports: %s (junit.xml, cucumber.json, report.html, results.json, evidence/, manifest.json)\n", f.reportDir)
		}
	}
	if last.Interrupted != "" {
		return &exitError{code: exitInterrupted}
	}
	if f.repeat > 1 {
		changed := history.changed()
		if !f.quiet {
			fmt.Fprintf(summaryOut, "repeat: %d runs, %d check(s) changed verdict\n", f.repeat, len(changed))
			for _, c := range changed {
				fmt.Fprintf(summaryOut, "  FLAKY %s\n", c)
			}
		}
		if len(changed) > 0 {
			return &exitError{code: exitFail}
		}
	}
	if res := last.Result(); res != string(report.Pass) {
		return &exitError{code: exitFail}
	}
	return nil
}

// commandLine is the command line for the reports, secrets redacted.
func commandLine(t *target.Target) []string {
	out := append([]string{"cutover"}, os.Args[1:]...)
	for i := range out {
		out[i] = t.Redact(out[i])
	}
	return out
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

// verdictHistory counts each check's verdicts across repeats: only that,
// and the last run, are kept, so memory does not grow with --repeat.
type verdictHistory map[string]map[report.Verdict]int

func (h verdictHistory) add(r *report.Run) {
	for _, c := range r.Checks {
		if h[c.ID] == nil {
			h[c.ID] = map[report.Verdict]int{}
		}
		h[c.ID][c.Verdict]++
	}
}

// changed lists the checks whose verdict was not the same in every run.
func (h verdictHistory) changed() []string {
	var out []string
	for id, st := range h {
		if len(st) > 1 {
			var parts []string
			for s, n := range st {
				parts = append(parts, fmt.Sprintf("%s×%d", s.Label(), n))
			}
			sort.Strings(parts)
			out = append(out, id+" ("+strings.Join(parts, ", ")+")")
		}
	}
	sort.Strings(out)
	return out
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progress prints a line per check as it finishes, and every heartbeat
// which checks it is still waiting for.
type progress struct {
	out      io.Writer
	color    bool
	verbose  bool
	interval time.Duration

	mu       sync.Mutex
	finished int
	begun    time.Time
	quit     chan struct{}
	wg       sync.WaitGroup
}

func newProgress(out io.Writer, color, verbose bool, interval time.Duration) *progress {
	return &progress{out: out, color: color, verbose: verbose, interval: interval, quit: make(chan struct{})}
}

func (p *progress) done(d steps.Done) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.finished++
	label := fmt.Sprintf("%-5s", d.Verdict.Label())
	if p.color {
		code := map[report.Verdict]string{report.Pass: "32", report.Fail: "31", report.Error: "33", report.NotApplicable: "36", report.Waived: "35"}[d.Verdict]
		label = "\x1b[" + code + "m" + label + "\x1b[0m"
	}
	reason := strings.Join(strings.Fields(d.Reason), " ")
	reason = strings.TrimPrefix(reason, d.ID+": ")
	if !p.verbose && len([]rune(reason)) > 120 {
		reason = string([]rune(reason)[:119]) + "…"
	}
	line := fmt.Sprintf("%s %-8s %6.2fs", label, d.ID, d.Duration.Seconds())
	if reason != "" {
		line += "  " + reason
	}
	fmt.Fprintln(p.out, line)
}

func (p *progress) start(ctx context.Context) {
	p.begun = time.Now()
	if p.interval <= 0 {
		return
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(p.interval)
		defer t.Stop()
		for {
			select {
			case <-p.quit:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				p.mu.Lock()
				fmt.Fprintf(p.out, "… %d check(s) done after %s; still running\n", p.finished, time.Since(p.begun).Round(time.Second))
				p.mu.Unlock()
			}
		}
	}()
}

func (p *progress) stop() {
	close(p.quit)
	p.wg.Wait()
}
