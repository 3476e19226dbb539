#!/usr/bin/env python3
"""yagura intel export and yagura intel pull against code nobody here wrote.

1. Export: alerts (a Sigma hit, intel hits with and without a STIX
   indicator id, from JSON lines and from a state database) become a STIX
   2.1 bundle that the OASIS stix2-validator accepts object by object;
   sightings carry sighting_of_ref, where_sighted_refs (our identity),
   count, first_seen, last_seen and observed_data_refs; markings are TLP
   2.0 and an intel hit's sighting keeps the indicator's TLP:RED; exporting
   twice gives the same bytes.
2. Push: the bundle is POSTed to medallion (the OASIS reference server) and
   to yagura serve; both report every object stored.
3. Pull: yagura intel pull reads medallion's collection page by page
   (limit and next), then only what was added since; through a proxy that
   starts failing half-way it stores what it got, exits 1, and the next run
   resumes from the cursor without fetching everything again; through a
   proxy that strips `next` it pages by added_after.
"""
import glob
import http.server
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import taxii_common as tc  # noqa: E402
import watch_common as wc  # noqa: E402

tc.reexec()

from stix2validator import ValidationOptions, validate_instance  # noqa: E402

T = tc.Tally()
COLL = "365fed99-08fa-fdcd-a1b3-fb247eb41d01"
# The collection of the failing and the next-stripping proxy: smaller, since medallion's memory
# backend filters added_after in quadratic time (over the 1,050 objects of COLL each request
# of the added_after paging took 5 to 8 s).
COLL2 = "5b1c3a47-2d0e-4f8a-9c61-7e2f0d9b4a13"
COLL2_OBJECTS = 450


def alerts():
    rule = os.path.join(tc.SRC, "rules", "m365", "m365_panther_login_failed.yml")
    ev = {"ClientIP": "203.0.113.7", "UserId": "alice@example.com", "Operation": "UserLoginFailed",
          "Hashes": "SHA1=" + "a" * 40 + ",MD5=" + "b" * 32 + ",SHA256=" + "c" * 64,
          "DestinationHostname": "evil.example.net", "Url": "https://evil.example.net/x?y=1"}
    out = []
    for k in range(3):
        out.append({"timestamp": f"2025-03-0{k + 1}T10:00:00.000Z",
                    "rule": {"id": "6d5f8a1c-8b9e-4d2a-9c61-1b7a3e4f5a60", "title": "Login failed",
                             "level": "medium", "tags": [], "attack": [], "file": rule},
                    "logsource": {"product": "m365"}, "matched": {"Operation": "UserLoginFailed"},
                    "source": {"file": "x.json", "line": k + 1}, "event": ev})
    out.append({"timestamp": "2025-03-04T11:00:00Z",
                "rule": {"id": "intel", "title": "Intel hit", "level": "high", "file": ""},
                "matched": {"ClientIP": "198.51.100.9"}, "source": {"file": "y", "line": 1},
                "intel": {"indicator_id": "yagura-intel/ip/198.51.100.9", "type": "ip",
                          "value": "198.51.100.9", "source": "partner", "tlp": "TLP:RED",
                          "confidence": 80},
                "event": {"ClientIP": "198.51.100.9"}})
    out.append({"timestamp": "2025-03-05T11:00:00Z",
                "rule": {"id": "intel", "title": "Intel hit", "level": "high", "file": ""},
                "source": {"file": "y", "line": 2},
                "intel": {"indicator_id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                          "type": "domain", "value": "evil.example.net", "source": "partner",
                          "tlp": "TLP:GREEN"},
                "event": {"QueryName": "evil.example.net"}})
    return out


