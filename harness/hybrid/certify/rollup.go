package certify

import (
	"sort"
	"strings"
)

// Rollup is the cohort view of a run.
type Rollup struct {
	// Users counts verdicts: UCM users plus Control Hub identities enabled
	// for Hybrid Message that no UCM user maps to.
	Users       int `json:"users"`
	Routable    int `json:"routable"`
	NotRoutable int `json:"not_routable"`
	// WebexOnly counts the verdicts of kind "webex" (all not routable).
	WebexOnly int `json:"webex_only"`
	// WebexUnused counts Control Hub identities neither enabled for Hybrid
	// Message nor joined by a UCM user (not migrating; not certified).
	WebexUnused int `json:"webex_unused"`
	// JIDNotEmail counts routable users whose JID differs from their
	// email: they route only through the connector's Directory URI mapping.
	JIDNotEmail int `json:"jid_not_email"`
	// RowErrors counts bad rows in both exports.
	RowErrors int `json:"row_errors"`
	// ByReason counts verdicts per reason code (a user with two reasons
	// counts in both), most frequent first; ByWarning likewise.
	ByReason  []Count `json:"by_reason"`
	ByWarning []Count `json:"by_warning"`
	// ByDomain, ByCluster, ByDevices and ByEnablement split the verdicts
	// into cohorts, largest first.
	ByDomain     []Group `json:"by_domain"`
	ByCluster    []Group `json:"by_home_cluster"`
	ByDevices    []Group `json:"by_device_types"`
	ByEnablement []Group `json:"by_enablement"`
	// Scale is HYB-09's organisation limit.
	Scale Scale `json:"scale"`
}

// Count is one reason or warning code and how many users have it.
type Count struct {
	Code  string `json:"code"`
	Check string `json:"check"`
	Users int    `json:"users"`
}

// Group is one cohort.
type Group struct {
	Key         string `json:"key"`
	Users       int    `json:"users"`
	Routable    int    `json:"routable"`
	NotRoutable int    `json:"not_routable"`
}

// Scale compares the users enabled for Hybrid Message with the
// organisation limit.
type Scale struct {
	HybridUsers int  `json:"hybrid_users"`
	OrgLimit    int  `json:"org_limit"`
	Within      bool `json:"within"`
}

// maxGroups caps the distinct keys kept per cohort dimension; the rest
// are counted under "(other)".
const maxGroups = 1000

type roller struct {
	r           Rollup
	reasons     map[string]int
	warnings    map[string]int
	dims        [4]map[string]*Group
	hybrid      int
	webexUnused int
}

func newRoller() *roller {
	o := &roller{reasons: map[string]int{}, warnings: map[string]int{}}
	for i := range o.dims {
		o.dims[i] = map[string]*Group{}
	}
	return o
}

func (o *roller) add(v Verdict) {
	o.r.Users++
	if v.Routable {
		o.r.Routable++
		if !v.JIDIsEmail {
			o.r.JIDNotEmail++
		}
	} else {
		o.r.NotRoutable++
	}
	if v.Kind == "webex" {
		o.r.WebexOnly++
	}
	if v.HybridMessage {
		o.hybrid++
	}
	for _, r := range v.Reasons {
		o.reasons[r.Code]++
	}
	for _, w := range v.Warnings {
		o.warnings[w.Code]++
	}
	cluster := v.Cluster
	if cluster == "" {
		cluster = "(none)"
	}
	domain := v.Domain
	if domain == "" {
		domain = "(none)"
	}
	devices := strings.Join(v.Devices, "+")
	if devices == "" {
		devices = "(none)"
	}
	en := "neither"
	switch {
	case v.IMPEnabled && v.HybridMessage:
		en = "IM&P and Hybrid Message"
	case v.IMPEnabled:
		en = "IM&P only"
	case v.HybridMessage:
		en = "Hybrid Message only"
	}
	for i, k := range []string{domain, cluster, devices, en} {
		m := o.dims[i]
		g := m[k]
		if g == nil {
			if len(m) >= maxGroups {
				k = "(other)"
				g = m[k]
			}
			if g == nil {
				g = &Group{Key: k}
				m[k] = g
			}
		}
		g.Users++
		if v.Routable {
			g.Routable++
		} else {
			g.NotRoutable++
		}
	}
}

func (o *roller) rollup(orgLimit int) Rollup {
	r := o.r
	r.WebexUnused = o.webexUnused
	r.ByReason = counts(o.reasons)
	r.ByWarning = counts(o.warnings)
	groups := func(m map[string]*Group) []Group {
		out := make([]Group, 0, len(m))
		for _, g := range m {
			out = append(out, *g)
		}
		sort.Slice(out, func(i, j int) bool {
			if out[i].Users != out[j].Users {
				return out[i].Users > out[j].Users
			}
			return out[i].Key < out[j].Key
		})
		return out
	}
	r.ByDomain, r.ByCluster, r.ByDevices, r.ByEnablement = groups(o.dims[0]), groups(o.dims[1]), groups(o.dims[2]), groups(o.dims[3])
	r.Scale = Scale{HybridUsers: o.hybrid, OrgLimit: orgLimit, Within: o.hybrid <= orgLimit}
	return r
}

func counts(m map[string]int) []Count {
	out := make([]Count, 0, len(m))
	for k, n := range m {
		out = append(out, Count{Code: k, Check: Check(k), Users: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Users != out[j].Users {
			return out[i].Users > out[j].Users
		}
		return out[i].Code < out[j].Code
	})
	return out
}
