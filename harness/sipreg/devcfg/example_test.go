package devcfg_test

import (
	"context"
	"fmt"
	"log"
	"net/http"

	"example.com/cutover/harness/sipreg/devcfg"
)

func Example() {
	ctx := context.Background()
	sv, err := devcfg.Start(ctx, "",
		devcfg.WithNodes(devcfg.DefaultNode("ucm1.example.com")),
		devcfg.WithDevices("CSFalice", "TCTALICE"),
		devcfg.OAuthModeOff("TCTALICE"))
	if err != nil {
		log.Fatal(err)
	}
	defer sv.Close()
	for _, dev := range []string{"CSFalice", "TCTALICE"} {
		cfg, _, err := devcfg.Fetch(ctx, http.DefaultClient, "http://"+sv.Addr(), dev)
		if err != nil {
			log.Fatal(err)
		}
		n := cfg.Nodes[0]
		fmt.Println(dev, cfg.OAuthMode, n.OAuthPort, n.MRAOAuthPort, cfg.CheckOAuth())
	}
	// Output:
	// CSFalice 1 5090 5091 <nil>
	// TCTALICE 0 5090 5091 devcfg: not set up for SIP OAuth: TCTALICE: want <sipOAuthMode>1</sipOAuthMode>, got 0
}
