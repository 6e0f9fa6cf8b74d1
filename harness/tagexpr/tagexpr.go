// Package tagexpr parses and evaluates Cucumber tag expressions, the
// standard syntax of `--tags` in every Cucumber: tags combined with `and`,
// `or`, `not` and parentheses (`@discovery and not @DISC-03`), `not` binding
// tightest, then `and`, then `or`, `and` and `or` from the left. Inside a
// tag, `\(`, `\)`, `\\` and `\ ` escape. The empty expression selects
// everything. It follows cucumber/tag-expressions' grammar and messages
// (its shared test data is in testdata/), and errors also give the column.
//
// godog's old syntax (`~@a`, `@a && @b`, `@a,@b`) is refused with a message
// naming the standard form.
package tagexpr

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrSyntax is wrapped by every parse error.
var ErrSyntax = errors.New("tagexpr: syntax error")

// MaxLen bounds an expression (4 KiB): a tag filter is a line.
const MaxLen = 4 << 10

// Expr is a parsed expression.
type Expr interface {
	// Match reports whether a set of tags satisfies the expression.
	Match(tags []string) bool
	// String writes the expression fully parenthesised, as Cucumber does.
	String() string
}

// Error is a syntax error at a column (1-based, in runes) of the input.
type Error struct {
	Input  string
	Column int
	Reason string // Cucumber's words: "Expected operator.", …
}

func (e *Error) Error() string {
	return fmt.Sprintf("Tag expression \"%s\" could not be parsed because of syntax error: %s (column %d)", e.Input, e.Reason, e.Column)
}

// Is makes errors.Is(err, ErrSyntax) true.
func (e *Error) Is(target error) bool { return target == ErrSyntax }

type token struct {
	text string
	col  int  // 1-based column of its first rune
	op   bool // an operator or parenthesis, not a tag
}

// Parse parses a tag expression.
func Parse(s string) (Expr, error) {
	if len(s) > MaxLen {
		return nil, &Error{Input: s[:64] + "…", Column: 1, Reason: fmt.Sprintf("Longer than %d bytes.", MaxLen)}
	}
	if !utf8.ValidString(s) {
		col := 1
		for i, r := range s {
			if r == utf8.RuneError {
				col = utf8.RuneCountInString(s[:i]) + 1
				break
			}
		}
		return nil, &Error{Input: strings.ToValidUTF8(s, "?"), Column: col, Reason: "Not valid UTF-8."}
	}
	if err := oldSyntax(s); err != nil {
		return nil, err
	}
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return always{}, nil
	}
	p := &parser{in: s, toks: toks}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.i < len(p.toks) {
		t := p.toks[p.i]
		if t.op && t.text == ")" {
			return nil, p.fail(t.col, "Unmatched ).")
		}
		return nil, p.fail(t.col, "Expected operator.")
	}
	return e, nil
}

// oldSyntax refuses godog's pre-standard operators with the standard form.
func oldSyntax(s string) error {
	for i, r := range []rune(s) {
		var hint string
		switch {
		case r == '~':
			hint = `"~@a" is godog's old syntax; write "not @a"`
		case r == '&' && strings.Contains(s, "&&"):
			hint = `"@a && @b" is godog's old syntax; write "@a and @b"`
		case r == ',' && (i == 0 || []rune(s)[i-1] != '\\'):
			hint = `"@a,@b" is godog's old syntax; write "@a or @b"`
		default:
			continue
		}
		return &Error{Input: s, Column: i + 1, Reason: hint + "."}
	}
	return nil
}

func tokenize(s string) ([]token, error) {
	var out []token
	var cur strings.Builder
	start := 0
	escaped := false
	flush := func() {
		if cur.Len() > 0 {
			text := cur.String()
			op := text == "and" || text == "or" || text == "not"
			out = append(out, token{text: text, col: start, op: op})
			cur.Reset()
		}
	}
	for i, r := range []rune(s) {
		col := i + 1
		switch {
		case escaped:
			if r != '(' && r != ')' && r != '\\' && !unicode.IsSpace(r) {
				return nil, &Error{Input: s, Column: col, Reason: "Illegal escape before \"" + string(r) + "\"."}
			}
			cur.WriteRune(r)
			escaped = false
		case r == '\\':
			if cur.Len() == 0 {
				start = col
			}
			escaped = true
		case r == '(' || r == ')':
			flush()
			out = append(out, token{text: string(r), col: col, op: true})
		case unicode.IsSpace(r):
			flush()
		default:
			if cur.Len() == 0 {
				start = col
			}
			cur.WriteRune(r)
		}
	}
	if escaped {
		return nil, &Error{Input: s, Column: len([]rune(s)), Reason: "Illegal escape at the end."}
	}
	flush()
	return out, nil
}

type parser struct {
	in   string
	toks []token
	i    int
}

func (p *parser) fail(col int, reason string) error {
	return &Error{Input: p.in, Column: col, Reason: reason}
}

func (p *parser) peek() (token, bool) {
	if p.i < len(p.toks) {
		return p.toks[p.i], true
	}
	return token{}, false
}

func (p *parser) endCol() int { return len([]rune(p.in)) + 1 }

func (p *parser) or() (Expr, error) {
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	for {
		t, ok := p.peek()
		if !ok || !t.op || t.text != "or" {
			return left, nil
		}
		p.i++
		right, err := p.and()
		if err != nil {
			return nil, err
		}
		left = binary{"or", left, right}
	}
}

func (p *parser) and() (Expr, error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		t, ok := p.peek()
		if !ok || !t.op || t.text != "and" {
			return left, nil
		}
		p.i++
		right, err := p.unary()
		if err != nil {
			return nil, err
		}
		left = binary{"and", left, right}
	}
}

func (p *parser) unary() (Expr, error) {
	t, ok := p.peek()
	if ok && t.op && t.text == "not" {
		p.i++
		e, err := p.unary()
		if err != nil {
			return nil, err
		}
		return not{e}, nil
	}
	return p.primary()
}

func (p *parser) primary() (Expr, error) {
	t, ok := p.peek()
	switch {
	case !ok:
		return nil, p.fail(p.endCol(), "Expected operand.")
	case t.op && t.text == "(":
		p.i++
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		c, ok := p.peek()
		switch {
		case !ok:
			return nil, p.fail(t.col, "Unmatched (.")
		case c.op && c.text == ")":
			p.i++
			return e, nil
		}
		return nil, p.fail(c.col, "Expected operator.")
	case t.op:
		return nil, p.fail(t.col, "Expected operand.")
	}
	p.i++
	return tag(t.text), nil
}

type always struct{}

func (always) Match([]string) bool { return true }
func (always) String() string      { return "" }

type tag string

func (t tag) Match(tags []string) bool { return slices.Contains(tags, string(t)) }

func (t tag) String() string {
	var b strings.Builder
	for _, r := range string(t) {
		if r == '\\' || r == '(' || r == ')' || unicode.IsSpace(r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

type not struct{ e Expr }

func (n not) Match(tags []string) bool { return !n.e.Match(tags) }
func (n not) String() string {
	if b, ok := n.e.(binary); ok {
		return "not " + b.String()
	}
	return "not ( " + n.e.String() + " )"
}

type binary struct {
	op          string
	left, right Expr
}

func (b binary) Match(tags []string) bool {
	if b.op == "and" {
		return b.left.Match(tags) && b.right.Match(tags)
	}
	return b.left.Match(tags) || b.right.Match(tags)
}

func (b binary) String() string {
	return "( " + b.left.String() + " " + b.op + " " + b.right.String() + " )"
}
