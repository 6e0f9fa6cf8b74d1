package xmpps2s

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"
)

// TestREADMEListsOptions keeps README.md in step with options.go: every
// exported function returning Option is named in it, and every fault
// (a doc comment saying "is a fault") has a row in the Faults table with
// the XFED checks it breaks.
func TestREADMEListsOptions(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	f, err := parser.ParseFile(token.NewFileSet(), "options.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || !fn.Name.IsExported() || fn.Type.Results == nil || len(fn.Type.Results.List) != 1 {
			continue
		}
		if id, ok := fn.Type.Results.List[0].Type.(*ast.Ident); !ok || id.Name != "Option" {
			continue
		}
		n++
		name := "`" + fn.Name.Name + "("
		if !strings.Contains(string(readme), name) {
			t.Errorf("README.md does not mention %s)`", name)
		}
		if strings.Contains(fn.Doc.Text(), "is a fault") {
			row := ""
			for _, line := range strings.Split(string(readme), "\n") {
				if strings.HasPrefix(line, "| "+name) {
					row = line
				}
			}
			if !strings.Contains(row, "XFED-") {
				t.Errorf("fault %s has no Faults row naming the XFED checks it breaks", fn.Name.Name)
			}
		}
	}
	if n < 30 {
		t.Errorf("found only %d options in options.go", n)
	}
}
