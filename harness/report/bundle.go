package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// EvidenceDir is the folder of a report directory that holds every
// check's evidence, one file per attachment: evidence/<ID>/<NN>-<name>.<ext>.
const EvidenceDir = "evidence"

// ManifestFile is the name of the manifest of a report directory.
const ManifestFile = "manifest.json"

// ErrManifest is a report directory whose files do not match its manifest.
var ErrManifest = errors.New("report: the bundle does not match its manifest")

// EvidenceFiles names the bundle file of each evidence of each check, by
// check index then evidence index; the names are stable for a run.
func EvidenceFiles(r *Run) [][]string {
	out := make([][]string, len(r.Checks))
	used := map[string]int{}
	for i, c := range r.Checks {
		dir := anchorSafe(checkID(c))
		if n := used[dir]; n > 0 {
			dir += "-" + strconv.Itoa(n+1)
		}
		used[anchorSafe(checkID(c))]++
		for j, e := range c.Evidence {
			out[i] = append(out[i], path.Join(EvidenceDir, dir, fmt.Sprintf("%02d-%s%s", j+1, slug(e.Name), extension(e.MediaType))))
		}
	}
	return out
}

// slug is a file-name-safe form of an evidence name.
func slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9'
		switch {
		case ok:
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 48 {
			break
		}
	}
	s := strings.Trim(b.String(), "-")
	if s == "" {
		return "evidence"
	}
	return s
}

func extension(mt string) string {
	t, _, err := mime.ParseMediaType(mt)
	switch {
	case err != nil:
		return ".bin"
	case t == "application/json" || strings.HasSuffix(t, "+json"):
		return ".json"
	case t == "application/xml" || strings.HasSuffix(t, "+xml"):
		return ".xml"
	case strings.HasPrefix(t, "text/"):
		return ".txt"
	}
	return ".bin"
}

// WriteEvidence writes every check's evidence under dir/evidence, as
// EvidenceFiles names it (the evidence is redacted already).
func WriteEvidence(dir string, r *Run) error {
	if r == nil {
		return fmt.Errorf("report: write evidence: %w", ErrNilRun)
	}
	if err := os.RemoveAll(filepath.Join(dir, EvidenceDir)); err != nil {
		return fmt.Errorf("report: write evidence: %w", err)
	}
	for i, files := range EvidenceFiles(r) {
		for j, f := range files {
			p := filepath.Join(dir, filepath.FromSlash(f))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return fmt.Errorf("report: write evidence: %w", err)
			}
			if err := os.WriteFile(p, []byte(r.Checks[i].Evidence[j].Data), 0o644); err != nil {
				return fmt.Errorf("report: write evidence: %w", err)
			}
		}
	}
	return nil
}

// Manifest lists every file of a report directory with its SHA-256, so a
// signed-off bundle can be checked later (cutover verify). It names the
// tool, the target (its name only, never its secrets), the profile, the
// result and when the run started and ended.
type Manifest struct {
	Tool     string         `json:"tool,omitempty"`
	Target   string         `json:"target"`
	Profile  string         `json:"profile"`
	Result   string         `json:"result"`
	Started  time.Time      `json:"started"`
	Finished time.Time      `json:"finished"`
	Files    []ManifestItem `json:"files"`
}

// ManifestItem is one file of the bundle, by its slash-separated path
// relative to the report directory.
type ManifestItem struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes"`
}

// WriteManifest hashes every file under dir (but the manifest) and writes
// dir/manifest.json.
func WriteManifest(dir string, r *Run) error {
	if r == nil {
		return fmt.Errorf("report: write manifest: %w", ErrNilRun)
	}
	files, err := hashTree(dir)
	if err != nil {
		return fmt.Errorf("report: write manifest: %w", err)
	}
	m := Manifest{Tool: r.Tool, Target: r.Target, Profile: r.ProfileOf().Name, Result: r.Result(),
		Started: r.Started, Finished: r.Started.Add(r.Duration), Files: files}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("report: write manifest: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("report: write manifest: %w", err)
	}
	return nil
}

// VerifyManifest checks dir against its manifest: every file listed is
// there with its hash. Files not listed (screenshots added later) are
// returned in extra; they do not make the bundle invalid. Any mismatch is
// ErrManifest, naming every file that differs.
func VerifyManifest(dir string) (m *Manifest, extra []string, err error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, nil, fmt.Errorf("report: verify: %w", err)
	}
	m = &Manifest{}
	if err := json.Unmarshal(b, m); err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %w", ErrManifest, ManifestFile, err)
	}
	have, err := hashTree(dir)
	if err != nil {
		return m, nil, fmt.Errorf("report: verify: %w", err)
	}
	byPath := map[string]ManifestItem{}
	for _, f := range have {
		byPath[f.Path] = f
	}
	var bad []string
	for _, f := range m.Files {
		got, ok := byPath[f.Path]
		switch {
		case !ok:
			bad = append(bad, f.Path+": missing")
		case got.SHA256 != f.SHA256:
			bad = append(bad, f.Path+": changed (sha256 "+got.SHA256+", manifest "+f.SHA256+")")
		}
		delete(byPath, f.Path)
	}
	for p := range byPath {
		extra = append(extra, p)
	}
	sort.Strings(extra)
	if len(bad) > 0 {
		return m, extra, fmt.Errorf("%w: %s", ErrManifest, strings.Join(bad, "; "))
	}
	return m, extra, nil
}

// hashTree hashes every regular file under dir but the manifest, sorted
// by path.
func hashTree(dir string) ([]ManifestItem, error) {
	var out []ManifestItem
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == ManifestFile || !d.Type().IsRegular() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		h := sha256.New()
		n, err := io.Copy(h, f)
		if err != nil {
			return err
		}
		out = append(out, ManifestItem{Path: rel, SHA256: hex.EncodeToString(h.Sum(nil)), Bytes: n})
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, err
}

// ReadJSON reads a run written by WriteJSON (results.json). WriteJSON of
// what it returns gives the same bytes back: `cutover report` regenerates
// every format from it.
func ReadJSON(r io.Reader) (*Run, error) {
	var run Run
	dec := json.NewDecoder(io.LimitReader(r, 1<<30))
	if err := dec.Decode(&run); err != nil {
		return nil, fmt.Errorf("report: read results: %w", err)
	}
	return &run, nil
}
