#!/usr/bin/env python3
"""A Jabber user on an independent XMPP client (slixmpp) messages a user
who has moved to Webex, through the fakes' IM&P c2s and the Hybrid Message
connector, and gets the Webex reply back; group chat is refused.

Usage: hybrid_slixmpp.py LAB_TARGET  (the environment holds the passwords
and tokens `cutover fakes` printed). Exit 0 on success."""
import asyncio
import http.client
import json
import os
import re
import socket
import ssl
import sys
import time
import urllib.parse

import slixmpp

target = sys.argv[1]
text = open(target).read()
connect = dict(re.findall(r"- from: (\S+)\n\s+to: (\S+)", text))
ca = os.path.join(os.path.dirname(target), "lab.ca.pem")
c2s = connect["127.0.1.21:5222"].rsplit(":", 1)
webex = connect["127.0.6.1:443"].rsplit(":", 1)
ALICE, BOB = "alice@example.com", "bsmith@example.com"
NONCE = "interop %d" % time.time_ns()


class WebexConn(http.client.HTTPSConnection):
    def connect(self):
        sock = socket.create_connection((webex[0], int(webex[1])), 5)
        self.sock = self._context.wrap_socket(sock, server_hostname="webexapis.com")


def webex_call(method, path, token, body=None):
    ctx = ssl.create_default_context(cafile=ca)
    c = WebexConn("webexapis.com", int(webex[1]), context=ctx, timeout=5)
    headers = {"Authorization": "Bearer " + token}
    if body is not None:
        body = json.dumps(body)
        headers["Content-Type"] = "application/json"
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    data = r.read()
    if r.status != 200:
        raise SystemExit("webex %s %s: %d %s" % (method, path, r.status, data[:200]))
    return json.loads(data)


class Jabber(slixmpp.ClientXMPP):
    def __init__(self):
        super().__init__(ALICE + "/interop", os.environ["CUTOVER_PASSWORD_ALICE"])
        self.ssl_context = ssl.create_default_context(cafile=ca)
        self.reply = asyncio.get_event_loop().create_future()
        self.refused = asyncio.get_event_loop().create_future()
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("message", self.on_message)
        self.add_event_handler("message_error", self.on_error)

    async def start(self, _):
        self.send_message(mto=BOB, mbody=NONCE + " hello", mtype="chat")
        token = os.environ["CUTOVER_WEBEX_TOKEN_BOB"]
        q = "/v1/messages/direct?personEmail=" + urllib.parse.quote(ALICE)
        for _ in range(100):
            items = webex_call("GET", q, token)["items"]
            if any(m.get("text") == NONCE + " hello" for m in items):
                break
            await asyncio.sleep(0.05)
        else:
            self.reply.set_exception(SystemExit("the Jabber message never reached bob's Webex space"))
            return
        print("interop-slixmpp: Jabber %s -> Webex bob@example.com: delivered" % ALICE)
        webex_call("POST", "/v1/messages", token, {"toPersonEmail": ALICE, "text": NONCE + " reply"})
        self.send_message(mto=BOB, mbody=NONCE + " group", mtype="groupchat")

    def on_message(self, msg):
        if msg["type"] in ("chat", "normal") and msg["body"] == NONCE + " reply" and not self.reply.done():
            print("interop-slixmpp: Webex reply reached %s from %s" % (ALICE, msg["from"].bare))
            self.reply.set_result(msg["from"].bare)

    def on_error(self, msg):
        if not self.refused.done():
            print("interop-slixmpp: group chat refused: %s" % msg["error"]["text"])
            self.refused.set_result(True)


async def main():
    x = Jabber()
    x.connect(address=(c2s[0], int(c2s[1])))
    try:
        who = await asyncio.wait_for(x.reply, 20)
        await asyncio.wait_for(x.refused, 10)
    finally:
        x.disconnect()
    if who != BOB:
        raise SystemExit("the reply came from %s, want %s" % (who, BOB))


asyncio.get_event_loop().run_until_complete(main())
print("interop-slixmpp: PASS")
