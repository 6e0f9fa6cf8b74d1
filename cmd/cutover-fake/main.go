// Command cutover-fake runs one role of a fake site (harness/fakesite) in
// the foreground: the entrypoint of the container images that
// harness/containers builds. It reads the site bundle (Bundle.Marshal JSON)
// from --bundle, starts the role named by --role on ":53" (DNS views),
// ":3128" (client proxies) or ":8443" (every other role), prints one line
//
//	cutover-fake: <name> ready on <addr>
//
// that the container wait strategy looks for, and stops on SIGTERM or
// SIGINT. A role that is down by plan prints "cutover-fake: <name> down" and
// listens on nothing until signalled: a dead node whose connections are
// refused.
//
// Exit status: 0 stopped by a signal, 1 the role could not start, 2 usage.
package main

import (
	"context"
	"errors"
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

// run starts the role and blocks until ctx is done; tests call it directly.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cutover-fake", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bundleFile := fs.String("bundle", "/bundle.json", "site bundle (JSON written by fakesite.Bundle.Marshal)")
	name := fs.String("role", "", "name of the role to run (required)")
	addr := fs.String("addr", "", `listen address (default ":53" for DNS roles, ":3128" for proxies, ":8443" otherwise)`)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *name == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "cutover-fake: usage: cutover-fake --bundle FILE --role NAME [--addr ADDR]")
		return 2
	}
	if err := serve(ctx, *bundleFile, *name, *addr, stdout); err != nil {
		fmt.Fprintln(stderr, "cutover-fake:", err)
		return 1
	}
	return 0
}

func serve(ctx context.Context, bundleFile, name, addr string, stdout io.Writer) error {
	data, err := os.ReadFile(bundleFile)
	if err != nil {
		return fmt.Errorf("read bundle: %w", err)
	}
	b, err := fakesite.UnmarshalBundle(data)
	if err != nil {
		return err
	}
	r := b.Plan.Role(name)
	if r == nil {
		return fmt.Errorf("no role %q in the bundle", name)
	}
	if r.Down {
		fmt.Fprintf(stdout, "cutover-fake: %s down\n", name)
		<-ctx.Done()
		return nil
	}
	if addr == "" {
		addr = listenAddr(r.Kind)
	}
	run, err := b.StartRole(ctx, name, addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "cutover-fake: %s ready on %s\n", name, run.Addr())
	<-ctx.Done()
	if err := run.Close(); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("close: %w", err)
	}
	return nil
}

// listenAddr is where a role of kind listens in its container.
func listenAddr(kind string) string {
	switch kind {
	case fakesite.KindDNS:
		return ":53"
	case fakesite.KindProxy:
		return ":" + fakesite.ProxyPort
	}
	return ":8443"
}
