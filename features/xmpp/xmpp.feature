@xmpp
Feature: XMPP federation
  Partners federate with the org over XMPP server-to-server (RFC 6120):
  they resolve the org's XMPP domain through the public _xmpp-server._tcp
  and _xmpps-server._tcp records, connect, secure the stream and deliver
  1:1 messages. At the cutover the records move from IM&P / Expressway-E to
  Webex. The DNS checks resolve from outside with an RFC 6120 §3.2 resolver
  and say what a conforming server does with the site's records; the
  delivery checks play each partner the target lists through its federation
  test agent. Domains, hosts, partners and the cutover phase come from the
  target; protocol constants are written here.

  @XFED-01 @blocker
  Scenario: Public DNS publishes _xmpp-server for the XMPP domain on port 5269
    Source: Cisco Expressway administrator guide, XMPP federation (_xmpp-server._tcp SRV on 5269, a resolvable FQDN); RFC 6120 §3.2.1
    Remediation: Publish _xmpp-server._tcp.<XMPP domain> SRV records in the public zone, port 5269, each target a host name with a public A/AAAA record.
    Given a client outside the network
    When it resolves the org's XMPP domain as a federating server would
    Then "_xmpp-server._tcp" answers with targets on port 5269 that resolve

  @XFED-02 @blocker
  Scenario: Federation records point where the cutover phase says
    Source: Cisco "Transitioning from Jabber to Webex" deployment guide, §XMPP Federation (re-point _xmpp-server from IM&P/Expressway to Webex when federation moves)
    Remediation: Point _xmpp-server._tcp (and _xmpps-server._tcp) of the XMPP domain at the IM&P / Expressway-E federation hosts before the cutover and at Webex's after it, as the target's xmpp section says.
    Given a client outside the network
    When it resolves the org's XMPP domain as a federating server would
    Then every federation target is a host the target names for the site's phase of the cutover

  @XFED-03 @blocker
  Scenario: The federation records do not declare the service absent
    Source: RFC 6120 §3.2.1 (a single "." target: the service is decidedly not available, no fallback); XEP-0368 §5
    Remediation: Replace the "." target of _xmpp-server._tcp with the federation hosts; a "." tells every conforming peer not to connect at all.
    Given a client outside the network
    When it resolves the org's XMPP domain as a federating server would
    Then the records do not declare XMPP federation absent with a "." target

  @XFED-04 @major
  Scenario: Every allowed partner domain is reachable as RFC 6120 resolves it
    Source: RFC 6120 §3.2.2 (no SRV: the domain's A/AAAA on port 5269); RFC 6120 §3.2.1
    Remediation: Have the partner publish _xmpp-server._tcp for its domain, or serve s2s on port 5269 at the domain's own address; the org's federation host cannot answer a partner it cannot reach.
    Given a client outside the network
    When it resolves every allowed partner domain as a federating server would
    Then every allowed partner domain has a candidate that accepts a connection

  @XFED-05 @blocker
  Scenario: Every federation SRV target accepts connections
    Source: RFC 6120 §3.2.1 (SRV records found but no target reachable: the initiating entity SHOULD NOT fall back to A/AAAA)
    Remediation: Bring every host and port the _xmpp-server/_xmpps-server records name up, or remove the records that name dead ones: peers do not fall back to the domain's own address.
    Given a client outside the network
    When it resolves the org's XMPP domain as a federating server would
    And it connects to every federation candidate
    Then every federation candidate accepts a connection

  @XFED-06 @major
  Scenario: Partners reach a best-priority federation target in its mode
    Source: RFC 2782 (priority, then weight); XEP-0368 §3 (_xmpps-server and _xmpp-server records merged by priority and weight)
    Remediation: Make the best-priority _xmpps-server/_xmpp-server records name ports that serve them (direct TLS with ALPN xmpp-server, or STARTTLS), or give broken ones a worse priority.
    Given a client outside the network
    When it resolves the org's XMPP domain as a federating server would
    And every allowed partner sends a 1:1 message to the first test user
    Then every probe reached a federation target of the best priority, in that target's mode

  @XFED-07 @blocker
  Scenario: 1:1 messages cross between every allowed partner and every test user, group chat does not
    Source: Webex Help Center, XMPP federation in Webex (help.webex.com 05i99o: 1:1 messaging only); Cisco "Transitioning from Jabber to Webex" deployment guide, §XMPP Federation
    Remediation: Enable XMPP federation for the org and the test users, with the partners on the external allow list; the user's answer must come back over the site's own s2s stream to the partner.
    When every allowed partner sends a 1:1 message to every test user
    Then every message is answered by the user over the site's own stream
    When every allowed partner sends a group chat message to the first test user
    Then every group chat message is refused

  @XFED-08 @major
  Scenario: A blocked partner's messages are not delivered
    Source: Cisco "Transitioning from Jabber to Webex" deployment guide, §XMPP Federation (the external allow/block list applies); Webex Help Center, XMPP federation in Webex
    Remediation: Put the partner domain on the org's external communication block list (or off the allow list) in Control Hub, or on the IM&P/Expressway federation policy before the cutover.
    When every blocked partner sends a 1:1 message to every test user
    Then no message from a blocked partner is delivered

  @XFED-09 @major
  Scenario: The org federates one XMPP domain
    Source: Cisco "Transitioning from Jabber to Webex" deployment guide, §XMPP Federation (one federated domain per org)
    Remediation: Publish _xmpp-server/_xmpps-server only for the org's XMPP domain; remove them from every other domain of the site.
    Given a client outside the network
    When it looks up the XMPP federation records of every other domain of the site
    Then no other domain of the site publishes XMPP federation

  @XFED-10 @minor
  Scenario: A partner that demands authenticated TLS federates with SASL EXTERNAL
    Source: Webex Help Center, XMPP federation in Webex (TLS only where the peer accepts it); XEP-0178 §3; RFC 6120 §13.7.1.2
    Remediation: Give the federation host a certificate from a public CA with the XMPP domain as DNS-ID or SRV-ID (_xmpp-server.<domain>); partners with s2s_secure_auth refuse anything else. Where Webex cannot offer it, tell such partners federation will not work.
    When every partner that demands authenticated TLS sends a 1:1 message to the first test user
    Then every such message is answered over TLS authenticated with SASL EXTERNAL

  @XFED-11 @major
  Scenario: A partner whose certificate the site cannot verify federates by server dialback
    Source: XEP-0220 §2.1 and §2.4 (server dialback: the receiving server verifies the key with the sender's authoritative server); XEP-0178 §3 (dialback where SASL EXTERNAL is not possible); RFC 6120 §13.7.1.2
    Remediation: Keep server dialback enabled on the federation host ; partners whose certificates do not name their XMPP domain authenticate only by dialback.
    When every partner that accepts dialback sends a 1:1 message to the first test user
    Then every partner that could not use SASL EXTERNAL is answered over a stream authenticated by dialback

  @XFED-12 @major
  Scenario: Every STARTTLS federation target requires TLS, and offers no SASL before it
    Source: RFC 6120 §5.3.1 (STARTTLS advertised, <required/> when mandatory-to-negotiate), §5.4.3.3 and §13.7 (TLS before SASL and dialback); Cisco Expressway administrator guide, XMPP federation (Require TLS)
    Remediation: Make TLS mandatory for XMPP federation on every host the _xmpp-server records name (Expressway: Require TLS; Webex: always): offer STARTTLS as required and no SASL before it (a dialback advertisement beside a required STARTTLS is refused until TLS).
    Given a client outside the network
    When it resolves the org's XMPP domain as a federating server would
    And it opens an XMPP stream to every "_xmpp-server" target
    Then every one offers STARTTLS as required and no SASL before TLS
