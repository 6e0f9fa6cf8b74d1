#!/usr/bin/env python3
"""Writes the user exports with Python's csv module, the way a spreadsheet
or a script that post-processes Bulk Administration and Control Hub exports
does (CRLF, a UTF-8 BOM, quoting where needed), for the bulk check.

Usage: hybrid_csv.py DIR healthy|defects   (writes DIR/hybrid/*.csv)
       hybrid_csv.py check RESULTS_JSON      (HYB-15 must list the defects)"""
import csv
import json
import os
import sys

UCM = ["USER ID", "MAIL ID", "DIRECTORY URI", "HOME CLUSTER",
       "ENABLE USER FOR UNIFIED CM IM AND PRESENCE", "ASSIGNED PRESENCE SERVER", "CONTROLLED DEVICE 1"]
HUB = ["User ID/Email (Required)", "User Status", "Hybrid Message Service"]
USERS = [
    ("alice", "alice@example.com", "t", "CSFALICE"),
    ("bsmith", "bob@example.com", "t", "CSFBOB"),
    ("o'brien, pat", "pat.obrien@example.com", "t", ""),        # a comma and a quote: quoted
    ("zoë", "zoe@example.com", "t", 'TAB"ZOE'),                 # UTF-8 and an embedded quote
]

if sys.argv[1] == "check":
    res = json.load(open(sys.argv[2]))
    hyb = [c for c in res["checks"] if c["id"] == "HYB-15"][0]
    subs = {s["name"]: s for s in hyb.get("subjects") or []}
    fails = sorted(n for n, s in subs.items() if s["verdict"] == "fail")
    want = ["mallory", "zoë"]
    print("interop-csv: HYB-15 %s, failing subjects %s" % (hyb["verdict"], fails))
    if hyb["verdict"] != "fail" or fails != want:
        raise SystemExit("want HYB-15 to fail for exactly %s" % want)
    for n in ("alice", "bsmith", "o'brien, pat"):
        if subs.get(n, {}).get("verdict") != "pass":
            raise SystemExit("want %s to pass, got %s" % (n, subs.get(n)))
    sys.exit(0)

d, mode = os.path.join(sys.argv[1], "hybrid"), sys.argv[2]
os.makedirs(d, exist_ok=True)
users = list(USERS)
hub = [(u[1], "Active", "TRUE") for u in users]
if mode == "defects":
    hub[3] = ("zoe@example.com", "Active", "FALSE")                # Hybrid Message not assigned
    users.append(("mallory", "", "t", ""))                         # no email at all
with open(os.path.join(d, "ucm-a-users.csv"), "w", newline="", encoding="utf-8-sig") as f:
    w = csv.writer(f)
    w.writerow(UCM)
    for uid, mail, imp, dev in users:
        w.writerow([uid, mail, mail, "t", imp, "imp1.example.com", dev])
with open(os.path.join(d, "controlhub-users.csv"), "w", newline="", encoding="utf-8-sig") as f:
    w = csv.writer(f, quoting=csv.QUOTE_ALL)
    w.writerow(HUB)
    w.writerows(hub)
print("interop-csv: wrote %s exports (%d UCM users) with Python's csv module" % (mode, len(users)))
