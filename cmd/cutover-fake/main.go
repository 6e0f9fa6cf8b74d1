// Command cutover-fake runs one host of a fake site (harness/fakesite) in
// the foreground: the entrypoint of the container images that
// harness/containers builds. It reads the site bundle (Bundle.Marshal JSON)
// from --bundle and starts every service of the host named by --host on its
// plan port, prints one line
//
//	cutover-fake: <host> ready on [::]:53,[::]:8443
//
// that the container wait strategy looks for, and stops on SIGTERM or
// SIGINT. A host that is down by plan prints "cutover-fake: <host> down"
// and listens on nothing until signalled: a dead node whose connections
// are refused.
//
// Exit status: 0 stopped by a signal, 1 the host could not start, 2 usage.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"example.com/cutover/harness/fakesite"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run starts the host and blocks until ctx is done; tests call it directly.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cutover-fake", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bundleFile := fs.String("bundle", "/bundle.json", "site bundle (JSON written by fakesite.Bundle.Marshal)")
	host := fs.String("host", "", "name of the host to run (required)")
	loopback := fs.Bool("loopback", false, "bind every port on 127.0.0.1 with a kernel-chosen port (tests), not the plan port")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *host == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "cutover-fake: usage: cutover-fake --bundle FILE --host NAME")
		return 2
	}
	var bind func(int) string
	if *loopback {
		bind = func(int) string { return "127.0.0.1:0" }
	}
	if err := fakesite.ServeHost(ctx, fakesite.Kinds(), *bundleFile, *host, bind, stdout); err != nil {
		fmt.Fprintln(stderr, "cutover-fake:", err)
		return 1
	}
	return 0
}
