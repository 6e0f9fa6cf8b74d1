package report

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ErrMerge is a set of runs that are not the shards of one run.
var ErrMerge = errors.New("report: cannot merge")

// Merge puts the shards of one sharded run (cutover run --shard K/N) back
// together: their checks, as one run against the same target, with the
// same tag filter and profile. Each check must come from exactly one
// shard, and every check a shard says another runs must be there, so a
// missing shard is an error rather than a smaller pass. The result is
// what the unsharded run would have said: the same checks, verdicts,
// reasons and evidence; its start is the earliest shard's and its end the
// latest's.
func Merge(runs []*Run) (*Run, error) {
	if len(runs) == 0 {
		return nil, fmt.Errorf("%w: no runs", ErrMerge)
	}
	first := runs[0]
	out := &Run{Tool: first.Tool, Command: first.Command, Target: first.Target, Tags: first.Tags,
		NotSelected: first.NotSelected, Profile: first.Profile, Started: first.Started}
	end := first.Started.Add(first.Duration)
	from := map[string]string{}
	want := map[string]bool{}
	waivers := map[string]int{}
	for i, r := range runs {
		name := r.Shard
		if name == "" {
			name = fmt.Sprintf("run %d", i+1)
		}
		switch {
		case r.Target != first.Target:
			return nil, fmt.Errorf("%w: %s is against %q, %s against %q", ErrMerge, name, r.Target, runName(first, 0), first.Target)
		case r.Tags != first.Tags:
			return nil, fmt.Errorf("%w: %s has tags %q, %s %q", ErrMerge, name, r.Tags, runName(first, 0), first.Tags)
		case r.ProfileOf().Name != first.ProfileOf().Name:
			return nil, fmt.Errorf("%w: %s has profile %s, %s %s", ErrMerge, name, r.ProfileOf().Name, runName(first, 0), first.ProfileOf().Name)
		}
		for _, c := range r.Checks {
			if prev, dup := from[c.ID]; dup {
				return nil, fmt.Errorf("%w: %s ran in %s and in %s", ErrMerge, c.ID, prev, name)
			}
			from[c.ID] = name
			out.Checks = append(out.Checks, c)
		}
		for _, id := range r.OtherShards {
			want[id] = true
		}
		if r.Started.Before(out.Started) {
			out.Started = r.Started
		}
		if e := r.Started.Add(r.Duration); e.After(end) {
			end = e
		}
		if r.Interrupted != "" && out.Interrupted == "" {
			out.Interrupted = name + ": " + r.Interrupted
		}
		// Each shard is its own process: what they sent one host adds up.
		for _, c := range r.Contacts {
			j := slices.IndexFunc(out.Contacts, func(o Contact) bool { return o.Host == c.Host })
			if j < 0 {
				out.Contacts = append(out.Contacts, c)
				continue
			}
			out.Contacts[j].Sent += c.Sent
			out.Contacts[j].Credentials += c.Credentials
		}
		// A waiver's status is the most telling one any shard gave it: the
		// shard that ran its check knows; the others say "did not run".
		for _, st := range r.Waivers {
			k := st.Waiver.Where + "\x00" + st.Waiver.ID + "\x00" + st.Waiver.User + "\x00" + st.Waiver.Host
			if j, ok := waivers[k]; !ok {
				waivers[k] = len(out.Waivers)
				out.Waivers = append(out.Waivers, st)
			} else if out.Waivers[j].State == WaiverUnused && st.State != WaiverUnused {
				out.Waivers[j] = st
			}
		}
	}
	var missing []string
	for id := range want {
		if _, ok := from[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		slices.SortFunc(missing, compareIDs)
		return nil, fmt.Errorf("%w: no shard holds %v (a shard is missing)", ErrMerge, missing)
	}
	out.Duration = end.Sub(out.Started)
	if out.Duration < 0 {
		out.Duration = time.Duration(0)
	}
	sortChecks(out.Checks)
	slices.SortFunc(out.Contacts, func(a, b Contact) int { return strings.Compare(a.Host, b.Host) })
	return out, nil
}

func runName(r *Run, i int) string {
	if r.Shard != "" {
		return "shard " + r.Shard
	}
	return fmt.Sprintf("run %d", i+1)
}
