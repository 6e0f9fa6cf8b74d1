package certify

import (
	"strconv"
	"unicode/utf8"
)

// appendVerdict appends v as JSON, byte for byte what json.Marshal writes
// (TestAppendVerdictMatchesMarshal holds it to that), without reflection:
// the per-user JSON is most of a run's allocations otherwise.
func appendVerdict(b []byte, v Verdict) []byte {
	b = append(b, `{"kind":`...)
	b = appendString(b, v.Kind)
	str := func(name, s string) {
		if s != "" {
			b = append(b, ',', '"')
			b = append(b, name...)
			b = append(b, '"', ':')
			b = appendString(b, s)
		}
	}
	boolean := func(name string, x bool) {
		b = append(b, ',', '"')
		b = append(b, name...)
		b = append(b, '"', ':')
		b = strconv.AppendBool(b, x)
	}
	str("user_id", v.UserID)
	str("home_cluster", v.Cluster)
	str("jid", v.JID)
	str("directory_uri", v.DirectoryURI)
	str("mail_id", v.Mail)
	str("webex_email", v.WebexEmail)
	str("domain", v.Domain)
	b = append(b, `,"source":`...)
	b = appendString(b, v.Source)
	str("webex_source", v.WebexSource)
	boolean("imp_enabled", v.IMPEnabled)
	boolean("hybrid_message", v.HybridMessage)
	str("webex_status", v.WebexStatus)
	if len(v.Devices) > 0 {
		b = append(b, `,"device_types":[`...)
		for i, d := range v.Devices {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, d)
		}
		b = append(b, ']')
	}
	boolean("jid_is_email", v.JIDIsEmail)
	boolean("routable", v.Routable)
	reasons := func(name string, rs []Reason) {
		if len(rs) == 0 {
			return
		}
		b = append(b, ',', '"')
		b = append(b, name...)
		b = append(b, `":[`...)
		for i, r := range rs {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"code":`...)
			b = appendString(b, r.Code)
			b = append(b, `,"check":`...)
			b = appendString(b, r.Check)
			b = append(b, `,"detail":`...)
			b = appendString(b, r.Detail)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	reasons("reasons", v.Reasons)
	reasons("warnings", v.Warnings)
	return append(b, '}')
}

// appendString quotes s as encoding/json does by default: HTML-safe, with
// invalid UTF-8 replaced by U+FFFD.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
