@discovery
Feature: Service discovery
  Jabber and the Webex App find UCM inside the network through the
  _cisco-uds SRV record and Expressway-E outside through _collab-edge, in the
  order manual settings > configuration URL > SRV, then look up the user's
  home cluster through UDS. Domains, hosts, users and expected values come
  from the target; protocol constants are written here.

  @DISC-01
  Scenario: Inside DNS publishes _cisco-uds for every sign-in domain
    Source: FACTS DISC-01; seed 000 §Validate DNS
    Given a client inside the network
    When it looks up "_cisco-uds._tcp" for every sign-in domain
    Then every domain has at least one SRV target
    And every SRV target uses port 8443
    And every SRV target is a fully qualified name that resolves

  @DISC-02
  Scenario: Public DNS publishes _collab-edge for every sign-in domain
    Source: FACTS DISC-02; seed 000 §Validate DNS
    Given a client outside the network
    When it looks up "_collab-edge._tls" for every sign-in domain
    Then every domain has at least one SRV target
    And every SRV target uses port 8443
    And every SRV target is a fully qualified name

  @DISC-03
  Scenario: _cisco-uds is not resolvable from outside
    Source: FACTS DISC-03; seed 000 §Service Discovery, Authentication and Configuration
    Given a client outside the network
    When it looks up "_cisco-uds._tcp" for every voice services domain
    Then no domain has an SRV target

  @DISC-04
  Scenario: Expressway-E SRV targets are host names that resolve from outside
    Source: FACTS DISC-04; Jabber DNS guide; TN211304
    Given a client outside the network
    When it looks up "_collab-edge._tls" for every voice services domain
    Then every SRV target is a fully qualified name that resolves

  @DISC-05
  Scenario: One of the two highest-priority UCM nodes answers UDS within the discovery budget
    Source: FACTS DISC-05; seed 002 §Manual Connection Settings (20 s, top 2 servers)
    Given a client inside the network
    When it tries UDS on the top-priority "_cisco-uds._tcp" targets of every sign-in domain within the discovery budget
    Then a UCM node answers /cucm-uds/version for every domain

  @DISC-06
  Scenario: clusterUser finds every test user by username and by email without authentication
    Source: FACTS DISC-06; UDS API; seed 000 §Service Discovery, Authentication and Configuration
    Given a client inside the network
    And the first UCM node that answers UDS
    When it asks clusterUser for every test user by username and by email
    Then every test user is found both ways
    When it asks clusterUser for the unknown user
    Then the unknown user is answered found="false" with status 200

  @DISC-07
  Scenario: Every node listed by /cucm-uds/servers answers UDS
    Source: FACTS DISC-07; UDS API; seed 000 (client picks a random node)
    Given a client inside the network
    When it fetches the servers list from every UCM cluster's publisher
    Then every listed node answers /cucm-uds/version

  @DISC-08
  Scenario: A user's devices are not served without authentication
    Source: FACTS DISC-08; TN211304
    Given a client inside the network
    And the first UCM node that answers UDS
    When it fetches the devices of every test user without credentials
    Then every answer is 401 with Basic realm "Cisco Web Services Realm"

  @DISC-09
  Scenario: Expressway-E serves get_edge_config under the unpadded base64 domain path, only to valid credentials
    Source: FACTS DISC-09; Preferred Architecture (MRA); TN211304
    Given a client outside the network
    And the first Expressway-E that the "_collab-edge._tls" record names
    When it requests get_edge_config for every test user with the user's credentials
    Then every edge configuration lists "_cisco-uds" servers and a SIP edge server
    When it requests get_edge_config with wrong credentials
    Then the answer is 401 with Basic realm "Cisco-Edge"

  @DISC-10
  Scenario: The Expressway-E certificate names every voice services domain
    Source: FACTS DISC-10; Expressway admin guide (SAN forms); TN211304
    Given a client outside the network
    And the first Expressway-E that the "_collab-edge._tls" record names
    Then its certificate has a SAN for every voice services domain

  @DISC-11
  Scenario: Every UC Manager Profile domain publishes the discovery records
    Source: FACTS DISC-11; seed 000 §UC Manager Profiles
    Given a client inside the network
    When it looks up "_cisco-uds._tcp" for every UC Manager Profile domain
    Then every domain has at least one SRV target
    And every SRV target uses port 8443
    Given a client outside the network
    When it looks up "_collab-edge._tls" for every UC Manager Profile domain
    Then every domain has at least one SRV target
    And every SRV target uses port 8443

  @DISC-12
  Scenario: Every UCM node's Tomcat certificate chains to a trusted root and is valid
    Source: FACTS DISC-12; seed 000 §Client Calling Settings (invalid Tomcat certificate drops UCM)
    Given a client inside the network
    When it connects over TLS to the UDS port of every UCM node
    Then every certificate chains to a trusted root and is valid now

  @DISC-13
  Scenario: The configuration URL handed to users is well formed
    Source: FACTS DISC-13; seed 002 §Configuration URL
    Given the site's configuration URL
    Then it names a ServicesDomain and excludes only WEBEX, CUCM or CUP

  @DISC-14
  Scenario: Inside DNS publishes _cuplogin for the services domain
    Source: FACTS 2.1 (_cuplogin → IM&P :8443); seed 002 §Manual Connection Settings
    Given a client inside the network
    When it looks up "_cuplogin._tcp" for the services domain
    Then every domain has at least one SRV target
    And every SRV target uses port 8443
    And every SRV target is a fully qualified name that resolves

  @DISC-15
  Scenario: The discovery records are served over TCP as well as UDP
    Source: RFC 7766 §5 (TCP support is mandatory); RFC 1035 §4.2.1 (truncation)
    Given a client inside the network
    Then the discovery records of every sign-in domain answer the same over TCP as over UDP
    Given a client outside the network
    Then the discovery records of every sign-in domain answer the same over TCP as over UDP

  @DISC-16
  Scenario: clusterUser names each test user's home cluster
    Source: seed 000 §Service Discovery, Authentication and Configuration (home cluster discovery, ILS)
    Given a client inside the network
    And the first UCM node that answers UDS
    When it asks clusterUser for every test user by username and by email
    Then every test user's home cluster is the publisher of the cluster the target names
    And every home cluster's servers list holds that cluster's nodes

  @DISC-17
  Scenario: Outside, every test user's client discovers MRA and gets the edge configuration
    Source: seed 000 §Service Discovery (Figure 4); FACTS 2.1 MRA
    Given a client outside the network
    When every test user runs service discovery
    Then every discovery ends in MRA with an edge configuration

  @DISC-18
  Scenario: The Expressway-E certificate chains to a trusted root and is valid
    Source: FACTS 2.1 (Expressway-E TLS); TN211304
    Given a client outside the network
    And the first Expressway-E that the "_collab-edge._tls" record names
    Then its certificate chains to a trusted root and is valid now

  @DISC-19
  Scenario: The edge configuration resolves every requested service and names the edge servers
    Source: FACTS 2.1 get_edge_config (NameError); TN211304
    Given a client outside the network
    And the first Expressway-E that the "_collab-edge._tls" record names
    When it requests get_edge_config for every test user with the user's credentials
    Then no requested service is answered NameError
    And every edge configuration names SIP, XMPP and HTTP edge servers

  @DISC-20
  Scenario: Inside, every test user's client discovers UCM and reaches the home cluster
    Source: seed 002 §Manual Connection Settings (precedence); seed 000 §Service Discovery (Figure 3, home cluster)
    Given a client inside the network
    When every test user runs service discovery
    Then every discovery ends on a node of the user's home cluster
    And every discovery lists the devices the target names for the user
