package sso

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"example.com/cutover/harness/httpx"
)

const (
	// MaxPage caps an HTML page the agent reads or parses (1 MiB).
	MaxPage = httpx.MaxBody
	// maxFields caps the inputs of one form, and maxForms the forms of a
	// page, so a hostile page cannot make the driver build huge requests.
	maxFields = 256
	maxForms  = 64

	// ErrHTML is wrapped by every form parse error.
	ErrHTML = httpx.Sentinel("sso: bad HTML page")
)

// Field is one <input>, <select>, <textarea> or named <button> of a form.
type Field struct {
	Name, Type, Value string
}

// Form is one HTML form, with its action resolved against the page URL.
type Form struct {
	ID, Action, Method string
	Fields             []Field
	// Alert is the text of an error message shown with the page (an
	// element with role="alert" or a class holding "error"), e.g. a failed
	// sign-in.
	Alert string
}

// Has reports whether the form has a field name.
func (f Form) Has(name string) bool {
	for _, fl := range f.Fields {
		if fl.Name == name {
			return true
		}
	}
	return false
}

// Password returns the name of the first password input ("" if none).
func (f Form) Password() string {
	for _, fl := range f.Fields {
		if fl.Type == "password" {
			return fl.Name
		}
	}
	return ""
}

// Values are the values the browser would submit without user input:
// hidden, text and checked fields with their defaults; submit buttons are
// left out.
func (f Form) Values() url.Values {
	v := url.Values{}
	for _, fl := range f.Fields {
		switch fl.Type {
		case "submit", "button", "image", "reset", "file":
			continue
		}
		if fl.Name != "" {
			v.Add(fl.Name, fl.Value)
		}
	}
	return v
}

// AutoPost reports whether the form is one a browser submits by script
// without the user: every field hidden (or a button), at least one hidden
// field with a value. SAML HTTP-POST binding pages look like this.
func (f Form) AutoPost() bool {
	hidden := 0
	for _, fl := range f.Fields {
		switch fl.Type {
		case "hidden":
			if fl.Value != "" {
				hidden++
			}
		case "submit", "button", "image":
		default:
			return false
		}
	}
	return hidden > 0
}

// ParseForms reads the forms of an HTML page; base resolves relative
// actions (an empty action is the page itself). It never fails on
// tag soup (the HTML5 parser recovers like a browser); it fails, wrapping
// ErrHTML, on pages over MaxPage, on more than 64 forms or 256 fields in
// one form, and on actions that are not http(s) URLs.
func ParseForms(page []byte, base *url.URL) ([]Form, error) {
	if len(page) > MaxPage {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrHTML, len(page), MaxPage)
	}
	if base == nil {
		base = &url.URL{}
	}
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrHTML, err)
	}
	var forms []Form
	var alert string
	var cur *Form
	var walkErr error
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if walkErr != nil {
			return
		}
		if n.Type == html.ElementNode {
			if alert == "" && isAlert(n) {
				alert = strings.Join(strings.Fields(text(n)), " ")
			}
			switch n.DataAtom {
			case atom.Form:
				if cur != nil { // nested forms: the inner one is ignored, as browsers do
					break
				}
				if len(forms) >= maxForms {
					walkErr = fmt.Errorf("%w: more than %d forms", ErrHTML, maxForms)
					return
				}
				f, err := newForm(n, base)
				if err != nil {
					walkErr = err
					return
				}
				cur = &f
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					walk(c)
				}
				forms = append(forms, *cur)
				cur = nil
				return
			case atom.Input, atom.Select, atom.Textarea, atom.Button:
				if cur != nil {
					if len(cur.Fields) >= maxFields {
						walkErr = fmt.Errorf("%w: form has more than %d fields", ErrHTML, maxFields)
						return
					}
					if fl, ok := newField(n); ok {
						cur.Fields = append(cur.Fields, fl)
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if walkErr != nil {
		return nil, walkErr
	}
	for i := range forms {
		forms[i].Alert = alert
	}
	return forms, nil
}

func newForm(n *html.Node, base *url.URL) (Form, error) {
	f := Form{ID: attr(n, "id"), Method: strings.ToUpper(strings.TrimSpace(attr(n, "method")))}
	if f.Method != "POST" {
		f.Method = "GET"
	}
	action := strings.TrimSpace(attr(n, "action"))
	u, err := base.Parse(action)
	if err != nil {
		return Form{}, fmt.Errorf("%w: form action %q: %v", ErrHTML, clip(action), err)
	}
	if action == "" {
		u = base
	}
	if u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https" {
		return Form{}, fmt.Errorf("%w: form action scheme %q", ErrHTML, clip(u.Scheme))
	}
	f.Action = u.String()
	return f, nil
}

func newField(n *html.Node) (Field, bool) {
	name := attr(n, "name")
	switch n.DataAtom {
	case atom.Input:
		t := strings.ToLower(strings.TrimSpace(attr(n, "type")))
		if t == "" {
			t = "text"
		}
		if (t == "checkbox" || t == "radio") && !hasAttr(n, "checked") {
			return Field{}, false
		}
		return Field{Name: name, Type: t, Value: attr(n, "value")}, name != "" || t == "submit"
	case atom.Textarea:
		return Field{Name: name, Type: "textarea", Value: text(n)}, name != ""
	case atom.Select:
		val := ""
		var first string
		var seen bool
		var find func(*html.Node)
		find = func(c *html.Node) {
			for ; c != nil; c = c.NextSibling {
				if c.Type == html.ElementNode && c.DataAtom == atom.Option {
					v := attr(c, "value")
					if !hasAttr(c, "value") {
						v = strings.TrimSpace(text(c))
					}
					if !seen {
						first, seen = v, true
					}
					if hasAttr(c, "selected") {
						val = v
						return
					}
				}
				find(c.FirstChild)
			}
		}
		find(n.FirstChild)
		if val == "" {
			val = first
		}
		return Field{Name: name, Type: "select", Value: val}, name != ""
	case atom.Button:
		t := strings.ToLower(attr(n, "type"))
		if t == "" {
			t = "submit"
		}
		return Field{Name: name, Type: t, Value: attr(n, "value")}, t == "submit"
	}
	return Field{}, false
}

func isAlert(n *html.Node) bool {
	if attr(n, "role") == "alert" {
		return true
	}
	for _, c := range strings.Fields(strings.ToLower(attr(n, "class"))) {
		if strings.Contains(c, "error") || c == "alert" || strings.Contains(c, "alert-danger") {
			return true
		}
	}
	return false
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Namespace == "" && strings.EqualFold(a.Key, key) {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Namespace == "" && strings.EqualFold(a.Key, key) {
			return true
		}
	}
	return false
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(c *html.Node) {
		for ; c != nil; c = c.NextSibling {
			if b.Len() > 4096 {
				return
			}
			if c.Type == html.TextNode {
				b.WriteString(c.Data)
			}
			if c.Type == html.ElementNode && (c.DataAtom == atom.Script || c.DataAtom == atom.Style) {
				continue
			}
			walk(c.FirstChild)
		}
	}
	walk(n.FirstChild)
	return b.String()
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
