package idp_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"example.com/cutover/harness/idp"
	"example.com/cutover/harness/sso"
	"example.com/cutover/harness/sso/ssotest"
)

// The IdP signs alice in to an SP; the SP verifies what the browser posts.
func Example() {
	ip, _ := idp.New(idp.WithUsers(idp.User{Username: "alice", Email: "alice@example.com", Password: "Wonderland-1"}),
		idp.WithServiceProvider(idp.SPMetadata("https://sp.example.com/saml/metadata", "https://sp.example.com/saml/acs")))
	md, _ := ip.Metadata()
	sp, _ := idp.NewServiceProvider(idp.SPConfig{EntityID: "https://sp.example.com/saml/metadata",
		ACSURL: "https://sp.example.com/saml/acs", IdPMetadata: md})
	var ids []string
	spHandler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/start" {
			u, id, _ := sp.AuthnRequest("")
			ids = append(ids, id)
			http.Redirect(w, r, u.String(), http.StatusFound)
			return
		}
		_ = r.ParseForm()
		a, err := sp.Verify(r.PostForm.Get("SAMLResponse"), ids...)
		if err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		fmt.Fprintf(w, "signed in: %s (uid %s)", a.NameID, a.Attr("uid"))
	})
	site, _ := ssotest.Start(map[string]http.Handler{"idp.example.com": ip, "sp.example.com": spHandler})
	defer site.Close()
	ag, _ := sso.NewAgent(site.Client(), sso.WithLogin(sso.Login{Username: "alice", Password: "Wonderland-1"}))
	res, err := ag.Get(context.Background(), "https://sp.example.com/start")
	fmt.Println(string(res.Body), res.Prompts, err)
	// Output: signed in: alice@example.com (uid alice) 1 <nil>
}

func ExampleCheckCertificates() {
	now := time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)
	ip, _ := idp.New(idp.WithClock(func() time.Time { return now }), idp.CertificateExpiresIn(10*24*time.Hour))
	b, _ := ip.Metadata()
	md, _ := idp.ParseMetadata(b)
	_, err := idp.CheckCertificates(md, now, idp.WarnWindow)
	fmt.Println(md.EntityID, errors.Is(err, idp.ErrCertExpiring))
	// Output: https://idp.example.com/idp/metadata true
}