def export_checks(tmp):
    path = os.path.join(tmp, "alerts.jsonl")
    with open(path, "w") as f:
        for a in alerts():
            f.write(json.dumps(a) + "\n")
    b1, b2 = os.path.join(tmp, "b1.json"), os.path.join(tmp, "b2.json")
    r = subprocess.run([tc.YAGURA, "intel", "export", "--identity", "Yagura test", "-o", b1, path],
                       capture_output=True, text=True)
    T.check(r.returncode == 0, f"export: {r.stderr}")
    subprocess.run([tc.YAGURA, "intel", "export", "--identity", "Yagura test", "-o", b2, path],
                   capture_output=True)
    T.check(open(b1, "rb").read() == open(b2, "rb").read(), "export is deterministic")
    bundle = json.load(open(b1))
    objs = bundle["objects"]
    byid = {o["id"]: o for o in objs}
    opts = ValidationOptions(version="2.1")
    for o in objs:
        res = validate_instance(o, opts)
        T.check(res.is_valid, f"stix2-validator: {o['id']}: {[str(e) for e in res.errors][:2]}")
    ident = [o for o in objs if o["type"] == "identity"]
    T.check(len(ident) == 1 and ident[0]["name"] == "Yagura test", "one identity")
    sights = [o for o in objs if o["type"] == "sighting"]
    T.check(len(sights) == 3, f"three sightings ({len(sights)})")
    sigma = [o for o in objs if o["type"] == "indicator" and o.get("pattern_type") == "sigma"]
    T.check(len(sigma) == 1 and "UserLoginFailed" in sigma[0]["pattern"] or "title:" in sigma[0]["pattern"],
            "Sigma rule indicator with the rule text")
    for s in sights:
        T.check(s["where_sighted_refs"] == [ident[0]["id"]], "where_sighted_refs is us")
        T.check(s["first_seen"] <= s["last_seen"], "first_seen <= last_seen")
        for od in s.get("observed_data_refs", []):
            T.check(od in byid and byid[od]["type"] == "observed-data", "observed-data in bundle")
            for ref in byid[od]["object_refs"]:
                T.check(ref in byid, f"SCO {ref} in bundle")
    s_sigma = [s for s in sights if s["sighting_of_ref"] == sigma[0]["id"]]
    T.check(len(s_sigma) == 1 and s_sigma[0]["count"] == 3
            and s_sigma[0]["first_seen"].startswith("2025-03-01")
            and s_sigma[0]["last_seen"].startswith("2025-03-03"), "count, first_seen, last_seen")
    s_red = [s for s in sights if byid.get(s["sighting_of_ref"], {}).get("pattern", "").startswith("[ipv4-addr")]
    T.check(len(s_red) == 1 and s_red[0]["object_marking_refs"] == [tc.TLP["red"]],
            "intel hit sighting keeps TLP:RED")
    s_ext = [s for s in sights if s["sighting_of_ref"] == "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"]
    T.check(len(s_ext) == 1 and s_ext[0]["object_marking_refs"] == [tc.TLP["amber"]],
            "sighting of a partner's STIX indicator, default TLP:AMBER")
    types = {o["type"] for o in objs}
    T.check({"ipv4-addr", "file", "domain-name", "url", "user-account", "marking-definition"} <= types,
            f"SCOs and markings {types}")
    # From a state database.
    db = os.path.join(tmp, "state.db")
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE alerts(id TEXT PRIMARY KEY, rule_id TEXT, rule_title TEXT, level TEXT,"
                " event_time TEXT, source TEXT, record_id TEXT, json TEXT, stored_at INTEGER)")
    for i, a in enumerate(alerts()):
        con.execute("INSERT INTO alerts VALUES(?,?,?,?,?,?,?,?,?)",
                    (f"{i:032x}", a["rule"]["id"], "", "", "", "", "", json.dumps(a), i))
    con.commit()
    con.close()
    r = subprocess.run([tc.YAGURA, "intel", "export", "--identity", "Yagura test", "--tlp", "green", db],
                       capture_output=True, text=True)
    b3 = json.loads(r.stdout) if r.returncode == 0 else {"objects": []}
    T.check(len([o for o in b3["objects"] if o["type"] == "sighting"]) == 3, "export from a state database")
    # Alerts stored later but of older events (as alerts read from Kafka arrive): each sighting
    # counts them, and its version (modified) grows, or a TAXII store would keep the old count.
    con = sqlite3.connect(db)
    for i, a in enumerate(alerts()):
        a = dict(a, timestamp="2001-01-01T00:00:00.000Z", id=f"{i + 1000:032x}")
        con.execute("INSERT INTO alerts VALUES(?,?,?,?,?,?,?,?,?)",
                    (f"{i + 1000:032x}", a["rule"]["id"], "", "", "", "", "", json.dumps(a),
                     int(time.time() * 1000)))
    con.commit()
    con.close()
    r = subprocess.run([tc.YAGURA, "intel", "export", "--identity", "Yagura test", "--tlp", "green", db],
                       capture_output=True, text=True)
    b5 = json.loads(r.stdout) if r.returncode == 0 else {"objects": []}
    before = {o["id"]: o for o in b3["objects"] if o["type"] == "sighting"}
    after = {o["id"]: o for o in b5["objects"] if o["type"] == "sighting"}
    T.check(before and set(after) == set(before) and
            all(after[k]["count"] == 2 * before[k]["count"] and
                after[k]["last_seen"] == before[k]["last_seen"] and
                after[k]["modified"] > before[k]["modified"] for k in before),
            "older events stored later: each sighting counts them, in a newer version "
            f"({[(o['count'], o['modified']) for o in after.values()]})")
    r = subprocess.run([tc.YAGURA, "intel", "export", "--min-level", "high", path], capture_output=True, text=True)
    b4 = json.loads(r.stdout) if r.returncode == 0 else {"objects": []}
    T.check(len([o for o in b4["objects"] if o["type"] == "sighting"]) == 2, "--min-level")
    return b1, len(objs)


