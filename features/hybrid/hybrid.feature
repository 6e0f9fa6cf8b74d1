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

  @HYB-03 @blocker
  Scenario: Jabber text reaches the Webex identity by email and the Webex reply reaches the JID
    Source: Cisco "Transitioning from Jabber to Webex" deployment guide, §Enable Hybrid Messaging Service; Cisco "Deployment Guide for Hybrid Message Service", §Message flow (JID → Directory URI → Webex email, and back)
    Remediation: Check the connector's status in Control Hub and on Expressway-C (its XMPP link to the IM&P publisher on TCP 7400 and AXL on 8443, and 443 to Webex), then each user's Directory URI and enablement.
    Given a client inside the network
    Then every other migrating user's Jabber message reaches the first migrating user in Webex and the Webex reply reaches their JID

  @HYB-04 @major
  Scenario: A user whose JID is not their email is still reached both ways
    Source: Cisco "Transitioning from Jabber to Webex" deployment guide, §Enable Hybrid Messaging Service (the connector maps the JID through the Directory URI, so the JID need not be the email)
    Remediation: Keep the Directory URI equal to the Webex email for users whose JID differs; a connector that routes to the JID itself needs the Directory URI mapping restored.
    Given a client inside the network
    Then every migrating user whose JID is not their email is reached in Webex and their Webex reply reaches the sender's JID

  @HYB-05 @major @serial
  Scenario: A Directory URI change routes to the new email within 10 minutes
    Source: Cisco "Deployment Guide for Hybrid Message Service", §Directory URI mapping (the connector reads JIDs and Directory URIs every 10 minutes)
    Remediation: Keep the connector's directory sync at 10 minutes and its AXL access to the IM&P publisher working, so that an email change in LDAP routes within 10 minutes.
    Given a client inside the network
    Then a changed Directory URI routes to the new Webex identity within the connector's sync window

  @HYB-06 @major
  Scenario: Group chat, rich text and files from Jabber are reported as not bridged
    Source: Cisco "Deployment Guide for Hybrid Message Service", §Limitations (1:1 plain text only: no group chat, no formatting, no file transfer from Jabber)
    Remediation: Tell users the limits before the cutover; a connector that drops such messages silently must report them to the sender.
    Given a client inside the network
    Then group chat, rich text and a file sent from Jabber are reported to the sender as not bridged

  @HYB-07 @major @serial
  Scenario: Presence goes one way only, from Webex to Jabber within the poll
    Source: Cisco "Deployment Guide for Hybrid Message Service", §Presence (Webex presence is polled every 10 minutes, "Available @ Webex"; Jabber presence is not sent to Webex); Webex help article n8gtpu7
    Remediation: Leave the connector's presence poll at 10 minutes and do not push Jabber presence into Webex; users see each other's Webex state only.
    Given a client inside the network
    Then Jabber presence never reaches Webex and Webex activity shows in Jabber within the presence poll

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
