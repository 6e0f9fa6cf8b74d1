// Package disc holds the steps of the discovery capability (DISC-…): DNS
// SRV inside and outside, UDS, Expressway-E's get_edge_config and the
// client's discovery, each a thin call into harness/dnsclient,
// harness/ucm, harness/expressway or harness/discovery through the target.
package disc

import (
	"context"
	"crypto/x509"

	"example.com/cutover/harness/discovery"
	"example.com/cutover/harness/dnsclient"
	"example.com/cutover/harness/expressway"
	"example.com/cutover/harness/target"
	"example.com/cutover/harness/ucm"
	"example.com/cutover/steps"
)

type stateKey struct{}

// state is the scenario's discovery state.
func state(ctx context.Context) *discoveryState {
	s, _ := ctx.Value(stateKey{}).(*discoveryState)
	return s
}

type srvLookup struct {
	domain, name string
	records      []dnsclient.SRV
	answer       *dnsclient.Answer
	err          error
}

type clusterUserResult struct {
	user        target.User
	byUsername  ucm.ClusterUser
	byEmail     ucm.ClusterUser
	errUsername error
	errEmail    error
}

type edgeResult struct {
	user target.User
	cfg  expressway.EdgeConfig
	err  error
}

type certResult struct {
	host  string
	addr  string // host:port it was fetched from
	chain []*x509.Certificate
	err   error
}

type discoveryState struct {
	lookups      []srvLookup
	udsTried     map[string]error // domain → nil when a top-N node answered
	uds          string
	edge         string // host:port of the first Expressway-E
	edgeHost     string
	clusterUsers []clusterUserResult
	unknown      ucm.ClusterUser
	unknownErr   error
	servers      map[string][]string // publisher → /servers list
	serversErr   map[string]error
	devicesErr   map[string]error
	edgeConfigs  []edgeResult
	badCredsErr  error
	certs        []certResult
	configURL    string
	results      []discoveryResult
}

type discoveryResult struct {
	user target.User
	res  *discovery.Result
	err  error
}

// Register adds the discovery steps and seeds their state per scenario.
func Register(r *steps.Registry) {
	r.Before(func(ctx context.Context) context.Context {
		return context.WithValue(ctx, stateKey{}, &discoveryState{})
	})
	sc := r
	sc.Step(`^it looks up "([^"]+)" for (every sign-in domain|every voice services domain|every UC Manager Profile domain|the services domain)$`, lookUpSRV)
	sc.Step(`^every domain has at least one SRV target$`, everyDomainHasTarget)
	sc.Step(`^no domain has an SRV target$`, noDomainHasTarget)
	sc.Step(`^every SRV target uses port (\d+)$`, everyTargetUsesPort)
	sc.Step(`^every SRV target is a fully qualified name( that resolves)?$`, everyTargetIsFQDN)
	sc.Step(`^it tries UDS on the top-priority "_cisco-uds._tcp" targets of every sign-in domain within the discovery budget$`, triesTopUDS)
	sc.Step(`^a UCM node answers /cucm-uds/version for every domain$`, udsAnsweredEveryDomain)
	sc.Step(`^the first UCM node that answers UDS$`, firstUDS)
	sc.Step(`^it asks clusterUser for every test user by username and by email$`, askClusterUsers)
	sc.Step(`^every test user is found both ways$`, everyUserFound)
	sc.Step(`^it asks clusterUser for the unknown user$`, askUnknownUser)
	sc.Step(`^the unknown user is answered found="false" with status 200$`, unknownNotFound)
	sc.Step(`^it fetches the servers list from every UCM cluster's publisher$`, fetchServerLists)
	sc.Step(`^every listed node answers /cucm-uds/version$`, everyListedNodeAnswers)
	sc.Step(`^it fetches the devices of every test user without credentials$`, devicesWithoutCredentials)
	sc.Step(`^every answer is 401 with Basic realm "([^"]+)"$`, everyAnswer401)
	sc.Step(`^the first Expressway-E that the "_collab-edge._tls" record names$`, firstEdge)
	sc.Step(`^it requests get_edge_config for every test user with the user's credentials$`, requestEdgeConfigs)
	sc.Step(`^every edge configuration lists "_cisco-uds" servers and a SIP edge server$`, edgeListsUDSAndSIP)
	sc.Step(`^it requests get_edge_config with wrong credentials$`, edgeWrongCredentials)
	sc.Step(`^the answer is 401 with Basic realm "([^"]+)"$`, answer401)
	sc.Step(`^its certificate has a SAN for every voice services domain$`, edgeSANs)
	sc.Step(`^it connects over TLS to the UDS port of every UCM node$`, connectUCMNodes)
	sc.Step(`^every certificate chains to a trusted root and is valid now$`, everyCertValid)
	sc.Step(`^its certificate chains to a trusted root and is valid now$`, everyCertValid)
	sc.Step(`^the site's configuration URL$`, siteConfigURL)
	sc.Step(`^it names a ServicesDomain and excludes only WEBEX, CUCM or CUP$`, configURLWellFormed)
	sc.Step(`^the discovery records of every sign-in domain answer the same over TCP as over UDP$`, sameOverTCP)
	sc.Step(`^every test user's home cluster is the publisher of the cluster the target names$`, homeClusterIsPublisher)
	sc.Step(`^every home cluster's servers list holds that cluster's nodes$`, serversListHoldsNodes)
	sc.Step(`^every test user runs service discovery$`, everyUserDiscovers)
	sc.Step(`^every discovery ends in MRA with an edge configuration$`, everyDiscoveryMRA)
	sc.Step(`^every discovery ends on a node of the user's home cluster$`, everyDiscoveryHomeCluster)
	sc.Step(`^every discovery lists the devices the target names for the user$`, everyDiscoveryDevices)
	sc.Step(`^no requested service is answered NameError$`, noNameError)
	sc.Step(`^every edge configuration names SIP, XMPP and HTTP edge servers$`, edgeNamesServers)
}

// discoveryClient models the user's client. Its random choices (SRV
// weights, the cluster node) are seeded from the key so that a verdict is
// reproducible: the same site gives the same answer on every run.
func discoveryClient(w *steps.World, key string) *discovery.Client {
	return &discovery.Client{
		Resolver: w.View(),
		Budget:   w.T.Site.Discovery.Budget.D(),
		TopN:     w.T.Site.Discovery.TopN,
		Rand:     steps.Seeded(key),
	}
}

func udsClient(w *steps.World) *ucm.Client { return ucm.NewClient(w.T.HTTPClient(w.Where)) }

func edgeClient(w *steps.World) *expressway.Client {
	return expressway.NewClient(w.T.HTTPClient(w.Where))
}
