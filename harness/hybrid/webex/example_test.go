package webex_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"example.com/cutover/harness/hybrid/webex"
)

func Example() {
	ctx := context.Background()
	srv, err := webex.New(
		webex.WithPeople(webex.Person{Email: "alice@example.com", Token: "token-alice", Hybrid: true},
			webex.Person{Email: "bob@example.com", Token: "token-bob"}),
		webex.WithBridge(func(_ context.Context, m webex.Message) error {
			fmt.Println("to the connector:", m.ToPersonEmail, m.Text)
			return nil
		}))
	if err != nil {
		fmt.Println(err)
		return
	}
	hs := httptest.NewServer(srv) // the harness mounts srv under /v1/ on its TLS listener
	defer hs.Close()
	c := webex.NewClient(hs.Client(), hs.URL)
	m, _, err := c.Send(ctx, "token-bob", webex.Send{ToPersonEmail: "alice@example.com", Text: "hello"})
	fmt.Println(m.RoomType, m.PersonEmail, err)
	_, _, err = c.Send(ctx, "wrong", webex.Send{ToPersonEmail: "alice@example.com", Text: "hello"})
	fmt.Println(err)
	// Output:
	// to the connector: alice@example.com hello
	// direct bob@example.com <nil>
	// webex: POST /v1/messages: unexpected status 401 Unauthorized (WWW-Authenticate: Bearer realm="Webex"): The request requires a valid access token set in the Authorization request header.
}