class Proxy(http.server.BaseHTTPRequestHandler):
    """Forwards to medallion; can fail after a number of pages or strip next."""
    target = ""
    mode = "pass"
    served = 0
    fail_after = 3

    def do_GET(self):
        cls = type(self)
        if cls.mode == "fail" and cls.served >= cls.fail_after:
            self.send_response(503)
            self.end_headers()
            return
        req = urllib.request.Request(cls.target + self.path, headers={
            k: v for k, v in self.headers.items() if k.lower() in ("accept", "authorization")})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                body, status, hdrs = r.read(), r.status, r.headers
        except urllib.error.HTTPError as e:
            body, status, hdrs = e.read(), e.code, e.headers
        if cls.mode == "strip-next" and status == 200:
            env = json.loads(body)
            env.pop("next", None)
            body = json.dumps(env).encode()
        cls.served += 1
        self.send_response(status)
        for k in ("Content-Type", "X-TAXII-Date-Added-First", "X-TAXII-Date-Added-Last"):
            if hdrs.get(k):
                self.send_header(k, hdrs.get(k))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def pulled_ids(d):
    ids = set()
    n = 0
    for f in glob.glob(os.path.join(d, "*.json")):
        for o in json.load(open(f))["objects"]:
            ids.add(o["id"])
            n += 1
    return ids, n


def pull(cfg, partner):
    r = subprocess.run([tc.YAGURA, "intel", "pull", "-c", cfg, "-p", partner], capture_output=True,
                       text=True, timeout=300)
    return r.returncode, r.stderr


