@sip
Feature: SIP OAuth registration
  The Webex App has no CAPF: its softphone devices (CSF, BOT, TCT, TAB)
  register securely with SIP OAuth. It reads the device's configuration
  file to learn that SIP OAuth is on and which ports to use, REGISTERs over
  TLS on the node's SIP OAuth port (from Expressway-C over mutual TLS on
  the MRA OAuth port), is challenged with 407 Bearer realm "ccmsipline" and
  answers with the user's UCM access token. Nodes, ports, users, devices
  and device types come from the target; protocol constants are written
  here.

  @SIPO-01 @blocker
  Scenario: Every UCM node challenges a REGISTER without credentials with UCM's Bearer 407
    Source: Cisco TN215572 "Jabber and SIP OAuth Mode", the sample registration (REGISTER, 407 Proxy Authentication Required, Proxy-Authenticate: Bearer realm="ccmsipline"); RFC 8898 §2.2
    Remediation: Enable SIP OAuth on the cluster (utils sipOAuth-mode enable on the publisher, then restart Cisco CallManager on every node) so that the SIP OAuth port of every node challenges with Bearer realm "ccmsipline"; never register without credentials there.
    Given a client inside the network
    When it sends REGISTER without credentials to the SIP OAuth port of every UCM node
    Then every node answers 407 with Proxy-Authenticate Bearer realm "ccmsipline"

  @SIPO-02 @blocker
  Scenario: Every softphone device of every test user registers with the user's UCM access token
    Source: Cisco TN215572 "Jabber and SIP OAuth Mode", the sample registration (Proxy-Authorization: Bearer token, 200 OK with the device's Contact: +u.sip!devicename.ccm.cisco.com); "Transitioning from Jabber to Webex" deployment guide, Table 4 (device types)
    Remediation: Give every node of the cluster the cluster's OAuth keys (regenerate them on the publisher, they replicate) with its time in sync, enable OAuth in each device's security profile, and make the users the owners of their CSF, BOT, TCT and TAB devices.
    Given a client inside the network
    When every test user's devices register on the SIP OAuth port of their home cluster with the user's UCM access token
    Then every device is answered 200 listing its contact with the device's name, and unregisters

  @SIPO-03 @major
  Scenario: No softphone device's security profile lacks OAuth
    Source: Cisco TN215572 "Jabber and SIP OAuth Mode", §Troubleshoot, Scenario 1 (403 Forbidden, Warning: 399 "SIP OAuth Registration port Mismatch")
    Remediation: Check "Enable OAuth Authentication" in the SIP phone security profile of every CSF, BOT, TCT and TAB device and reset the devices; a profile without it gets 403 port mismatch on the OAuth port.
    Given a client inside the network
    When every test user's devices send REGISTER without credentials to the SIP OAuth port of their home cluster
    Then no device is answered 403 "SIP OAuth Registration port Mismatch"

  @SIPO-05 @blocker
  Scenario: Device configuration turns SIP OAuth on with both ports, and the ports listen on every node
    Source: Cisco TN215572 "Jabber and SIP OAuth Mode", §Overall Architecture (sipOAuthMode, sipOAuthPort 5090, sipMRAOAuthPort 5091 in the device configuration file; ports per node)
    Remediation: Enable cluster SIP OAuth mode, set the SIP OAuth ports of every node (System > Cisco Unified CM: SIP Phone OAuth Port, SIP Mobile and Remote Access Port) to the values the clients are given, and restart Cisco CallManager so that they listen.
    Given a client inside the network
    When it fetches the configuration file of every test user's first device from the user's home cluster
    Then every configuration has sipOAuthMode 1 and the target's OAuth ports for every node
    And the SIP OAuth port and the MRA OAuth port listen on every UCM node

  @SIPO-06 @major
  Scenario: The MRA OAuth port takes Expressway-C's certificate and refuses an unknown signer
    Source: Cisco TN215572 "Jabber and SIP OAuth Mode", §Troubleshoot, Scenario 3 (mutual TLS on 5091 fails with Unknown CA when a signer is missing); §Verify Expressway-C SAN Entries
    Remediation: Upload the CA that signed Expressway-C's certificate to tomcat-trust on every UCM node (and UCM's to Expressway-C), keep Expressway-C's name in its certificate, and trust no other signer on the MRA OAuth port.
    Given a client inside the network
    When Expressway-C connects with its client certificate to the MRA OAuth port of every UCM node
    Then every node completes mutual TLS and challenges REGISTER with 407
    When a client with a certificate from an unknown CA connects to the MRA OAuth port of every UCM node
    Then every node refuses it before any SIP answer

  @SIPO-11 @major
  Scenario: The MRA OAuth port refuses a TLS client that presents no certificate
    Source: Cisco TN215572 "Jabber and SIP OAuth Mode", §Overall Architecture (the MRA OAuth port 5091 is mutual TLS between Expressway-C and UCM); §Troubleshoot, Scenario 3
    Remediation: Make the SIP MRA OAuth port of every UCM node mutual TLS (it must require the client certificate of Expressway-C, signed by a CA in tomcat-trust) and restart Cisco CallManager; a port that takes a client without a certificate lets anyone reach the registrar as if it were Expressway-C.
    Given a client inside the network
    When a client without a certificate connects to the MRA OAuth port of every UCM node
    Then every node asks for a client certificate and refuses the client before any SIP answer

  @SIPO-10 @major
  Scenario: The SIP OAuth port of every node refuses TLS below 1.2
    Source: RFC 8996 §2-3 (TLS 1.0 and 1.1 must not be used); Cisco TN215572 "Jabber and SIP OAuth Mode", §Overall Architecture (the OAuth port is TLS with the node's Tomcat certificate)
    Remediation: Set the minimum TLS version of every UCM node to 1.2 (set tls min-version 1.2 on the CLI) and restart them; the bearer tokens must never cross TLS 1.0 or 1.1.
    Given a client inside the network
    When it offers only TLS 1.0 and 1.1 to the SIP OAuth port of every UCM node
    Then every node refuses the handshake

  @SIPO-07 @major
  Scenario: Every test user has a device for every platform in scope, configured on UCM
    Source: Cisco "Transitioning from Jabber to Webex" deployment guide, Table 4 (CSF: Windows and Mac; BOT: Android phone; TCT: iPhone; TAB: Android tablet and iPad)
    Remediation: Create a CSF, BOT, TCT or TAB device for every platform each user runs, owned by the user, with an OAuth-enabled SIP profile; list them under the user's devices in the target.
    Given a client inside the network
    When it fetches the configuration file of every device of every test user from the user's home cluster
    Then every test user has a device of every device type in scope, each with a configuration file

  @SIPO-08 @major
  Scenario: A standard registrar challenges with RFC 8898 Bearer naming a trusted authorization server
    Source: RFC 8898 §2.1.1 (the client follows only a trusted authz_server), §2.2 (401 WWW-Authenticate: Bearer), §4 (realm, scope, authz_server)
    Remediation: Configure the registrar's Bearer challenge with realm, scope and the authz_server URL of the site's authorization server, and list that URL in the clients' trusted servers.
    Given a client inside the network
    When it sends REGISTER without credentials to the RFC 8898 registrar
    Then the registrar answers 401 with a Bearer challenge naming realm, scope and a trusted authz_server

  @SIPO-04 @major @serial
  Scenario: A tampered or expired access token never registers
    Source: RFC 8898 §2.2 (the registrar validates the token); RFC 6750 §3.1 (invalid_token: expired, revoked, malformed or invalid); Cisco TN215572 "Jabber and SIP OAuth Mode", the sample registration
    Remediation: Make the SIP OAuth ports verify every token's signature with the cluster's current keys and its expiry against a clock kept by NTP; a registrar that takes a bad token lets anyone register as the user.
    Given a client inside the network
    When every test user's first device registers with a tampered copy of the user's access token
    Then no tampered token is answered 200
    When the users' access tokens have expired
    And every test user's first device registers with the user's expired access token
    Then no expired token is answered 200

  # @serial: it registers the same devices as SIPO-02, which a real UCM
  # would see as one device registering twice at once.
  @SIPO-09 @minor @serial
  Scenario: UCM's registrar reads both forms of Bearer credentials
    Source: Cisco TN215572 "Jabber and SIP OAuth Mode", the sample registration (Proxy-Authorization: Bearer token="…"); RFC 6750 §2.1 (Authorization: Bearer b64token); RFC 8898 §2.2
    Remediation: Run a UCM release whose SIP OAuth port accepts both Bearer token="…" and the RFC 6750 form, or keep every client on the form the registrar reads.
    Given a client inside the network
    When every test user's first device registers with the token in the UCM form
    And every test user's first device registers with the token in the RFC 6750 form
    Then every registration in both forms is answered 200

  # @serial: it registers the same devices as SIPO-02.
  @SIPO-12 @major @serial
  Scenario: No registration outlives the access token it was made with
    Source: RFC 3261 §10.2.1 and §10.3 step 7 (the registrar may shorten the expiration asked and says in the 200 what it grants); RFC 6750 §3.1 (an expired token is invalid_token); Cisco TN215572 "Jabber and SIP OAuth Mode", the sample registration (Expires: 3600 asked, 120 granted)
    Remediation: Keep the registration time UCM grants on the SIP OAuth port (120 s by default) below the lifetime of the OAuth access token (System > Enterprise Parameters, OAuth Access Token Expiry Timer), so that a device re-registers, and shows a fresh token, before its token expires.
    Given a client inside the network
    When every test user's first device registers with the user's access token asking for a binding of 86400 seconds
    Then no registration is granted longer than the user's access token has left, and each unregisters
