// Command cutover certifies a site for the move from Cisco Jabber to the
// Webex App: it runs the conformance checks against the embedded fakes, the
// same fakes in containers, or a real site named in a target file.
//
// Exit status: 0 every selected check passed, 1 a check failed, 2 usage or
// configuration error.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	exitPass        = 0
	exitFail        = 1
	exitConfig      = 2
	exitInterrupted = 130
)

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &exitError{code: exitConfig, err: fmt.Errorf(format, args...)}
}

func main() {
	// A closed terminal (SIGHUP) stops a run like Ctrl-C or SIGTERM: its
	// cleanup (containers, reports) still runs.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the CLI and returns the exit code; tests call it directly.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitPass
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.code != exitFail {
			fmt.Fprintln(stderr, "cutover:", ee.err)
		}
		return ee.code
	}
	// cobra's own errors: unknown command or flag, bad arguments.
	fmt.Fprintln(stderr, "cutover:", err)
	return exitConfig
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "cutover",
		Short:         "Certify a site for the Jabber to Webex App cutover",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.Version = version().String()
	root.SetVersionTemplate("{{.Version}}\n")
	root.AddCommand(newRunCmd(), newListCmd(), newFakesCmd(), newSelftestCmd(), newVersionCmd(), newReportCmd(), newDiffCmd(), newVerifyCmd(), newLabCmd(), newCertifyCmd())
	return root
}