def medallion_checks(tmp, bundle_path, nobj):
    # medallion_run.py puts the port it is given into the discovery document.
    data = {
        "/discovery": {"title": "medallion", "default": "http://127.0.0.1:@PORT@/api1/",
                       "api_roots": ["http://127.0.0.1:@PORT@/api1/"]},
        "api1": {"information": {"title": "api1", "versions": ["application/taxii+json;version=2.1"],
                                 "max_content_length": 100000000},
                 "status": [],
                 "collections": [{"id": c, "title": "test", "can_read": True, "can_write": True,
                                  "media_types": ["application/stix+json;version=2.1"],
                                  "objects": [], "manifest": []} for c in (COLL, COLL2)]},
    }
    dfile = os.path.join(tmp, "medallion-data.json")
    json.dump(data, open(dfile, "w"))
    conf = os.path.join(tmp, "medallion.json")
    json.dump({"backend": {"module_class": "MemoryBackend", "module": "medallion.backends.memory_backend",
                           "filename": dfile},
               "users": {"admin": "Password0"}, "taxii": {"max_page_size": 1000}}, open(conf, "w"))
    # Listening on a port the system picked once it names the port.
    med, port = tc.medallion(conf, os.path.join(tmp, "medallion.log"))
    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    Proxy.target = f"http://127.0.0.1:{port}"
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    pport = proxy.server_address[1]
    try:
        if not T.check(port, "medallion starts"):
            print(open(os.path.join(tmp, "medallion.log")).read()[-2000:])
            return
        api = f"http://127.0.0.1:{port}/api1/"
        # Push our export to medallion.
        env = dict(os.environ, YG_TAXII_USER="admin", YG_TAXII_PASSWORD="Password0")
        r = subprocess.run([tc.YAGURA, "intel", "export", "--identity", "Yagura test", "--push", api, COLL,
                            "-o", os.path.join(tmp, "pushed.json"), os.path.join(tmp, "alerts.jsonl")],
                           capture_output=True, text=True, env=env)
        T.check(r.returncode == 0 and f'"success_count":{nobj}' in r.stderr.replace(" ", ""),
                f"push to medallion: {r.stderr[-300:]}")
        # 600 more objects in three POSTs, then pull.  (medallion's memory
        # backend filters in quadratic time: larger collections only make
        # the test slow.)
        for k in range(0, 600, 200):
            s, _, b = tc.http("POST", api + f"collections/{COLL}/objects/", user="admin", password="Password0",
                              ctype="application/taxii+json;version=2.1",
                              body={"objects": [tc.indicator(k + i) for i in range(200)]})
            if not T.check(s == 202, f"medallion POST {s} {b}"):
                return
        # The proxies' collection: two POSTs of 200 (each stamped with one date added, so
        # paging by added_after meets a page of one date) and one of 50.
        for k, n in ((0, 200), (200, 200), (400, COLL2_OBJECTS - 400)):
            s, _, b = tc.http("POST", api + f"collections/{COLL2}/objects/", user="admin",
                              password="Password0", ctype="application/taxii+json;version=2.1",
                              body={"objects": [tc.indicator(50000 + k + i) for i in range(n)]})
            if not T.check(s == 202, f"medallion POST {s} {b}"):
                return
        total = 600 + nobj
        cfg = os.path.join(tmp, "pull.yaml")
        with open(cfg, "w") as f:
            f.write(f"""state: {tmp}/pull-state.db
taxii:
  pull_dir: {tmp}/pulled
  partners:
    - {{name: med, url: "{api}", collection: {COLL}, user: admin, password: Password0, page_size: 100}}
    - {{name: flaky, url: "http://127.0.0.1:{pport}/api1/", collection: {COLL2}, user: admin,
       password: Password0, page_size: 100}}
    - {{name: nonext, url: "http://127.0.0.1:{pport}/api1/", collection: {COLL2}, user: admin,
       password: Password0, page_size: 100}}
""")
        rc, err = pull(cfg, "med")
        ids, n = pulled_ids(os.path.join(tmp, "pulled", "med"))
        T.check(rc == 0 and len(ids) == total, f"pull all {len(ids)}/{total}: {err[-300:]}")
        T.check(f"{total} objects" in err, f"each object fetched once ({err.strip()[-120:]})")
        st = sqlite3.connect(os.path.join(tmp, "pull-state.db"))
        cur = st.execute("SELECT val FROM checkpoints WHERE key='taxii-pull:med'").fetchone()
        st.close()
        T.check(cur is not None and cur[0].endswith("Z"), "cursor stored")
        # Incremental.
        s, _, _ = tc.http("POST", api + f"collections/{COLL}/objects/", user="admin", password="Password0",
                          ctype="application/taxii+json;version=2.1",
                          body={"objects": [tc.indicator(90000 + i) for i in range(150)]})
        rc, err = pull(cfg, "med")
        ids2, _ = pulled_ids(os.path.join(tmp, "pulled", "med"))
        import re
        m = re.search(r"med: (\d+) objects", err)
        fetched = int(m.group(1)) if m else -1
        # New objects, plus those sharing the last date added of the first
        # run (medallion stamps a whole POST of 200 with one time).
        T.check(rc == 0 and 150 <= fetched <= 350 and len(ids2) == total + 150,
                f"second pull fetches only what is new: {err.strip()[-120:]}")
        # Failure half-way, then resume.
        Proxy.mode, Proxy.served, Proxy.fail_after = "fail", 0, 4
        rc, err = pull(cfg, "flaky")
        got, _ = pulled_ids(os.path.join(tmp, "pulled", "flaky"))
        T.check(rc == 1 and len(got) == 400, f"failed pull keeps 4 pages ({rc}, {len(got)})")
        Proxy.mode, Proxy.served = "pass", 0
        rc, err = pull(cfg, "flaky")
        got, n2 = pulled_ids(os.path.join(tmp, "pulled", "flaky"))
        T.check(rc == 0 and len(got) == COLL2_OBJECTS, f"resumed pull completes ({len(got)})")
        T.check(Proxy.served <= (COLL2_OBJECTS - 400) // 100 + 5,
                f"resume did not start over ({Proxy.served})")
        # A server that gives more without next.
        Proxy.mode, Proxy.served = "strip-next", 0
        rc, err = pull(cfg, "nonext")
        got, _ = pulled_ids(os.path.join(tmp, "pulled", "nonext"))
        T.check(rc == 0 and len(got) == COLL2_OBJECTS,
                f"pages by added_after without next ({len(got)})")
        # Everything pulled is valid STIX.
        opts = ValidationOptions(version="2.1")
        sample = [o for f in sorted(glob.glob(os.path.join(tmp, "pulled", "med", "*.json")))[:2]
                  for o in json.load(open(f))["objects"]]
        T.check(all(validate_instance(o, opts).is_valid for o in sample), "pulled objects valid")
    finally:
        proxy.shutdown()
        tc.stop(med)


