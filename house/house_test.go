package house_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// root is the module root, seen from this package.
const root = ".."

// goFiles returns every Go file of the module, testdata excluded.
func goFiles(t *testing.T) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); n == "testdata" || n == ".git" || n == "out" || strings.HasPrefix(n, ".") && p != root {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(p, ".go") {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func parse(t *testing.T, file string) (*token.FileSet, *ast.File) {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	return fset, f
}

// TestImportsGrouped: imports come in groups separated by a blank line,
// standard library first, then third party, then this module, each group
// of one kind.
func TestImportsGrouped(t *testing.T) {
	kind := func(path string) int {
		switch first, _, _ := strings.Cut(path, "/"); {
		case path == "example.com/cutover" || strings.HasPrefix(path, "example.com/cutover/"):
			return 2
		case strings.Contains(first, "."):
			return 1
		}
		return 0
	}
	names := []string{"standard library", "third party", "example.com/cutover"}
	for _, file := range goFiles(t) {
		fset, f := parse(t, file)
		lastLine, lastKind, groupKind := -10, -1, -1
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			line := fset.Position(imp.Pos()).Line
			k := kind(path)
			newGroup := line > lastLine+1
			switch {
			case newGroup && k <= lastKind:
				t.Errorf("%s:%d: %s import %q in a group after %s imports", file, line, names[k], path, names[lastKind])
			case !newGroup && k != groupKind:
				t.Errorf("%s:%d: %s import %q in a group of %s imports", file, line, names[k], path, names[groupKind])
			}
			if newGroup {
				groupKind = k
			}
			lastLine, lastKind = line, k
			if c := imp.Comment; c != nil {
				lastLine = fset.Position(c.End()).Line
			}
		}
	}
}

// TestErrorsPrefixed: an error a package returns says which package made
// it ("target: …"), or starts with a sentinel that does (fmt.Errorf("%w:
// …")). Checked for the errors exported functions of the harness packages
// construct in their return statements; helpers' and callbacks' errors are
// wrapped by their callers, and sentinels read inside such messages.
func TestErrorsPrefixed(t *testing.T) {
	for _, file := range goFiles(t) {
		if !strings.Contains(filepath.ToSlash(file), "/harness/") || strings.HasSuffix(file, "_test.go") {
			continue
		}
		fset, f := parse(t, file)
		pkg := f.Name.Name
		ok := func(lit string) bool {
			s, err := strconv.Unquote(lit)
			// "%s: " is a name given by the caller: a file, or the package
			// of a fake that httpx configures.
			return err != nil || strings.HasPrefix(s, pkg+": ") || strings.HasPrefix(s, "%w") || strings.HasPrefix(s, "%s: ")
		}
		check := func(n ast.Node, what string) {
			ast.Inspect(n, func(n ast.Node) bool {
				if _, isFunc := n.(*ast.FuncLit); isFunc {
					return false // a callback's errors are wrapped by its caller
				}
				call, isCall := n.(*ast.CallExpr)
				if !isCall || len(call.Args) == 0 {
					return true
				}
				lit, isLit := call.Args[0].(*ast.BasicLit)
				if !isLit || lit.Kind != token.STRING {
					return true
				}
				if isErrorCtor(call.Fun) && !ok(lit.Value) {
					t.Errorf("%s: %s: error %s does not start with %q or wrap a sentinel", fset.Position(lit.Pos()), what, lit.Value, pkg+": ")
				}
				return true
			})
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Name.IsExported() && d.Body != nil {
					check(directReturns(d.Body), "exported "+d.Name.Name)
				}
			}
		}
	}
}

// isErrorCtor matches errors.New, fmt.Errorf and the httpx Sentinel type.
func isErrorCtor(fun ast.Expr) bool {
	switch f := fun.(type) {
	case *ast.SelectorExpr:
		x, _ := f.X.(*ast.Ident)
		return x != nil && (x.Name == "errors" && f.Sel.Name == "New" || x.Name == "fmt" && f.Sel.Name == "Errorf" || f.Sel.Name == "Sentinel")
	case *ast.Ident:
		return f.Name == "Sentinel"
	}
	return false
}

// directReturns keeps the return statements of a body, not those of the
// function literals inside it (callbacks whose errors others wrap).
func directReturns(body *ast.BlockStmt) ast.Node {
	var rets []ast.Stmt
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.ReturnStmt:
			rets = append(rets, n)
		}
		return true
	})
	return &ast.BlockStmt{List: rets}
}

// TestStepsAreThin: no file of the step packages over 400 lines; protocol
// logic belongs in harness/.
func TestStepsAreThin(t *testing.T) {
	for _, file := range goFiles(t) {
		if !strings.HasPrefix(filepath.ToSlash(file), "../steps/") {
			continue
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(b), "\n"); n > 400 {
			t.Errorf("%s: %d lines; a step file stays under 400 (move logic into harness/)", file, n)
		}
	}
}

