package hybrid_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net"
	"testing"

	"example.com/cutover/harness/hybrid"
)

// FuzzStreamNext: whatever a peer sends after its stream header, Next
// returns a stanza, io.EOF or an ErrXMPP error, never panics, and a
// message it read encodes again and reads back the same.
func FuzzStreamNext(f *testing.F) {
	for _, s := range []string{
		`<message to='bob@example.com' type='chat' id='1'><body>hi</body></message>`,
		`<message type='groupchat'><body>x</body><html xmlns='http://jabber.org/protocol/xhtml-im'><body xmlns='http://www.w3.org/1999/xhtml'><p>b</p></body></html></message>`,
		`<message><x xmlns='jabber:x:oob'><url>https://example.com/f</url><desc>f</desc></x></message>`,
		`<presence type='probe' to='a@example.com' id='p'/>`,
		`<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>r</resource></bind></iq>`,
		`</stream:stream>`, `<message`, `<a><b></a>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		head := []byte(`<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`)
		st, err := next(append(head, data...))
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, hybrid.ErrXMPP) {
				t.Fatalf("error %v is neither EOF nor ErrXMPP", err)
			}
			return
		}
		if st.XMLName.Local != "message" {
			return
		}
		m := st.Message()
		b, err := xml.Marshal(hybrid.StanzaOf(m))
		if err != nil {
			return // a name or text encoding/xml will not write
		}
		again, err := next(append(head, b...))
		if err != nil {
			t.Fatalf("re-encoded %q does not read back: %v", b, err)
		}
		if m2 := again.Message(); m2.Body != m.Body || m2.Type != m.Type || m2.To != m.To || len(m2.Files) != len(m.Files) {
			t.Fatalf("round trip changed %+v to %+v", m, m2)
		}
	})
}

func next(b []byte) (hybrid.Stanza, error) {
	a, c := net.Pipe()
	defer a.Close()
	go func() { _, _ = io.Copy(c, bytes.NewReader(b)); c.Close() }()
	s := hybrid.NewStream(a)
	if _, err := s.Header(); err != nil {
		return hybrid.Stanza{}, err
	}
	return s.Next()
}
