@sso
Feature: SSO reuse and OAuth
  The Webex App signs in to Webex through the organisation's SAML IdP, then
  to UCM's OAuth service in the same embedded browser: on one IdP the IdP
  session is reused and UCM asks for nothing more. UCM answers with an
  access token (UDS, SIP OAuth, Expressway) and, with the refresh login
  flow, a refresh token that renews it without the IdP. The IdP, the
  Webex sign-in start, the OAuth client and the revoke administrator come
  from the target's sso section; users and clusters from the target.

  @SSO-01 @blocker
  Scenario: One IdP sign-in gives Webex and UCM access without a second prompt
    Source: Cisco "Transitioning from Jabber to Webex" deployment guide, §Service Discovery, Authentication and Configuration (the Webex App reuses the IdP session for UCM on Windows and Mac)
    Remediation: Put the Webex organisation and UCM on the same SAML IdP with SSO enabled on both, and let the IdP keep its session cookie (no forced re-authentication per service provider), so that UCM's sign-in reuses the Webex one.
    Given a client inside the network
    When every test user signs in to Webex
    And every test user signs in to UCM in the same browser
    Then every Webex sign-in showed one credential prompt, at the IdP
    And no UCM sign-in showed a credential prompt
    And every test user holds a UCM access token

  @SSO-02 @major
  Scenario: Webex and UCM send the browser to the same IdP
    Source: Cisco "Transitioning from Jabber to Webex" deployment guide, §Enable Single Sign-On (with different IdPs, or UCM not enabled for SSO, users are prompted twice)
    Remediation: Enable SAML SSO on UCM against the IdP the Webex organisation uses (import that IdP's metadata on UCM, UCM's SP metadata on the IdP).
    Given a client inside the network
    When every test user signs in to Webex
    And every test user signs in to UCM in the same browser
    Then both sign-ins went to the IdP the target names and UCM showed no login form of its own

  @SSO-03 @blocker
  Scenario: The refresh login flow is on in UCM and Expressway accepts its tokens
    Source: Cisco Feature Configuration Guide for Unified CM, "OAuth with Refresh Login Flow" (default Disabled); Cisco Expressway Administrator Guide, "Authorize by OAuth token with refresh" (default On); "Transitioning from Jabber to Webex" deployment guide, §OAuth
    Remediation: Set the UCM enterprise parameter "OAuth with Refresh Login Flow" to Enabled and keep "Authorize by OAuth token with refresh" On on Expressway-C: both must be on for the Webex App's secure calling and for sign-in without a prompt at every launch.
    Given a client inside the network
    When every test user signs in to UCM
    Then every sign-in used the code grant and returned a refresh token
    Given a client outside the network
    When every test user asks Expressway-E for get_edge_config with the access token
    Then Expressway-E accepted every access token

  @SSO-04 @blocker
  Scenario: A refresh token yields a new access token without the IdP
    Source: Cisco TN212794 "OAuth code grant for Jabber" (refresh token, signed JWT access tokens)
    Remediation: Enable the refresh login flow on UCM and do not regenerate the OAuth keys during the cutover; the token endpoint must answer the refresh_token grant with a new access token that UDS accepts.
    Given a client inside the network
    When every test user signs in to UCM
    And every test user refreshes the access token
    Then every refresh returned a new access token without a browser
    And every access token is a JWT of 3 (signed) or 5 (encrypted) parts
    And UDS accepts every test user's access token

  @SSO-07 @minor
  Scenario: Token lifetimes are within UCM's ranges
    Source: Cisco Feature Configuration Guide for Unified CM, OAuth enterprise parameters (access token 1–1440 minutes, default 60; refresh token 1–365 days, default 60)
    Remediation: Set "OAuth Access Token Expiry Timer" within 1–1440 minutes and "OAuth Refresh Token Expiry Timer" within 1–365 days on UCM.
    Given a client inside the network
    When every test user signs in to UCM
    Then every access token lives between 1 and 1440 minutes
    And every refresh token lives between 1 and 365 days

  @SSO-09 @major
  Scenario: The IdP metadata is valid and its signing certificate is not about to expire
    Source: OASIS SAML 2.0 Metadata (saml-metadata-2.0-os) §2.4.1.1 KeyDescriptor; Cisco "Transitioning from Jabber to Webex" deployment guide, §Enable Single Sign-On
    Remediation: Roll the IdP's signing certificate over before it expires and re-import the IdP metadata on UCM and in Control Hub; publish metadata with an SSO service and the signing certificate.
    Given a client inside the network
    When it fetches the IdP metadata
    Then the metadata names an SSO service and a signing certificate
    And every signing certificate is valid for at least 30 more days

  @SSO-10 @blocker
  Scenario: The assertion the IdP posts to UCM is valid for UCM
    Source: OASIS SAML 2.0 Core (saml-core-2.0-os) §2.5.1 Conditions; SAML 2.0 Profiles (saml-profiles-2.0-os) §4.1.4.2–4.1.4.3 (Destination, Recipient, Audience, signature)
    Remediation: On the IdP, sign the assertion with the key in its published metadata, name UCM's entity ID as the audience and UCM's ACS as recipient and destination, and keep the IdP's clock on NTP.
    Given a client inside the network
    When it fetches the IdP metadata
    And every test user signs in to UCM
    Then every assertion posted to UCM verifies against the IdP metadata for UCM's entity ID and ACS

  @SSO-11 @major
  Scenario: The assertion names the user as UCM knows them
    Source: Cisco "Transitioning from Jabber to Webex" deployment guide, §Users and Authentication (the IdP's NameID or uid must match the UCM user ID or email)
    Remediation: Make the IdP send the user's email as NameID (or the UCM user ID in the uid attribute) for the UCM relying party.
    Given a client inside the network
    When it fetches the IdP metadata
    And every test user signs in to UCM
    Then every assertion's NameID is the user's email or its uid attribute the username

  @SSO-14 @major
  Scenario: Access tokens are valid on every node of the user's cluster
    Source: Cisco TN212794 "OAuth code grant for Jabber" (the OAuth keys are cluster-wide)
    Remediation: Keep one set of OAuth keys for the whole cluster (regenerate them on the publisher only and let them replicate); a node with keys of its own refuses the tokens of the others.
    Given a client inside the network
    When every test user signs in to UCM
    Then every node of the user's home cluster accepts the access token on UDS

  @SSO-05 @major @serial
  Scenario: UDS refuses an expired access token and accepts a fresh one
    Source: Cisco "Transitioning from Jabber to Webex" deployment guide, §OAuth; Cisco Feature Configuration Guide for Unified CM, OAuth access token expiry
    Remediation: Make UCM check the access token's expiry: an expired token must be refused (the app then refreshes it or signs in again).
    Given a client inside the network
    When every test user signs in to UCM
    Then UDS accepts every test user's access token
    When the access tokens' lifetime passes
    Then UDS refuses every test user's expired access token

  @SSO-13 @major @serial
  Scenario: After the access token expires a refresh restores UDS access without the IdP
    Source: Cisco "Transitioning from Jabber to Webex" deployment guide, §OAuth (subsequent logins use the refresh token); Cisco TN212794 "OAuth code grant for Jabber"
    Remediation: Enable the refresh login flow on UCM and set the refresh token expiry longer than the access token's, so that the app renews its access without a sign-in.
    Given a client inside the network
    When every test user signs in to UCM
    And the access tokens' lifetime passes
    And every test user refreshes the access token
    Then every refresh returned a new access token without a browser
    And UDS accepts every test user's access token

  @SSO-06 @major @serial
  Scenario: Revoking a user's tokens stops that user's refresh and no one else's
    Source: Cisco TN212794 "OAuth code grant for Jabber" and Cisco Feature Configuration Guide for Unified CM (the /ssosp/token/revoke API)
    Remediation: Make UCM's revoke API void the user's refresh tokens (and only that user's), so that a lost device or a departed user cannot renew access.
    Given a client inside the network
    When every test user signs in to UCM
    And the administrator revokes the tokens of the first test user
    Then the first test user's refresh is refused
    And every other test user's refresh still works
