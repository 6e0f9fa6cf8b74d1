package target

// section is one capability's part of the site (Site.SSO, Site.SIP, …):
// what it names for the site boundary and how it is validated. Each lives
// in its capability's file, beside its per-user fields (SSOUser, …).
type section interface {
	// hosts are the host names (or URLs) the section names: the suite may
	// connect to them, and credentials may go to them.
	hosts() []string
	// domains are the domains the section names: names under them resolve
	// through the target's resolvers and may be connected to.
	domains() []string
	// validate checks the section (and its users' fields), reporting
	// through v.fail at the section's field paths, and fills in defaults.
	validate(v *validator)
}

// sections lists the capabilities' sections in the order of a cutover.
func (s *Site) sections() []section {
	return []section{&s.SSO, &s.SIP, &s.XMPP, &s.Hybrid}
}
