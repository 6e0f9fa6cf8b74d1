package webexid_test

import (
	"context"
	"fmt"
	"net/http"

	"example.com/cutover/harness/idp"
	"example.com/cutover/harness/sso"
	"example.com/cutover/harness/sso/ssotest"
	"example.com/cutover/harness/webexid"
)

// Webex signs alice in through the org's IdP and hands the app its
// callback.
func Example() {
	wxMD := idp.SPMetadata("https://idbroker.example.com/example-org", "https://idbroker.example.com/idb/Consumer/metaAlias/example-org/sp")
	ip, _ := idp.New(idp.WithUsers(idp.User{Username: "alice", Email: "alice@example.com", Password: "Wonderland-1"}), idp.WithServiceProvider(wxMD))
	md, _ := ip.Metadata()
	wx, _ := webexid.New(webexid.WithIdPMetadata(md), webexid.WithUsers(webexid.User{Email: "alice@example.com"}))
	site, _ := ssotest.Start(map[string]http.Handler{"idp.example.com": ip, "idbroker.example.com": wx})
	defer site.Close()
	ag, _ := sso.NewAgent(site.Client(), sso.WithLogin(sso.Login{Username: "alice", Password: "Wonderland-1"}))
	res, err := ag.Get(context.Background(), wx.StartURL("alice@example.com"))
	fmt.Println(res.Callback().Query().Get("email"), res.Prompts, wx.SignIns("alice@example.com"), err)
	// Output: alice@example.com 1 1 <nil>
}
