@sample
Feature: sample cutover checks
  A tiny feature run by report_test.go to produce real cucumber JSON.
  Regenerate the golden with: go test ./harness/report -run TestSampleGolden -update

  @DISC-03 @discovery @ref:RFC2782
  Scenario: _cisco-uds._tcp.example.com SRV visible from outside
    Source: Jabber to Webex guide §Validate DNS: external DNS must not expose UDS
    Given a fake resolver
    When I query "_cisco-uds._tcp.example.com" SRV from outside
    Then the answer is NXDOMAIN

  @DISC-10 @discovery
  Scenario: collab-edge SRV points at Expressway-E
    Source: RFC 2782
    Given a fake resolver
    When I query "_collab-edge._tls.example.com" SRV from outside
    Then the answer has 2 targets

  @DISC-02 @discovery
  Scenario: internal resolver returns _cisco-uds SRV
    Source: RFC 2782
    Given a fake resolver
    When I query "_cisco-uds._tcp.example.com" SRV from inside
    Then the answer reports a long error

  @SSO-01 @sso
  Scenario: IdP metadata is reachable
    Source: SAML 2.0 Metadata §2.3
    Given an identity provider
    Then the metadata is served

  @SIPO-01 @sip
  Scenario: REGISTER over TLS is challenged
    Source: RFC 3261 §22
    Given a SIP registrar
    Then the register step is pending

  @XFED-01 @xmpp
  Scenario: s2s dialback is offered
    Source: RFC 7590
    Given an XMPP server that is not reachable
    Then the stream features offer dialback

  @HYB-01 @hybrid
  Scenario: hybrid calendar connector is registered
    Source: TN211304
    Given a hybrid connector
    Then a step nobody wrote
