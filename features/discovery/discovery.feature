@discovery
Feature: Service discovery
  Jabber and the Webex App find UCM inside the network through the
  _cisco-uds SRV record and Expressway-E outside through _collab-edge, in the
  order manual settings > configuration URL > SRV, then look up the user's
  home cluster through UDS. Domains, hosts, users and expected values come
  from the target; protocol constants are written here.

  @DISC-01 @blocker
  Scenario: Inside DNS publishes _cisco-uds for every sign-in domain
    Source: Cisco "Transitioning from Jabber to Webex" deployment guide, §Validate DNS; RFC 2782
    Remediation: Publish _cisco-uds._tcp.<domain> SRV records on the internal DNS for every sign-in domain, priority/weight as planned, port 8443, each target the FQDN of a UCM node that resolves inside.
    Given a client inside the network
    When it looks up "_cisco-uds._tcp" for every sign-in domain
    Then every domain has at least one SRV target
    And every SRV target uses port 8443
    And every SRV target is a fully qualified name that resolves

  @DISC-02 @blocker
  Scenario: Public DNS publishes _collab-edge for every sign-in domain
    Source: Cisco "Transitioning from Jabber to Webex" deployment guide, §Validate DNS; RFC 2782
    Remediation: Publish _collab-edge._tls.<domain> SRV records on the public DNS for every sign-in domain, port 8443, each target the FQDN of an Expressway-E node.
    Given a client outside the network
    When it looks up "_collab-edge._tls" for every sign-in domain
    Then every domain has at least one SRV target
    And every SRV target uses port 8443
    And every SRV target is a fully qualified name

  @DISC-03 @blocker
  Scenario: _cisco-uds is not resolvable from outside
    Source: Cisco "Transitioning from Jabber to Webex" deployment guide, §Service Discovery, Authentication and Configuration
    Remediation: Remove _cisco-uds._tcp from the public (outside) DNS view: a client that finds it believes it is inside and never tries MRA.
    Given a client outside the network
    When it looks up "_cisco-uds._tcp" for every voice services domain
    Then no domain has an SRV target

  @DISC-04 @blocker
  Scenario: Expressway-E SRV targets are host names that resolve from outside
    Source: Cisco Jabber DNS configuration guide, §Collaboration Edge SRV record (FQDN target); Cisco TN211304 "Collaboration Edge" (MRA discovery)
    Remediation: Point every _collab-edge target at a host name (never an IP address) with a public A/AAAA record.
    Given a client outside the network
    When it looks up "_collab-edge._tls" for every voice services domain
    Then every SRV target is a fully qualified name that resolves

  @DISC-05 @blocker
  Scenario: One of the two highest-priority UCM nodes answers UDS within the discovery budget
    Source: Cisco Jabber on-premises deployment guide, §Manual Connection Settings (20 s, the first 2 servers)
    Remediation: Bring up, or re-prioritise, the two highest-priority _cisco-uds targets so that one answers /cucm-uds/version within the discovery budget.
    Given a client inside the network
    When it tries UDS on the top-priority "_cisco-uds._tcp" targets of every sign-in domain within the discovery budget
    Then a UCM node answers /cucm-uds/version for every domain

  @DISC-06 @blocker
  Scenario: clusterUser finds every test user by username and by email without authentication
    Source: Cisco UDS API reference (developer.cisco.com), clusterUser; Cisco "Transitioning from Jabber to Webex" deployment guide, §Service Discovery, Authentication and Configuration
    Remediation: Sync the test users into UCM from LDAP with their email (mail attribute) so clusterUser finds them by username and email; an unknown user must be answered found="false", not refused.
    Given a client inside the network
    And the first UCM node that answers UDS
    When it asks clusterUser for every test user by username and by email
    Then every test user is found both ways
    When it asks clusterUser for the unknown user
    Then the unknown user is answered found="false" with status 200

  @DISC-07 @major
  Scenario: Every node listed by /cucm-uds/servers answers UDS
    Source: Cisco UDS API reference, servers; Cisco "Transitioning from Jabber to Webex" deployment guide, §Service Discovery, Authentication and Configuration (a random node of the list)
    Remediation: Start UDS (Cisco Tomcat) on every node /cucm-uds/servers lists, with a valid certificate the clients trust, or remove the node from the cluster list.
    Given a client inside the network
    When it fetches the servers list from every UCM cluster's publisher
    Then every listed node answers /cucm-uds/version

  @DISC-08 @major
  Scenario: A user's devices are not served without authentication
    Source: Cisco TN211304 "Collaboration Edge" (UDS user resources answer 401 Basic realm "Cisco Web Services Realm")
    Remediation: Require authentication on /cucm-uds/user/<id>/devices (Basic realm "Cisco Web Services Realm"); an open device list leaks user data.
    Given a client inside the network
    And the first UCM node that answers UDS
    When it fetches the devices of every test user without credentials
    Then every answer is 401 with Basic realm "Cisco Web Services Realm"

  @DISC-09 @blocker
  Scenario: Expressway-E serves get_edge_config under the unpadded base64 domain path, only to valid credentials
    Source: Cisco Preferred Architecture for Mobile and Remote Access, §get_edge_config; Cisco TN211304 "Collaboration Edge"
    Remediation: Enable MRA on Expressway-E for the domain and check that get_edge_config is served under the unpadded base64 domain path to valid credentials only.
    Given a client outside the network
    And the first Expressway-E that the "_collab-edge._tls" record names
    When it requests get_edge_config for every test user with the user's credentials
    Then every edge configuration lists "_cisco-uds" servers and a SIP edge server
    When it requests get_edge_config with wrong credentials
    Then the answer is 401 with Basic realm "Cisco-Edge"

  @DISC-10 @blocker
  Scenario: The Expressway-E certificate names every voice services domain
    Source: Cisco Expressway administrator guide, §Server certificate requirements (SAN forms); Cisco TN211304 "Collaboration Edge"
    Remediation: Reissue the Expressway-E certificate with a SAN for every voice services domain: DNS:<domain>, DNS:collab-edge.<domain> or SRVName:_collab-edge._tls.<domain>.
    Given a client outside the network
    And the first Expressway-E that the "_collab-edge._tls" record names
    Then its certificate has a SAN for every voice services domain

  @DISC-11 @major
  Scenario: Every UC Manager Profile domain publishes the discovery records
    Source: Cisco "Transitioning from Jabber to Webex" deployment guide, §UC Manager Profiles
    Remediation: Publish _cisco-uds inside and _collab-edge outside, on 8443, for every domain a UC Manager Profile hands out.
    Given a client inside the network
    When it looks up "_cisco-uds._tcp" for every UC Manager Profile domain
    Then every domain has at least one SRV target
    And every SRV target uses port 8443
    Given a client outside the network
    When it looks up "_collab-edge._tls" for every UC Manager Profile domain
    Then every domain has at least one SRV target
    And every SRV target uses port 8443

  @DISC-12 @blocker
  Scenario: Every UCM node's Tomcat certificate chains to a trusted root and is valid
    Source: Cisco "Transitioning from Jabber to Webex" deployment guide, §Client Calling Settings (an invalid Tomcat certificate drops UCM)
    Remediation: Reissue or renew each UCM node's Tomcat certificate from a CA the clients trust, with the node's FQDN, before it expires.
    Given a client inside the network
    When it connects over TLS to the UDS port of every UCM node
    Then every certificate chains to a trusted root and is valid now

  @DISC-13 @major
  Scenario: The configuration URL handed to users is well formed
    Source: Cisco Jabber on-premises deployment guide, §Configuration URL
    Remediation: Fix the configuration URL handed to users: ciscojabber://provision with ServicesDomain (and VoiceServicesDomain where used), parameters spelled as documented.
    Given the site's configuration URL
    Then it names a ServicesDomain and excludes only WEBEX, CUCM or CUP

  @DISC-14 @minor
  Scenario: Inside DNS publishes _cuplogin for the services domain
    Source: Cisco Jabber on-premises deployment guide, §Manual Connection Settings (_cuplogin SRV record)
    Remediation: Publish _cuplogin._tcp.<services domain> on the internal DNS pointing at the IM and Presence nodes on 8443.
    Given a client inside the network
    When it looks up "_cuplogin._tcp" for the services domain
    Then every domain has at least one SRV target
    And every SRV target uses port 8443
    And every SRV target is a fully qualified name that resolves

  @DISC-15 @major
  Scenario: The discovery records are served over TCP as well as UDP
    Source: RFC 7766 §5 (TCP support is mandatory); RFC 1035 §4.2.1 (UDP messages of 512 bytes, truncation)
    Remediation: Let the DNS servers answer over TCP (port 53) as well as UDP: large SRV answers are truncated over UDP and retried over TCP.
    Given a client inside the network
    Then the discovery records of every sign-in domain answer the same over TCP as over UDP
    Given a client outside the network
    Then the discovery records of every sign-in domain answer the same over TCP as over UDP

  @DISC-16 @blocker
  Scenario: clusterUser names each test user's home cluster
    Source: Cisco "Transitioning from Jabber to Webex" deployment guide, §Service Discovery, Authentication and Configuration (home cluster discovery, ILS)
    Remediation: Make clusterUser return each test user's home cluster (ILS / Intercluster Lookup Service between the clusters) so clients reach the right cluster.
    Given a client inside the network
    And the first UCM node that answers UDS
    When it asks clusterUser for every test user by username and by email
    Then every test user's home cluster is the publisher of the cluster the target names
    And every home cluster's servers list holds that cluster's nodes

  @DISC-17 @blocker
  Scenario: Outside, every test user's client discovers MRA and gets the edge configuration
    Source: Cisco "Transitioning from Jabber to Webex" deployment guide, §Service Discovery, Authentication and Configuration (Figure 4, MRA)
    Remediation: From outside, each user must reach MRA: publish _collab-edge, keep _cisco-uds internal, keep Expressway-E up with a valid certificate and get_edge_config serving the user's domain.
    Given a client outside the network
    When every test user runs service discovery
    Then every discovery ends in MRA with an edge configuration

  @DISC-18 @blocker
  Scenario: The Expressway-E certificate chains to a trusted root and is valid
    Source: Cisco TN211304 "Collaboration Edge" (TLS to Expressway-E)
    Remediation: Renew the Expressway-E server certificate from a public CA the clients trust, with a complete chain, before it expires.
    Given a client outside the network
    And the first Expressway-E that the "_collab-edge._tls" record names
    Then its certificate chains to a trusted root and is valid now

  @DISC-19 @major
  Scenario: The edge configuration resolves every requested service and names the edge servers
    Source: Cisco TN211304 "Collaboration Edge" (get_edge_config NameError for a service Expressway-C cannot resolve)
    Remediation: Configure the Expressway-C/E traversal so get_edge_config resolves _cisco-uds and _cuplogin and names the SIP, XMPP and HTTP edge servers.
    Given a client outside the network
    And the first Expressway-E that the "_collab-edge._tls" record names
    When it requests get_edge_config for every test user with the user's credentials
    Then no requested service is answered NameError
    And every edge configuration names SIP, XMPP and HTTP edge servers

  @DISC-20 @blocker
  Scenario: Inside, every test user's client discovers UCM and reaches the home cluster
    Source: Cisco Jabber on-premises deployment guide, §Manual Connection Settings (precedence); Cisco "Transitioning from Jabber to Webex" deployment guide, §Service Discovery, Authentication and Configuration (Figure 3, home cluster)
    Remediation: From inside, each user must reach the home cluster and see the devices of the target: fix ILS home cluster, the devices assigned to the user, and any configuration URL exclusion.
    Given a client inside the network
    When every test user runs service discovery
    Then every discovery ends on a node of the user's home cluster
    And every discovery lists the devices the target names for the user
