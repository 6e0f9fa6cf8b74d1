package sipreg

import "testing"

// TestReceivedKeepsTheLast: the request log is bounded and keeps the last
// MaxRecorded requests in arrival order.
func TestReceivedKeepsTheLast(t *testing.T) {
	s := &Server{}
	for i := range MaxRecorded + 10 {
		s.record(Request{Status: i})
	}
	got := s.Received()
	if len(got) != MaxRecorded {
		t.Fatalf("Received %d, want %d", len(got), MaxRecorded)
	}
	if got[0].Status != 10 || got[len(got)-1].Status != MaxRecorded+9 {
		t.Errorf("first %d last %d: not the last requests in order", got[0].Status, got[len(got)-1].Status)
	}
}
