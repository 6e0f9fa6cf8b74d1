package dnsfake

import "testing"

// TestReceivedKeepsTheLast: the query log is bounded, keeps the last
// MaxRecorded queries in arrival order, and Count has them all.
func TestReceivedKeepsTheLast(t *testing.T) {
	s := &Server{cfg: defaultConfig()}
	for i := range MaxRecorded + 10 {
		s.next()
		s.record(Query{Type: uint16(i % 65536)})
	}
	got := s.Received()
	if len(got) != MaxRecorded || s.Count() != MaxRecorded+10 {
		t.Fatalf("Received %d, Count %d", len(got), s.Count())
	}
	if got[0].Type != 10 || got[len(got)-1].Type != uint16((MaxRecorded+9)%65536) {
		t.Errorf("first %d last %d: not the last queries in order", got[0].Type, got[len(got)-1].Type)
	}
}
