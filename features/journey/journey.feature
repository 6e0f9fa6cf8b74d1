@journey
Feature: Journey per identity
  Each test user of the target is followed through one day across the
  capabilities, in the order of a cutover: the client discovers UCM inside
  and MRA outside, then SSO sign-in to UCM with the access token
  accepted on every node, and SIP OAuth registration of every softphone
  device with that token, then messaging: 1:1 federation with every
  allowed partner (group chat refused after the cutover) and Jabber to
  Webex routing by email for a migrating user. A user's day
  stops at the first stage that breaks, and the report says where.

  # @serial: it registers the same devices as SIPO-02, which a real UCM
  # would see as one device registering twice at once.
  @JRNY-01 @blocker @serial
  Scenario: Every test user's day across the capabilities completes
    Source: Cisco "Transitioning from Jabber to Webex" deployment guide, §Service Discovery, Authentication and Configuration (Figures 3 and 4)
    Remediation: Fix the first stage that breaks for each user named: its own check (the same stage's DISC, SSO, SIPO, XFED or HYB check) says what to change on the site.
    When every test user's day is followed through every capability
    Then every test user's day completes
