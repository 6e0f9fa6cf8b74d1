@hybrid
Feature: Hybrid Messaging between Jabber and the Webex App
  While users move, the Hybrid Message connector on Expressway-C bridges
  1:1 text between a Jabber user on IM&P (addressed by JID) and a Webex App
  user (addressed by email). It polls IM&P's directory over AXL for each
  user's JID and Directory URI and routes the JID to the Webex identity
  whose email is the Directory URI. Which users migrate, their JIDs, Webex
  emails, the connector topology and the user exports come from the
  target; protocol constants and the guide's limits are written here.

  @HYB-01 @blocker
  Scenario: Every migrating user's Directory URI is their Webex email
    Source: Cisco "Transitioning from Jabber to Webex" deployment guide, §Enable Hybrid Messaging Service (the Directory URI must match the Webex email); Cisco "Deployment Guide for Hybrid Message Service", §Directory URI mapping
    Remediation: Map LDAP mail to the Directory URI in UCM's LDAP directory settings and make each user's mail their Webex sign-in email; the connector sees the change at its next directory sync (10 minutes).
    Given a client inside the network
    When it reads the IM&P directory over AXL
    Then every migrating user's Directory URI is their Webex email

  @HYB-02 @major
  Scenario: Every migrating user has an email the connector can route to
    Source: Cisco "Deployment Guide for Hybrid Message Service", §Directory URI mapping (the connector routes by the Directory URI); a user without one is never matched
    Remediation: Give every migrating user a mail attribute in LDAP synced to UCM as the Directory URI; a user without one cannot be reached from Webex.
    Given a client inside the network
    When it reads the IM&P directory over AXL
    Then every migrating user has a Directory URI

  @HYB-08 @blocker
  Scenario: Every migrating user is enabled on both sides
    Source: Cisco "Transitioning from Jabber to Webex" deployment guide, §Enable Hybrid Messaging Service (enable users for IM and Presence in UCM and for Hybrid Message in Control Hub)
    Remediation: Enable each migrating user for Unified CM IM and Presence in UCM and assign them the Hybrid Message service in Control Hub; a user enabled on one side only is not bridged.
    Given a client inside the network
    When it reads the IM&P directory over AXL
    And it reads the Control Hub users export
    Then every migrating user is enabled for IM and Presence and for Hybrid Message

  @HYB-09 @major
  Scenario: The connector topology is within the Hybrid Message scale limits
    Source: Cisco "Deployment Guide for Hybrid Message Service", §Scalability (195,000 users per organisation; at most 5 IM&P clusters per connector cluster and one connector cluster per IM&P cluster; 15,000 users per node, 75,000 per cluster; 100 per node and 500 per cluster co-resident on MRA)
    Remediation: Split the IM&P clusters or users over more connector clusters or nodes until every limit holds; never let two connector clusters serve one IM&P cluster.
    Given the connector topology the target declares
    Then it is within the Hybrid Message scale limits

  @HYB-10 @major
  Scenario: No two IM&P users claim one email
    Source: Cisco "Deployment Guide for Hybrid Message Service", §Directory URI mapping (one IM&P user per Webex identity)
    Remediation: Give each user a Directory URI of their own: two users with one Directory URI cannot be mapped to a Webex identity.
    Given a client inside the network
    When it reads the IM&P directory over AXL
    Then no two IM&P users claim one email

  @HYB-12 @major
  Scenario: Every migrating user exists in IM&P and in Webex
    Source: Cisco "Transitioning from Jabber to Webex" deployment guide, §Before you begin (users exist in UCM/IM&P and are added to Control Hub)
    Remediation: Sync the user into UCM and IM&P, and add (or sync) their Webex identity in Control Hub with the email their Directory URI holds.
    Given a client inside the network
    When it reads the IM&P directory over AXL
    And it looks up every migrating user's Webex email in Webex
    Then every migrating user is in IM&P and in Webex

  @HYB-15 @major
  Scenario: Every user of the user exports is routable
    Source: Cisco "Transitioning from Jabber to Webex" deployment guide, §Enable Hybrid Messaging Service; Cisco "Deployment Guide for Hybrid Message Service", §Directory URI mapping and §Scalability
    Remediation: Fix each user the bulk report lists by its reason (Directory URI, email, enablement, duplicates), re-export from Bulk Administration (All User Details) and Control Hub, and run again.
    When it certifies every user of the user exports the target names
    Then every exported user is routable

  @HYB-16 @major
  Scenario: AXL does not serve the directory without authentication
    Source: Cisco AXL API reference (developer.cisco.com), §Authentication (HTTP Basic, an application user with an AXL role)
    Remediation: Require authentication for AXL on the IM&P publisher: only an application user with a read-only AXL role may read the directory.
    Given a client inside the network
    When it reads the IM&P directory over AXL without credentials
    Then the answer is 401
