package xmpps2s

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"mellium.im/sasl"
	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"example.com/cutover/harness/dnsfake"
)

// TestProsodyLoad measures federated messages per second between two
// Prosody instances over one s2s stream, for scripts/bench.sh: bob on the
// example.net Prosody sends CUTOVER_BENCH_XMPP_MESSAGES chat messages
// (default 20000) to alice on the example.com Prosody, over c2s on both
// ends; the clock runs from the first send to alice's last receipt. The
// SRV records of both domains come from a dnsfake started here that both
// Prosodies' libunbound forward to. It prints "messages/s N". A
// measurement, not an assertion: it fails only when messages are lost.
func TestProsodyLoad(t *testing.T) {
	dir := os.Getenv("CUTOVER_BENCH_PROSODY")
	if dir == "" {
		t.Skip("scripts/bench.sh sets CUTOVER_BENCH_PROSODY")
	}
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("CUTOVER_BENCH_XMPP_MESSAGES")); err == nil && v > 0 {
		n = v
	}
	portOf := func(name string) int {
		p, err := strconv.Atoi(interopEnv(t, name))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	zone := srvZone("example.com", portOf("CUTOVER_BENCH_PROSODY_COM_S2S")) + srvZone("example.net", portOf("CUTOVER_BENCH_PROSODY_NET_S2S"))
	dns, err := dnsfake.Start(ctx, dnsfake.WithAddr(interopEnv(t, "CUTOVER_INTEROP_DNS")), dnsfake.WithZoneText(zone))
	if err != nil {
		t.Fatal(err)
	}
	defer dns.Close()
	roots := loadPool(t, filepath.Join(dir, "ca.pem"))
	password := interopEnv(t, "CUTOVER_INTEROP_PASSWORD")

	var got atomic.Int64
	done := make(chan struct{})
	alice := c2sLogin(t, ctx, interopEnv(t, "CUTOVER_BENCH_PROSODY_COM_C2S"), "alice@example.com/bench", password, roots, func(m stanza.Message) {
		if m.Type == stanza.ChatMessage && got.Add(1) == int64(n) {
			close(done)
		}
	})
	_ = alice
	bob := c2sLogin(t, ctx, interopEnv(t, "CUTOVER_BENCH_PROSODY_NET_C2S"), "bob@example.net/bench", password, roots, nil)
	body := xmlstream.Wrap(xmlstream.Token(xml.CharData("benchmark message body")), xml.StartElement{Name: xml.Name{Local: "body"}})
	msg := stanza.Message{To: jid.MustParse("alice@example.com"), Type: stanza.ChatMessage}
	begin := time.Now()
	for i := 0; i < n; i++ {
		if err := bob.Send(ctx, msg.Wrap(body)); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		body = xmlstream.Wrap(xmlstream.Token(xml.CharData("benchmark message body")), xml.StartElement{Name: xml.Name{Local: "body"}})
	}
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatalf("alice received %d of %d messages", got.Load(), n)
	}
	elapsed := time.Since(begin)
	fmt.Printf("messages/s %.0f (%d messages in %s)\n", float64(n)/elapsed.Seconds(), n, elapsed.Round(time.Millisecond))
}

// c2sLogin signs addr's user in over c2s (STARTTLS, SCRAM or PLAIN) and
// hands every message it receives to onMessage.
func c2sLogin(t *testing.T, ctx context.Context, addr, user, password string, roots *x509.CertPool, onMessage func(stanza.Message)) *xmpp.Session {
	t.Helper()
	conn, err := (&net.Dialer{Timeout: 10 * time.Second}).DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	j := jid.MustParse(user)
	sess, err := xmpp.NewClientSession(ctx, j, conn,
		xmpp.StartTLS(&tls.Config{ServerName: j.Domain().String(), RootCAs: roots, MinVersion: tls.VersionTLS12}),
		xmpp.SASL("", password, sasl.ScramSha1, sasl.Plain),
		xmpp.BindResource())
	if err != nil {
		t.Fatalf("c2s login as %s: %v", j, err)
	}
	go func() {
		_ = sess.Serve(xmpp.HandlerFunc(func(r xmlstream.TokenReadEncoder, start *xml.StartElement) error {
			if start.Name.Local != "message" || onMessage == nil {
				return nil
			}
			var m stanza.Message
			if err := xml.NewTokenDecoder(xmlstream.MultiReader(xmlstream.Token(*start), r)).Decode(&m); err == nil {
				onMessage(m)
			}
			return nil
		}))
	}()
	if err := sess.Send(ctx, stanza.Presence{}.Wrap(nil)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sess.Close() })
	return sess
}
