package xmpp

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"example.com/cutover/harness/target"
	"example.com/cutover/harness/xmpps2s"
	"example.com/cutover/steps"
)

// XFED-12: what a STARTTLS federation target offers before TLS. The
// check opens a stream as a federating server would, reads the first
// stream features and closes: it sends no key, no stanza, no credential.

const (
	nsStreams = "http://etherx.jabber.org/streams"
	nsTLS     = "urn:ietf:params:xml:ns:xmpp-tls"
)

// firstFeatures is what one STARTTLS target offered on a fresh stream.
type firstFeatures struct {
	cand     xmpps2s.Candidate
	features []string // child elements, "starttls(required)" for a required STARTTLS
	err      error
}

func openEveryStartTLS(ctx context.Context) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), state(ctx)
	x := &w.T.Site.XMPP
	if st.res == nil || len(st.res.Candidates) == 0 {
		return ctx, fmt.Errorf("%s: no federation candidates: %v", x.Domain, st.resErr)
	}
	from := ""
	if ps := x.PartnersBy(target.PolicyAllowed); len(ps) > 0 {
		from = ps[0].Domain
	}
	var ev strings.Builder
	for _, c := range st.res.Candidates {
		if c.DirectTLS {
			continue
		}
		f := firstFeatures{cand: c}
		f.features, f.err = readFirstFeatures(ctx, w, c, x.Domain, from)
		st.starttls = append(st.starttls, f)
		fmt.Fprintf(&ev, "%s: features %v", c, f.features)
		if f.err != nil {
			fmt.Fprintf(&ev, ", error: %v", f.err)
		}
		ev.WriteString("\n")
	}
	if len(st.starttls) == 0 {
		return ctx, steps.NotApplicable("%s publishes no _xmpp-server (STARTTLS) target: only direct TLS", x.Domain)
	}
	return steps.Attach(ctx, "first stream features", ev.String()), nil
}

func readFirstFeatures(ctx context.Context, w *steps.World, c xmpps2s.Candidate, to, from string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, w.T.Timeout())
	defer cancel()
	conn, err := w.View().Dial(ctx, "tcp", c.Addr())
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	hdr := "<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='" + nsStreams + "' to='" + to + "' version='1.0'"
	if from != "" {
		hdr += " from='" + from + "'"
	}
	if _, err := io.WriteString(conn, hdr+">"); err != nil {
		return nil, err
	}
	defer io.WriteString(conn, "</stream:stream>")
	d := xml.NewDecoder(io.LimitReader(conn, 64<<10))
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, fmt.Errorf("before the stream features: %w", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Space != nsStreams {
			continue
		}
		switch se.Name.Local {
		case "stream":
			continue
		case "error":
			return nil, errors.New("the target answered with a stream error")
		case "features":
			return featureList(d)
		}
	}
}

// featureList reads the children of <stream:features/>.
func featureList(d *xml.Decoder) ([]string, error) {
	var out []string
	for {
		tok, err := d.Token()
		if err != nil {
			return out, err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return out, nil
		case xml.StartElement:
			var child struct {
				Required *struct{} `xml:"required"`
			}
			if err := d.DecodeElement(&child, &t); err != nil {
				return out, err
			}
			name := t.Name.Local
			if t.Name.Space == nsTLS && name == "starttls" && child.Required != nil {
				name += "(required)"
			}
			out = append(out, name)
		}
	}
}

func startTLSRequiredFirst(ctx context.Context) error {
	w, st := steps.WorldFrom(ctx), state(ctx)
	x := &w.T.Site.XMPP
	var f steps.Failures
	for _, s := range st.starttls {
		var err error
		switch {
		case s.err != nil && notTested(s.err):
			err = target.NotTested(fmt.Errorf("no stream features in time: %w", s.err))
		case s.err != nil:
			err = fmt.Errorf("want stream features offering STARTTLS, got %w", s.err)
		case !slices.Contains(s.features, "starttls(required)"):
			err = fmt.Errorf("want <starttls><required/></starttls> before TLS (RFC 6120 §5.3.1), got %v: peers may federate without TLS", s.features)
			steps.Hint(ctx, "make TLS mandatory for XMPP federation on %s (%s): offer STARTTLS as required", s.cand.Host, x.Domain)
		case slices.ContainsFunc(s.features, func(f string) bool { return strings.HasPrefix(f, "mechanisms") }):
			// Advertising dialback beside a required STARTTLS is what
			// servers do (Prosody does; XEP-0220 §2.1): with TLS required
			// they refuse it until TLS. SASL before TLS is a defect.
			err = fmt.Errorf("want no SASL mechanisms before TLS (RFC 6120 §13.7), got %v", s.features)
			steps.Hint(ctx, "offer SASL on %s (%s) only after TLS", s.cand.Host, x.Domain)
		}
		f.Subject(ctx, s.cand.String(), err)
	}
	return f.Err()
}
