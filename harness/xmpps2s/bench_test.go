package xmpps2s

import (
	"testing"
	"time"
)

func (s *Server) deliveredCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.delivered)
}

// waitDelivered blocks until s delivered n messages (woken by deliver),
// or fails after testTimeout.
func waitDelivered(tb testing.TB, s *Server, n int) {
	tb.Helper()
	s.mu.Lock()
	if s.notify == nil {
		s.notify = make(chan struct{}, 1)
	}
	ch := s.notify
	s.mu.Unlock()
	timeout := time.After(testTimeout)
	for s.deliveredCount() < n {
		select {
		case <-ch:
		case <-timeout:
			tb.Fatalf("delivered %d of %d", s.deliveredCount(), n)
		}
	}
}

// BenchmarkFederatedMessages: 1:1 messages per second from a partner fake
// to a site fake over one authenticated TLS stream (SASL EXTERNAL),
// counted when the site has delivered them.
func BenchmarkFederatedMessages(b *testing.B) {
	for _, mode := range []string{"external", "dialback"} {
		b.Run(mode, func(b *testing.B) {
			opts := []Option{WithUsers("carol"), WithEventLimit(1000)}
			var p *pair
			if mode == "external" {
				p = trustedPair(b, opts, []Option{WithEventLimit(1000)})
			} else {
				p = untrustedPair(b, opts, []Option{WithEventLimit(1000)})
			}
			ctx := testCtx(b)
			m := Message{From: "bob@example.net", To: "carol@example.com", Type: "chat", Body: "benchmark message body"}
			if err := p.partner.Send(ctx, m); err != nil {
				b.Fatal(err)
			}
			waitDelivered(b, p.site, 1)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if err := p.partner.Send(ctx, m); err != nil {
					b.Fatal(err)
				}
			}
			waitDelivered(b, p.site, b.N+1)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
