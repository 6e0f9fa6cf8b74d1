package softphone_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"example.com/cutover/harness/sipreg"
	"example.com/cutover/harness/sipreg/softphone"
)

// TestInteropKamailio registers the softphone client with Kamailio (an
// independent registrar) that scripts/interop-kamailio.sh configures as an
// RFC 8898 registrar over TLS: bearer tokens checked in an htable, 401
// with realm, scope and authz_server, error="invalid_token" for an
// unknown token, 403 for another user's. The script sets:
//
//	CUTOVER_INTEROP_KAMAILIO        127.0.0.1:<tls port>
//	CUTOVER_INTEROP_KAMAILIO_CA     the CA that signed kamailio.example.com
//	CUTOVER_INTEROP_KAMAILIO_TOKEN  alice's token
//	CUTOVER_INTEROP_KAMAILIO_OTHER  bob's token
//	CUTOVER_INTEROP_KAMAILIO_CTL    Kamailio's binrpc socket, for kamcmd
//
// While a registration waits for its re-registration, the test reads
// Kamailio's location table with kamcmd ul.dump: the binding must be there.
func TestInteropKamailio(t *testing.T) {
	addr := os.Getenv("CUTOVER_INTEROP_KAMAILIO")
	if addr == "" {
		t.Skip("set CUTOVER_INTEROP_KAMAILIO (scripts/interop-kamailio.sh does) to run the Kamailio interop proof")
	}
	pem, err := os.ReadFile(os.Getenv("CUTOVER_INTEROP_KAMAILIO_CA"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		t.Fatal("no certificate in CUTOVER_INTEROP_KAMAILIO_CA")
	}
	good, other := os.Getenv("CUTOVER_INTEROP_KAMAILIO_TOKEN"), os.Getenv("CUTOVER_INTEROP_KAMAILIO_OTHER")
	const authz = "https://as.example.com/"
	var dumps []string
	wait := func(ctx context.Context, _ time.Duration) error {
		if ctl := os.Getenv("CUTOVER_INTEROP_KAMAILIO_CTL"); ctl != "" {
			out, err := exec.CommandContext(ctx, "kamcmd", "-s", ctl, "ul.dump").CombinedOutput()
			if err != nil {
				return fmt.Errorf("kamcmd ul.dump: %v: %s", err, out)
			}
			dumps = append(dumps, string(out))
		}
		return nil
	}
	newClient := func(trusted ...string) *softphone.Client {
		c, err := softphone.New(
			softphone.WithTLSConfig(&tls.Config{RootCAs: roots}),
			softphone.WithTimeout(5*time.Second),
			softphone.WithTrustedAuthzServers(trusted...),
			softphone.WithWait(wait),
			softphone.WithDialer(func(ctx context.Context, network, a string) (net.Conn, error) {
				if a != "kamailio.example.com:5061" {
					return nil, errors.New("interop dialer: no route to " + a)
				}
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			}))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	reg := func(dt sipreg.DeviceType, src softphone.TokenSource) softphone.Registration {
		return softphone.Registration{Registrar: "kamailio.example.com:5061", User: "alice", Device: dt, Tokens: src}
	}
	ctx := context.Background()

	for _, dt := range sipreg.DeviceTypes() {
		t.Run("registers "+string(dt), func(t *testing.T) {
			r := reg(dt, softphone.StaticToken(good))
			r.Refreshes = 1
			res, err := newClient(authz).Register(ctx, r)
			if err != nil {
				t.Fatalf("%v\n%s", err, res.Evidence())
			}
			ch := res.Challenge
			if ch.Status != 401 || ch.Realm != "kamailio.example.com" || ch.Scope != "sip:register" || ch.AuthzServer != authz {
				t.Errorf("challenge %+v", ch)
			}
			if !res.Registered || !res.Listed || !res.Unregistered || len(res.Refreshes) != 1 || res.Refreshes[0].Status != 200 {
				t.Errorf("result %+v", res)
			}
			if res.TLS.Version < tls.VersionTLS12 || !strings.Contains(res.Evidence(), "Authorization: Bearer [redacted]") {
				t.Errorf("TLS %x or credentials header missing", res.TLS.Version)
			}
			if len(dumps) > 0 {
				d := dumps[len(dumps)-1]
				if !strings.Contains(d, "AoR: alice") || !strings.Contains(d, "User-Agent: "+dt.UserAgent()) {
					t.Errorf("Kamailio's location table lacks alice's %s contact while registered:\n%s", dt, d)
				}
			}
			t.Logf("%s: %s", dt, res.Reason)
		})
	}
	t.Run("refused with a bad token", func(t *testing.T) {
		res, err := newClient(authz).Register(ctx, reg(sipreg.CSF, softphone.StaticToken("kam.not-a-token")))
		if !errors.Is(err, softphone.ErrTokenRejected) || res.Registered || !strings.Contains(res.Reason, `error="invalid_token"`) {
			t.Fatalf("error %v, result %+v", err, res)
		}
		t.Log(res.Reason)
	})
	t.Run("refused with another user's token", func(t *testing.T) {
		res, err := newClient(authz).Register(ctx, reg(sipreg.CSF, softphone.StaticToken(other)))
		if !errors.Is(err, softphone.ErrRejected) || res.Status != 403 {
			t.Fatalf("error %v, status %d", err, res.Status)
		}
		t.Log(res.Reason)
	})
	t.Run("refreshes a refused token once", func(t *testing.T) {
		src := func(_ context.Context, refresh bool) (string, error) {
			if refresh {
				return good, nil
			}
			return "kam.expired", nil
		}
		res, err := newClient(authz).Register(ctx, reg(sipreg.BOT, src))
		if err != nil || !res.TokenRefreshed || !res.Unregistered {
			t.Fatalf("error %v, result %+v", err, res)
		}
		t.Log(res.Reason)
	})
	t.Run("does not follow an untrusted authz_server", func(t *testing.T) {
		res, err := newClient().Register(ctx, reg(sipreg.CSF, softphone.StaticToken(good)))
		if !errors.Is(err, softphone.ErrUntrusted) || strings.Contains(res.Evidence(), "Bearer [redacted]") {
			t.Fatalf("error %v", err)
		}
		t.Log(res.Reason)
	})
}