def push_to_yagura(tmp, bundle_path, nobj):
    pw = tc.hash_password("pw")
    cfg = os.path.join(tmp, "serve.yaml")
    with open(cfg, "w") as f:
        f.write(f"""taxii:
  listen: 127.0.0.1:0
  db: {tmp}/serve.db
  api_roots:
    - path: api1
      collections: [{{id: {COLL}, alias: sightings, tlp_ceiling: red}}]
  users:
    - {{name: yagura, password: "{pw}", read: ["*"], write: ["*"]}}
""")
    log = os.path.join(tmp, "serve.log")
    with open(log, "w") as f:
        srv = subprocess.Popen([tc.YAGURA, "serve", "-c", cfg], stderr=f)
    try:
        # The port the system gave, logged once the server serves.
        port = (wc.wait_ports(log, srv, ("taxii",)) or {}).get("taxii")
        if not T.check(port, "yagura serve starts"):
            return
        env = dict(os.environ, YG_TAXII_USER="yagura", YG_TAXII_PASSWORD="pw")
        r = subprocess.run([tc.YAGURA, "intel", "export", "--push", f"http://127.0.0.1:{port}/api1/", COLL,
                            "-o", os.path.join(tmp, "p2.json"), os.path.join(tmp, "alerts.jsonl")],
                           capture_output=True, text=True, env=env)
        T.check(r.returncode == 0 and f'"success_count":{nobj}' in r.stderr, f"push to yagura serve: {r.stderr[-200:]}")
        s, _, b = tc.http("GET", f"http://127.0.0.1:{port}/api1/collections/{COLL}/objects/",
                          user="yagura", password="pw")
        opts = ValidationOptions(version="2.1")
        objs = b.get("objects", [])
        T.check(len(objs) == nobj and all(validate_instance(o, opts).is_valid for o in objs),
                "served export objects valid")
    finally:
        tc.stop(srv)


def main():
    tmp = tempfile.mkdtemp(prefix="yg-share-")
    b1, nobj = export_checks(tmp)
    push_to_yagura(tmp, b1, nobj)
    medallion_checks(tmp, b1, nobj)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:
        import traceback
        traceback.print_exc()
        T.check(False, f"exception {e!r}")
    T.done()