// TestFuzzersStateInvariants: every fuzzer holds what the README promises
// of parsers of site input: it never panics (the fuzz engine's own check),
// its errors wrap the package's sentinel (errors.Is in the body), and its
// doc comment states the invariants.
func TestFuzzersStateInvariants(t *testing.T) {
	n := 0
	for _, file := range goFiles(t) {
		if !strings.HasSuffix(file, "_test.go") {
			continue
		}
		fset, f := parse(t, file)
		helpers := map[string]*ast.BlockStmt{}
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Body != nil {
				helpers[fn.Name.Name] = fn.Body
			}
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || !strings.HasPrefix(fn.Name.Name, "Fuzz") {
				continue
			}
			n++
			where := fset.Position(fn.Pos())
			doc := ""
			if fn.Doc != nil {
				doc = strings.ToLower(strings.Join(strings.Fields(fn.Doc.Text()), " "))
			}
			if !strings.Contains(doc, "never panic") && !strings.Contains(doc, "no panic") {
				t.Errorf("%s: %s: the doc comment must state the invariants (\"never panics\", …)", where, fn.Name.Name)
			}
			// A function under fuzz that returns no error says so.
			if !strings.Contains(doc, "returns no error") && !callsErrorsIs(fn.Body, helpers) {
				t.Errorf("%s: %s: the body must check that errors wrap the package's sentinel (errors.Is or errors.As)", where, fn.Name.Name)
			}
		}
	}
	if n == 0 {
		t.Fatal("no fuzzers found")
	}
}

// callsErrorsIs looks for errors.Is or errors.As in body and in the
// file's own functions it calls (a shared checking helper).
func callsErrorsIs(body *ast.BlockStmt, helpers map[string]*ast.BlockStmt) bool {
	found := false
	var called []*ast.BlockStmt
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			if x, ok := n.X.(*ast.Ident); ok && x.Name == "errors" && (n.Sel.Name == "Is" || n.Sel.Name == "As") {
				found = true
			}
		case *ast.CallExpr:
			if id, ok := n.Fun.(*ast.Ident); ok && helpers[id.Name] != nil {
				called = append(called, helpers[id.Name])
			}
		}
		return !found
	})
	for _, b := range called {
		if !found {
			found = callsErrorsIs(b, nil)
		}
	}
	return found
}

var (
	sleepRe = regexp.MustCompile(`\btime\.Sleep\(`)
	timedRe = regexp.MustCompile(`(time\.Since\([^)]*\)|\b(took|elapsed)\b)\s*[<>]|[<>]=?\s*time\.Since\(`)
)

// TestNoSleepsOrTimedAssertions: tests poll with a deadline and never
// sleep; speed is measured by benchmarks, never asserted by a test.
func TestNoSleepsOrTimedAssertions(t *testing.T) {
	for _, file := range goFiles(t) {
		if !strings.HasSuffix(file, "_test.go") || strings.HasSuffix(file, "house_test.go") {
			continue
		}
		fset, f := parse(t, file)
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || strings.HasPrefix(fn.Name.Name, "Benchmark") {
				continue
			}
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			start, end := fset.Position(fn.Pos()).Offset, fset.Position(fn.End()).Offset
			for i, line := range strings.Split(string(src[start:end]), "\n") {
				l := fset.Position(fn.Pos()).Line + i
				if sleepRe.MatchString(line) {
					t.Errorf("%s:%d: time.Sleep in a test: poll with a deadline instead", file, l)
				}
				if timedRe.MatchString(line) && !strings.Contains(line, "Logf") {
					t.Errorf("%s:%d: a timed assertion in a test: measure with a benchmark instead: %s", file, l, strings.TrimSpace(line))
				}
			}
		}
	}
}

// TestGodogIsStrict: no suite may run with undefined or pending steps
// passing.
func TestGodogIsStrict(t *testing.T) {
	for _, file := range goFiles(t) {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if regexp.MustCompile(`Strict:\s*false`).Match(b) && !strings.HasSuffix(file, "house_test.go") {
			t.Errorf("%s: a godog suite with Strict: false", file)
		}
	}
}

// TestPublicSources: product text (features, harness, steps, cmd) cites
// public documents, never the project's internal notes.
func TestPublicSources(t *testing.T) {
	internal := regexp.MustCompile(`FACTS|seed 00[0-9]`)
	for _, dir := range []string{"features", "harness", "steps", "cmd"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if loc := internal.FindIndex(b); loc != nil {
				line := 1 + strings.Count(string(b[:loc[0]]), "\n")
				t.Errorf("%s:%d cites an internal name (%s): cite the public document by title and section", p, line, b[loc[0]:loc[1]])
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
