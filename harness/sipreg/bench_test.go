package sipreg_test

import (
	"bufio"
	"crypto/tls"
	"strconv"
	"testing"
	"time"

	"example.com/cutover/harness/pki"
	"example.com/cutover/harness/sipreg"
)

// BenchmarkRegisterTCP: authenticated REGISTER transactions per second on
// one plain TCP connection, one after the other.
func BenchmarkRegisterTCP(b *testing.B) {
	r := start(b)
	c := dialTCP(b, r.srv.PlainAddr("tcp"))
	auth := "Proxy-Authorization: Bearer " + r.issuer.Mint("alice", r.clock.Now().Add(time.Hour))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if res := c.do(b, register("alice", "CSFalice", auth, i+1, 3600)); res.StatusCode != 200 {
			b.Fatal(res.StatusCode)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "REGISTER/s")
}

// BenchmarkRegisterTLSParallel: the same over TLS on the OAuth port, one
// connection per goroutine, GOMAXPROCS goroutines.
func BenchmarkRegisterTLSParallel(b *testing.B) {
	ca, _ := pki.NewCA("Bench Root")
	cert, _ := ca.Issue("ucm1.example.com", pki.WithDNSNames("ucm1.example.com"))
	r := start(b, sipreg.WithCertificate(cert))
	auth := "Proxy-Authorization: Bearer " + r.issuer.Mint("alice", r.clock.Now().Add(time.Hour))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		conn, err := tls.Dial("tcp", r.srv.Addr(), &tls.Config{RootCAs: ca.Pool(), ServerName: "ucm1.example.com"})
		if err != nil {
			b.Error(err)
			return
		}
		defer conn.Close()
		c := &tcpClient{c: conn, br: bufio.NewReader(conn)}
		id := sipreg.RandomHex(4)
		for i := 1; pb.Next(); i++ {
			m := register("alice", "CSFalice", auth, i, 3600)
			m.Set("Call-ID", "bench-"+id)
			m.Set("Contact", "<sip:"+id+"@127.0.0.1:5999;transport=tls>;+u.sip!devicename.ccm.cisco.com=\"CSFalice\";+sip.instance=\"<urn:uuid:"+id+"-"+strconv.Itoa(i%8)+">\"")
			if res := c.do(b, m); res.StatusCode != 200 {
				b.Error(res.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "REGISTER/s")
}

func BenchmarkParseChallenge(b *testing.B) {
	m := &sipreg.Message{StatusCode: 401, Reason: "Unauthorized"}
	m.Add("WWW-Authenticate", `Bearer realm="example.com", scope="sip:register", authz_server="https://as.example.com/", error="invalid_token", error_description="The access token expired"`)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := sipreg.ParseChallenge(m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseCredentials(b *testing.B) {
	v := `Bearer token="eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsImV4cCI6MTc5OTk5OTk5OX0.c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJl"`
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := sipreg.ParseCredentials("Proxy-Authorization", v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadMessage(b *testing.B) {
	raw := register("alice", "CSFalice", `Proxy-Authorization: Bearer token="abc.def.ghi"`, 1, 3600).Bytes()
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for i := 0; i < b.N; i++ {
		if _, err := sipreg.ParseMessage(raw, sipreg.Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}
