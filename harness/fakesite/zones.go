package fakesite

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// WriteZones writes each DNS view of the plan as an RFC 1035 master file,
// DIR/<view>.zone for the zone origin (example.com), so that an independent
// DNS server (BIND, Knot, Unbound local-data) can serve the same records as
// the fakes: lab mode is then proven against a real DNS implementation. An
// apex NS record with its address is added, which primary servers require.
// It returns the files written.
func WriteZones(p *Plan, dir, origin, nsAddr string) ([]string, error) {
	origin = strings.TrimSuffix(origin, ".") + "."
	var files []string
	for _, hs := range p.Services(KindDNS) {
		d := hs.Service.Settings.(*DNSSettings)
		var b strings.Builder
		fmt.Fprintf(&b, "; %s view of the cutover fake site, written by cutover fakes --write-zones\n", d.View)
		fmt.Fprintf(&b, "$ORIGIN %s\n$TTL 300\n", origin)
		fmt.Fprintf(&b, "%s 3600 IN NS ns.%s\nns.%s 3600 IN A %s\n", origin, origin, origin, nsAddr)
		for _, rr := range p.Records(d) {
			name, _, _ := strings.Cut(rr, " ")
			if name != origin && !strings.HasSuffix(name, "."+origin) {
				fmt.Fprintf(&b, "; out of zone, not served: %s\n", rr)
				continue
			}
			b.WriteString(rr + "\n")
		}
		f := filepath.Join(dir, d.View+".zone")
		if err := os.WriteFile(f, []byte(b.String()), 0o644); err != nil {
			return files, fmt.Errorf("fakesite: write zone: %w", err)
		}
		files = append(files, f)
	}
	return files, nil
}
