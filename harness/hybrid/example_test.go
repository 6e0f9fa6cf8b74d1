package hybrid_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"example.com/cutover/harness/hybrid"
	"example.com/cutover/harness/hybrid/webex"
)

func Example() {
	ctx := context.Background()
	for _, opts := range [][]hybrid.Option{nil, {hybrid.JIDAsEmail()}} {
		site, err := hybrid.NewSite(opts...)
		if err != nil {
			fmt.Println(err)
			return
		}
		hs := httptest.NewServer(site.Webex) // owns /v1/
		env := site.Env(webex.NewClient(hs.Client(), hs.URL))
		fmt.Println(hybrid.Probe(ctx, env, "HYB-04"))
		hs.Close()
		site.Close()
	}
	// Output:
	// HYB-04: pass: text reached alice@example.com's Webex identity and the reply reached JID bsmith@example.com
	// HYB-04: want the text in alice@example.com's Webex space with bob.smith@example.com, got nothing (to the sender: not bridged to Webex: hybrid: not bridged: no Webex identity has email bsmith@example.com) from bsmith@example.com (bob.smith@example.com) to alice@example.com (alice@example.com)
}
