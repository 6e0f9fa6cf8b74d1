package target

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Document is a YAML file decoded strictly: the position of every field
// path, for messages that point into the file. Every file the product reads
// from a user (target files, the example site, waivers) is decoded this way.
type Document struct {
	// Name is the file name used in messages.
	Name string
	// Root is the parsed YAML (the document's top node).
	Root *yaml.Node

	lines  map[string]int // field path → line
	byLine map[int]string // line → deepest key path on it
}

// DecodeStrict decodes YAML data into v: unknown keys, type errors and
// duplicate keys become FieldErrors with file and line, every one at once.
// The Document is nil only when the data is not YAML at all (or empty);
// then the returned errors say why. Lines are indexed in one pass, so a
// large file with many errors is as fast as a small one.
func DecodeStrict(name string, data []byte, v any) (*Document, []*FieldError) {
	if len(data) > maxFileSize {
		return nil, []*FieldError{{File: name, Line: 1, Field: "(file)", Msg: "larger than 1 MiB"}}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlErrors(name, err, nil)
	}
	if len(root.Content) == 0 {
		return nil, []*FieldError{{File: name, Line: 1, Field: "(file)", Msg: "empty file"}}
	}
	doc := &Document{Name: name, Root: root.Content[0], lines: map[string]int{}, byLine: map[int]string{}}
	doc.index(doc.Root, "")
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return doc, yamlErrors(name, err, doc)
	}
	return doc, nil
}

// DecodeNode decodes one node of a Document into v as strictly as
// DecodeStrict decodes a file (unknown keys and type errors, positioned),
// for values whose Go type is known only at run time, such as a service's
// settings. path is the node's field path, used in messages.
func (d *Document) DecodeNode(n *yaml.Node, path string, v any) []*FieldError {
	var errs []*FieldError
	unknownKeys(n, reflect.TypeOf(v), path, func(key *yaml.Node, p, in string) {
		errs = append(errs, &FieldError{File: d.Name, Line: key.Line, Field: p, Msg: "unknown key in " + in})
	})
	if err := n.Decode(v); err != nil {
		errs = append(errs, yamlErrors(d.Name, err, d)...)
	}
	return errs
}

// Line returns the line of a field path such as "users[0].email", or 0.
func (d *Document) Line(path string) int {
	if d == nil {
		return 0
	}
	return d.lines[path]
}

// Lines is the field path → line index (for Site.Line).
func (d *Document) Lines() map[string]int {
	if d == nil {
		return map[string]int{}
	}
	return d.lines
}

// At finds the nearest line for a path that may be missing from the file:
// the path's own line, else its nearest present parent's, else 1.
func (d *Document) At(path string) int {
	for p := path; p != ""; {
		if l := d.Line(p); l > 0 {
			return l
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return 1
}

// index records the line of every mapping key and sequence item by its
// field path ("ucm[0].nodes[1]"), and for each line the deepest key on it.
func (d *Document) index(n *yaml.Node, path string) {
	if path != "" {
		if _, ok := d.lines[path]; !ok {
			d.lines[path] = n.Line
		}
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			d.lines[p] = k.Line
			if prev, ok := d.byLine[k.Line]; !ok || len(p) > len(prev) {
				d.byLine[k.Line] = p
			}
			d.index(val, p)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			d.index(c, fmt.Sprintf("%s[%d]", path, i))
		}
	}
}

var (
	yamlLineRe   = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	unknownKeyRe = regexp.MustCompile(`^field (\S+) not found in type (\S+)$`)
	duplicateRe  = regexp.MustCompile(`^mapping key "(.*)" already defined at line (\d+)$`)
)

// yamlErrors turns yaml.v3 errors ("line 4: field bogus not found in type
// target.Site") into FieldErrors. doc is nil for syntax errors.
func yamlErrors(name string, err error, doc *Document) []*FieldError {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	var out []*FieldError
	for _, m := range msgs {
		fe := &FieldError{File: name, Line: 1, Field: "(file)", Msg: strings.TrimPrefix(m, "yaml: ")}
		if sm := yamlLineRe.FindStringSubmatch(m); sm != nil {
			fe.Line, _ = strconv.Atoi(sm[1])
			fe.Msg = sm[2]
			switch km, dm := unknownKeyRe.FindStringSubmatch(sm[2]), duplicateRe.FindStringSubmatch(sm[2]); {
			case km != nil:
				fe.Field = km[1]
				if p := doc.fieldAt(fe.Line); p != "" {
					fe.Field = p
				}
				fe.Msg = "unknown key in " + strings.TrimPrefix(km[2], "target.")
			case dm != nil:
				fe.Field = dm[1]
				if p := doc.fieldAt(fe.Line); p != "" {
					fe.Field = p
				}
				fe.Msg = fmt.Sprintf("duplicate key (first at line %s)", dm[2])
			case doc == nil:
				fe.Field = "(syntax)"
			default:
				fe.Field = "(value)"
				if p := doc.fieldAt(fe.Line); p != "" {
					fe.Field = p
				}
			}
		}
		out = append(out, fe)
	}
	return out
}

// fieldAt is the deepest key on a line (a key, so "top_n: [x]" names top_n).
func (d *Document) fieldAt(line int) string {
	if d == nil {
		return ""
	}
	return d.byLine[line]
}

// isDuplicate reports whether errs hold a duplicate key: the decoded value
// is then unreliable, so no validation should follow it.
func isDuplicate(errs []*FieldError) bool {
	for _, e := range errs {
		if strings.HasPrefix(e.Msg, "duplicate key") {
			return true
		}
	}
	return false
}

// sortErrors orders errors by line, keeping the order of errors on a line.
func sortErrors(errs []*FieldError) {
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
}

var unmarshalerType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()

// unknownKeys walks n against Go type t (yaml tags, inline structs, slices,
// maps, pointers) and reports each mapping key that names no field. Types
// with their own UnmarshalYAML and yaml.Node fields decide for themselves.
func unknownKeys(n *yaml.Node, t reflect.Type, path string, report func(key *yaml.Node, path, in string)) {
	if n == nil || t == nil {
		return
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	for t.Kind() == reflect.Pointer {
		if t.Implements(unmarshalerType) {
			return
		}
		t = t.Elem()
	}
	if t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) || t == reflect.TypeOf(yaml.Node{}) {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return
		}
		fields := map[string]reflect.Type{}
		collectFields(t, fields)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			ft, ok := fields[k.Value]
			if !ok {
				report(k, p, t.Name())
				continue
			}
			unknownKeys(n.Content[i+1], ft, p, report)
		}
	case reflect.Slice, reflect.Array:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, c := range n.Content {
			unknownKeys(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i), report)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := n.Content[i].Value
			if path != "" {
				p = path + "." + p
			}
			unknownKeys(n.Content[i+1], t.Elem(), p, report)
		}
	}
}

// collectFields maps each YAML key of struct t to its field type.
func collectFields(t reflect.Type, out map[string]reflect.Type) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				collectFields(ft, out)
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
}
