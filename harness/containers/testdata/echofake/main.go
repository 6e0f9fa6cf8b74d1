// Command echofake is cutover-fake with the test kinds of
// harness/fakesite/fakesitetest added: the containers test builds it to run
// a plan with a kind the product does not have.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"example.com/cutover/harness/fakesite"
	"example.com/cutover/harness/fakesite/fakesitetest"
)

func main() {
	bundle := flag.String("bundle", "/bundle.json", "site bundle")
	host := flag.String("host", "", "host to run")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	reg, err := fakesitetest.Kinds()
	if err == nil {
		err = fakesite.ServeHost(ctx, reg, *bundle, *host, nil, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "echofake:", err)
		os.Exit(1)
	}
}
