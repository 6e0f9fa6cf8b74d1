package sipreg

import (
	"bufio"
	"net"
	"strings"
	"time"
)

// The raw server answers in ways sipgo never would: silence, endless 100
// Trying, broken bytes. It runs instead of sipgo when such a fault is set.

// tryingEvery is how often TryingForever repeats its 100.
const tryingEvery = 50 * time.Millisecond

func (s *Server) rawAccept(role Role, transport string, ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		select {
		case <-s.done:
			s.mu.Unlock()
			_ = c.Close()
			return
		default:
		}
		s.rawConns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.rawConns, c)
				s.mu.Unlock()
				_ = c.Close()
			}()
			s.rawConn(role, transport, c)
		}()
	}
}

func (s *Server) rawConn(role Role, transport string, c net.Conn) {
	br := bufio.NewReader(c)
	for {
		req, err := ReadMessage(br, Limits{})
		if err != nil {
			return
		}
		if !s.rawAnswer(role, transport, req, func(b []byte) error {
			_, err := c.Write(b)
			return err
		}) {
			return
		}
	}
}

func (s *Server) rawPacket(pc net.PacketConn) {
	buf := make([]byte, 65535)
	for {
		n, addr, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		req, err := ParseMessage(buf[:n], Limits{})
		if err != nil {
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.rawAnswer(RolePlain, "UDP", req, func(b []byte) error {
				_, err := pc.WriteTo(b, addr)
				return err
			})
		}()
	}
}

// rawAnswer records req and answers it per the fault; false means the
// connection is to be closed.
func (s *Server) rawAnswer(role Role, transport string, req *Message, write func([]byte) error) bool {
	rec := Request{Role: role, Transport: transport, Method: req.Method, Expires: -1}
	if to, err := ParseNameAddr(req.Get("To")); err == nil {
		rec.AOR = to.URI.AOR()
	}
	if cr, err := RequestCredentials(req); err == nil {
		rec.Auth = cr.Header + ": " + RedactCredentials(req.Get(cr.Header))
	}
	f := s.cfg.f
	switch {
	case f.silence:
		rec.Note = "silence (fault)"
		s.record(rec)
		return true
	case f.tryingForever:
		rec.Status, rec.Note = 100, "100 Trying forever (fault)"
		s.record(rec)
		t := time.NewTicker(tryingEvery)
		defer t.Stop()
		trying := Reply(req, 100, "Trying")
		trying.SetBody(nil)
		for {
			if write(trying.Bytes()) != nil {
				return false
			}
			select {
			case <-s.done:
				return false
			case <-t.C:
			}
		}
	}
	rec.Note = "malformed " + string(f.malformed) + " (fault)"
	s.record(rec)
	code, reason, hdr := 401, "Unauthorized", "WWW-Authenticate"
	if s.cfg.profile == ProfileUCM {
		code, reason, hdr = 407, "Proxy Authentication Required", "Proxy-Authenticate"
	}
	res := Reply(req, code, reason)
	res.Add("Server", s.cfg.server)
	challenge := FormatChallenge(s.cfg.realm, "", "", "", "")
	var out []byte
	switch f.malformed {
	case BadStartLine:
		res.Add(hdr, challenge)
		res.SetBody(nil)
		b := res.Bytes()
		_, rest, _ := strings.Cut(string(b), "\r\n")
		out = []byte("SIP/2.0 Proxy Authentication Required 407\r\n" + rest)
	case BadHeader:
		res.Add(hdr, challenge)
		res.SetBody(nil)
		out = []byte(strings.Replace(res.String(), hdr+": ", hdr+" ", 1))
	case BrokenChallenge:
		res.Add(hdr, `Bearer realm="`+s.cfg.realm+`, error="invalid_token`)
		res.SetBody(nil)
		out = res.Bytes()
	case TruncatedResponse:
		res.Add(hdr, challenge)
		res.Set("Content-Length", "512")
		out = append(res.Bytes(), "truncated"...)
		_ = write(out)
		return false
	case HugeHeader:
		res.Add("X-Padding", strings.Repeat("a", 64<<10))
		res.Add(hdr, challenge)
		res.SetBody(nil)
		out = res.Bytes()
	}
	return write(out) == nil
}
