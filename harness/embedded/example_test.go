package embedded_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"example.com/cutover/harness/embedded"
	"example.com/cutover/harness/fakesite"
	"example.com/cutover/harness/target"
)

// The embedded site is a target.Target like any lab site: the checks reach
// it through its two resolvers and its connect_to map.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	t, err := embedded.Start(ctx, fakesite.Options{Faults: []string{"uds-srv-visible-outside"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer t.Close()
	s := t.Site
	fmt.Println(s.Name, s.Kind, "users:", len(s.Users), "connect_to:", len(s.ConnectTo))
	for _, w := range []target.Where{target.Inside, target.Outside} {
		srvs, _, err := t.From(w).LookupSRV(ctx, "_cisco-uds._tcp.example.com")
		fmt.Printf("_cisco-uds from %s: %d targets, err %v\n", w, len(srvs), err)
	}

	resp, err := t.From(target.Inside).HTTP().Get("https://ucm1.example.com:8443/cucm-uds/version")
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println("ucm1 UDS:", resp.Status)

	_, err = embedded.Start(ctx, fakesite.Options{Faults: []string{"no-such-fault"}})
	fmt.Println("unknown fault:", errors.Is(err, embedded.ErrUnknownFault))
	// Output:
	// embedded+uds-srv-visible-outside embedded users: 2 connect_to: 24
	// _cisco-uds from inside: 3 targets, err <nil>
	// _cisco-uds from outside: 3 targets, err <nil>
	// ucm1 UDS: 200 OK
	// unknown fault: true
}

// WriteTarget turns the running fakes into a lab target file, so lab mode
// can be tried against them; the passwords go to the environment.
func ExampleWriteTarget() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	t, err := embedded.Start(ctx, fakesite.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer t.Close()
	dir, err := os.MkdirTemp("", "cutover-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	path := filepath.Join(dir, "lab.yaml")
	env, err := embedded.WriteTarget(t, path)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("environment:", len(env), "variables")
	lab, err := target.LoadFile(path, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(lab.Name, lab.Kind, lab.TLS.CAFile, "rps", lab.Limits.RPS, "trusted roots:", lab.Roots != nil)
	// Output:
	// environment: 3 variables
	// embedded fakes (lab mode) lab lab.ca.pem rps 1000 trusted roots: true
}
