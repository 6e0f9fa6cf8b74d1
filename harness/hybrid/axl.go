package hybrid

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// AXL is the slice of the AXL SOAP API the Hybrid Message connector reads
// from the IM&P publisher (TCP 8443): listUser with userid, directoryUri
// and imAndPresenceEnable. ListUsers is the client; AXLHandler the fake.

// AXLPath is where AXL is served.
const AXLPath = "/axl/"

// ErrAXL is wrapped by every AXL client error.
const ErrAXL = sentinel("hybrid: axl")

const axlListUser = `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns="http://www.cisco.com/AXL/API/14.0">
<soapenv:Body><ns:listUser><searchCriteria><userid>%</userid></searchCriteria>
<returnedTags><userid/><directoryUri/><imAndPresenceEnable/></returnedTags></ns:listUser></soapenv:Body></soapenv:Envelope>`

// AXLUser is one user of a listUser answer.
type AXLUser struct {
	UserID       string `xml:"userid"`
	DirectoryURI string `xml:"directoryUri"`
	IMP          string `xml:"imAndPresenceEnable"`
}

type axlEnvelope struct {
	XMLName xml.Name `xml:"Envelope"`
	Body    struct {
		List *struct {
			Users []AXLUser `xml:"return>user"`
		} `xml:"listUserResponse"`
		Fault *struct {
			String string `xml:"faultstring"`
		} `xml:"Fault"`
	} `xml:"Body"`
}

// ListUsers asks AXL at base ("https://imp1.example.com:8443") for every
// user, as user with password (Basic). domain forms each JID
// (userid@domain, IM&P's default addressing). The raw answer is returned
// for evidence (it holds no secret). Status is the HTTP status.
func ListUsers(ctx context.Context, hc *http.Client, base, user, password, domain string) (users []User, status int, raw string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+AXLPath, strings.NewReader(axlListUser))
	if err != nil {
		return nil, 0, "", fmt.Errorf("%w: %v", ErrAXL, err)
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", `"CUCM:DB ver=14.0 listUser"`)
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, 0, "", fmt.Errorf("%w: listUser %s: %w", ErrAXL, base, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, resp.StatusCode, "", fmt.Errorf("%w: listUser %s: %w", ErrAXL, base, err)
	}
	raw = string(b)
	if resp.StatusCode != http.StatusOK {
		return nil, resp.StatusCode, raw, fmt.Errorf("%w: listUser %s: status %d", ErrAXL, base, resp.StatusCode)
	}
	var env axlEnvelope
	if err := xml.NewDecoder(bytes.NewReader(b)).Decode(&env); err != nil {
		return nil, resp.StatusCode, raw, fmt.Errorf("%w: listUser %s: %v", ErrAXL, base, err)
	}
	if env.Body.Fault != nil {
		return nil, resp.StatusCode, raw, fmt.Errorf("%w: listUser %s: fault %q", ErrAXL, base, env.Body.Fault.String)
	}
	if env.Body.List == nil {
		return nil, resp.StatusCode, raw, fmt.Errorf("%w: listUser %s: no listUserResponse", ErrAXL, base)
	}
	for _, u := range env.Body.List.Users {
		users = append(users, User{UserID: u.UserID, JID: strings.ToLower(u.UserID) + "@" + strings.ToLower(domain),
			DirectoryURI: strings.TrimSpace(u.DirectoryURI), Enabled: strings.EqualFold(strings.TrimSpace(u.IMP), "true")})
	}
	return users, resp.StatusCode, raw, nil
}

const axlUpdateUser = `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns="http://www.cisco.com/AXL/API/14.0">
<soapenv:Body><ns:updateUser><userid>%s</userid><directoryUri>%s</directoryUri></ns:updateUser></soapenv:Body></soapenv:Envelope>`

func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// UpdateDirectoryURI sets userid's Directory URI over AXL (updateUser), as
// user with password. Only a target that names an email change calls it.
func UpdateDirectoryURI(ctx context.Context, hc *http.Client, base, user, password, userid, uri string) (int, error) {
	body := fmt.Sprintf(axlUpdateUser, xmlText(userid), xmlText(uri))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+AXLPath, strings.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrAXL, err)
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", `"CUCM:DB ver=14.0 updateUser"`)
	req.SetBasicAuth(user, password)
	resp, err := hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%w: updateUser %s: %w", ErrAXL, base, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, fmt.Errorf("%w: updateUser %s: status %d", ErrAXL, base, resp.StatusCode)
	}
	return resp.StatusCode, nil
}

type axlUpdate struct {
	UserID       string `xml:"Body>updateUser>userid"`
	DirectoryURI string `xml:"Body>updateUser>directoryUri"`
}

// AXLHandler serves listUser for the users dir returns, and updateUser of
// a Directory URI through update (nil: refused), to the account
// user/password (Basic); open serves anyone (a fault). Other requests are
// SOAP faults.
func AXLHandler(dir func() []User, update func(userid, uri string) error, user, password string, open bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !open && (!ok || u != user || p != password || user == "") {
			w.Header().Set("WWW-Authenticate", `Basic realm="AXL API"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		if r.Method == http.MethodPost && bytes.Contains(body, []byte("updateUser")) && update != nil {
			var u axlUpdate
			if err := xml.Unmarshal(body, &u); err == nil && u.UserID != "" {
				if err := update(u.UserID, strings.TrimSpace(u.DirectoryURI)); err == nil {
					fmt.Fprint(w, `<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><ns:updateUserResponse xmlns:ns="http://www.cisco.com/AXL/API/14.0"><return>{00000000-0000-0000-0000-000000000000}</return></ns:updateUserResponse></soapenv:Body></soapenv:Envelope>`)
					return
				}
			}
		}
		if r.Method != http.MethodPost || !bytes.Contains(body, []byte("listUser")) {
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>soapenv:Client</faultcode><faultstring>only listUser is served</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>`)
			return
		}
		var b bytes.Buffer
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><ns:listUserResponse xmlns:ns="http://www.cisco.com/AXL/API/14.0"><return>`)
		for _, u := range dir() {
			b.WriteString("<user><userid>")
			xml.EscapeText(&b, []byte(u.UserID))
			b.WriteString("</userid><directoryUri>")
			xml.EscapeText(&b, []byte(u.DirectoryURI))
			fmt.Fprintf(&b, "</directoryUri><imAndPresenceEnable>%t</imAndPresenceEnable></user>", u.Enabled)
		}
		b.WriteString(`</return></ns:listUserResponse></soapenv:Body></soapenv:Envelope>`)
		_, _ = w.Write(b.Bytes())
	})
}
