"""The console's HTTP endpoints without a browser (docs/console.md).

`yagura serve` with taxii.console over a state database of four incidents (one with a
<script> in its entity and title): sign-in (CSRF token of the login form, wrong passwords,
a user without a console role), security headers and cookie flags (also under TLS), the
list's filters (severity, status, entity, organisation, title, time), HTML escaping of hostile
content, triage with its audit trail (and `yagura incidents close` in the same trail), the
refusals (no or a wrong CSRF token: 403; a viewer's triage: 403; text too long, a body too
large), STIX export, session end at sign-out and after the idle time, and TAXII beside it on
the same listener.  Then the console of `yagura watch`, over the incidents the service builds
from the demo's FortiGate log, with a comment stored while the service writes.
"""
import base64
import http.client
import json
import os
import re
import sqlite3
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from console_common import (HOSTILE_ENTITY, YAGURA, Client, Server, Tally,  # noqa: E402
                            make_case)

BUILD = os.environ.get("YG_BUILD_DIR", os.path.join(os.getcwd()))
WORK = os.path.join(BUILD, "test_console_http")
t = Tally()


def ids(page):
    return sorted(set(re.findall(r'href="/console/incidents/(inc-[0-9a-f]+)"', page)))


def audit_rows(state, iid):
    db = sqlite3.connect(state)
    rows = db.execute("SELECT who, action, detail FROM incident_audit WHERE incident_id = ?"
                      " ORDER BY seq", (iid,)).fetchall()
    db.close()
    return rows


def check_headers(h, what):
    csp = h.get("content-security-policy", "")
    t.check("default-src 'self'" in csp and "frame-ancestors 'none'" in csp
            and "unsafe-inline" not in csp, f"{what}: CSP {csp!r}")
    t.check(h.get("x-content-type-options") == "nosniff", f"{what}: nosniff")
    t.check(h.get("referrer-policy") == "no-referrer", f"{what}: Referrer-Policy")
    t.check(h.get("cache-control") == "no-store", f"{what}: Cache-Control")


def check_login(port):
    c = Client(port)
    st, h, _, _ = c.request("GET", "/console/incidents")
    t.check(st == 303 and h.get("location") == "/console/login", f"anonymous list: {st}")
    st, h, page, raw = c.request("GET", "/console/login")
    check_headers(h, "login page")
    pre = [v for k, v in raw if k.lower() == "set-cookie"]
    t.check(pre and "HttpOnly" in pre[0] and "SameSite=Strict" in pre[0]
            and "Secure" not in pre[0], f"login cookie flags (plain HTTP): {pre}")
    # Without the form's token: refused before any password check.
    st, _, _, _ = c.request("POST", "/console/login", form={"user": "ana", "password": "x"})
    t.check(st == 403, f"login without a CSRF token: {st}")
    st, _, _, _ = c.request("POST", "/console/login",
                            form={"csrf": "A" * 43, "user": "ana", "password": "ana-pass-1"})
    t.check(st == 403 and "yg_session" not in c.cookies, f"login with a made-up token: {st}")
    st, _, page, _ = Client(port).login("ana", "wrong")
    t.check(st == 401 and "Wrong user name or password" in page, f"wrong password: {st}")
    st, _, _, _ = Client(port).login("partner")
    t.check(st == 401, f"a TAXII user without a console role: {st}")
    a, b = Client(port), Client(port)
    st, h, _, raw = a.login("ana")
    b.login("ana")
    sid = a.cookies.get("yg_session", "")
    cookie = [v for k, v in raw if k.lower() == "set-cookie" and v.startswith("yg_session=")]
    t.check(st == 303 and h.get("location") == "/console/incidents", f"analyst login: {st}")
    t.check(cookie and "HttpOnly" in cookie[0] and "SameSite=Strict" in cookie[0],
            f"session cookie flags: {cookie}")
    t.check(re.fullmatch(r"[A-Za-z0-9_-]{43}", sid) and sid != b.cookies.get("yg_session"),
            "session ids: 256 random bits, different per login")
    return a


def check_filters(c):
    def listed(q):
        st, h, page, _ = c.request("GET", "/console/incidents" + q)
        t.check(st == 200, f"list {q}: {st}")
        return ids(page)
    t.check(listed("") == ["inc-aaaa1111aaaa1111", "inc-bbbb2222bbbb2222", "inc-cccc3333cccc3333"],
            "default list: open incidents")
    t.check(listed("?severity=critical") == ["inc-bbbb2222bbbb2222"], "severity filter")
    t.check(listed("?status=closed") == ["inc-dddd4444dddd4444"], "status filter")
    t.check(listed("?status=all&entity=account%3Aalice%40acme.example")
            == ["inc-aaaa1111aaaa1111"], "entity filter (kind:value)")
    t.check(listed("?status=all&entity=BOB") == ["inc-bbbb2222bbbb2222"],
            "entity filter (value of any kind, any case)")
    t.check(listed("?status=all&org=ACME") == ["inc-aaaa1111aaaa1111"], "organisation: ACME")
    t.check(listed("?status=all&org=Beta+University") == ["inc-bbbb2222bbbb2222"],
            "organisation: Beta University (host domain)")
    t.check(listed("?status=all&to=2024-04-15") == ["inc-dddd4444dddd4444"], "time filter: to")
    t.check(listed("?status=all&from=2024-05-03") == ["inc-bbbb2222bbbb2222"],
            "time filter: from")
    t.check(listed("?status=all&q=mimikatz") == ["inc-bbbb2222bbbb2222"], "title filter")
    st, _, page, _ = c.request("GET", "/console/incidents?from=yesterday")
    t.check(st == 400 and "expected a date" in page, f"a bad date: {st}")


def check_escaping(c):
    for path in ("/console/incidents", "/console/incidents/inc-cccc3333cccc3333",
                 "/console/incidents?status=all&entity=" + "%3Cscript%3E"):
        st, _, page, _ = c.request("GET", path)
        body = page.split("<main", 1)[-1]
        t.check(st == 200 and "<script>alert" not in body and "<img src=x" not in body
                and "</pre><script>" not in body, f"{path}: hostile content escaped")
    st, _, page, _ = c.request("GET", "/console/incidents/inc-cccc3333cccc3333")
    t.check("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page,
            "the hostile entity is shown, escaped")
    t.check("entity=account%3A%3Cscript%3Ealert%28%22x%22%29%3C%2Fscript%3E" in page,
            "its pivot link is percent-encoded")


def check_triage(c, state):
    path = "/console/incidents/inc-aaaa1111aaaa1111"
    st, _, page, _ = c.request("GET", path)
    tok = c.csrf(page)
    t.check(tok and 'id="do-close"' in page, "analyst sees the close button")
    st, _, _, _ = c.request("POST", path + "/comment", form={"comment": "no token"})
    t.check(st == 403, f"comment without a CSRF token: {st}")
    st, _, _, _ = c.request("POST", path + "/comment", form={"csrf": "x" * 43, "comment": "bad"})
    t.check(st == 403, f"comment with a wrong CSRF token: {st}")
    st, _, _, _ = c.request("POST", path + "/comment", form={"csrf": tok, "comment": "c"},
                            headers={"Sec-Fetch-Site": "cross-site"})
    t.check(st == 403, f"a cross-site POST with the token: {st}")
    t.check(audit_rows(state, "inc-aaaa1111aaaa1111") == [], "nothing stored by refused POSTs")
    st, _, _, _ = c.request("POST", path + "/comment", form={"csrf": tok, "comment": "x" * 4097})
    t.check(st == 400, f"a comment of 4,097 bytes: {st}")
    st, _, _, _ = c.request("POST", path + "/assign", form={"csrf": tok, "assignee": "a\x01b"})
    t.check(st == 400, f"an assignee with a control character: {st}")
    st, _, _, _ = c.request("POST", path + "/comment",
                            form={"csrf": tok, "comment": "y" * 20000})
    t.check(st == 413, f"a body over 16 KiB: {st}")
    steps = [("acknowledge", {}), ("assign", {"assignee": "ana"}),
             ("comment", {"comment": "VPN account reset <b>done</b>\nsecond line"}),
             ("close", {"reason": "contained: password reset"})]
    for action, form in steps:
        form["csrf"] = tok
        st, h, _, _ = c.request("POST", f"{path}/{action}", form=form)
        t.check(st == 303 and h.get("location") == path + "#audit", f"{action}: {st}")
    rows = audit_rows(state, "inc-aaaa1111aaaa1111")
    t.check(rows == [("ana", "acknowledge", ""), ("ana", "assign", "ana"),
                     ("ana", "comment", "VPN account reset <b>done</b>\nsecond line"),
                     ("ana", "close", "contained: password reset")], f"audit rows: {rows}")
    st, _, page, _ = c.request("GET", path)
    t.check("status-closed" in page and "contained: password reset" in page
            and "&lt;b&gt;done&lt;/b&gt;" in page and 'id="do-close"' not in page,
            "the page shows the closed incident and its audit trail, escaped")
    st, _, _, _ = c.request("POST", path + "/close", form={"csrf": tok, "reason": "again"})
    t.check(st == 409, f"closing a closed incident: {st}")
    # The command line's close joins the same trail.
    r = subprocess.run([YAGURA, "incidents", "close", "--db", state, "inc-bbbb2222bbbb2222",
                        "--reason", "handled elsewhere", "--by", "cli-user"],
                       capture_output=True, text=True)
    t.check(r.returncode == 0 and audit_rows(state, "inc-bbbb2222bbbb2222")
            == [("cli-user", "close", "handled elsewhere")], f"incidents close: {r.stderr}")


def check_viewer(port, state):
    v = Client(port)
    v.login("vic")
    path = "/console/incidents/inc-cccc3333cccc3333"
    st, _, page, _ = v.request("GET", path)
    tok = v.csrf(page)
    t.check(st == 200 and 'id="do-close"' not in page and "/close\"" not in page
            and "viewer role" in page, "viewer: no triage form")
    for action, form in (("close", {"reason": "r"}), ("comment", {"comment": "c"}),
                         ("acknowledge", {})):
        form["csrf"] = tok
        st, _, _, _ = v.request("POST", f"{path}/{action}", form=form)
        t.check(st == 403, f"viewer POST {action}: {st}")
    t.check(audit_rows(state, "inc-cccc3333cccc3333") == [], "viewer changed nothing")
    st, _, _, _ = v.request("POST", "/console/logout", form={"csrf": tok})
    t.check(st == 303, f"sign out: {st}")
    v.cookies["yg_session"] = "x" * 43
    st, h, _, _ = v.request("GET", "/console/incidents")
    t.check(st == 303 and h.get("location") == "/console/login", "a made-up session id")


def check_export_and_more(c, port):
    st, h, body, _ = c.request("GET", "/console/incidents/inc-cccc3333cccc3333/stix")
    bundle = json.loads(body) if st == 200 else {}
    types = {o["type"] for o in bundle.get("objects", [])}
    t.check(st == 200 and h.get("content-type", "").startswith("application/stix+json")
            and "attachment" in h.get("content-disposition", "") and "incident" in types
            and "report" in types, f"STIX export: {st} {types}")
    for name, ctype in (("console.css", "text/css"), ("console.js", "text/javascript"),
                        ("icon.svg", "image/svg+xml")):
        st, h, _, _ = Client(port).request("GET", "/console/static/" + name)
        t.check(st == 200 and h.get("content-type", "").startswith(ctype), f"{name}: {st}")
    st, _, _, _ = c.request("GET", "/console/incidents/inc-ffff")
    t.check(st == 404, f"unknown incident: {st}")
    st, _, _, _ = c.request("DELETE", "/console/incidents")
    t.check(st == 405, f"DELETE: {st}")
    # TAXII beside it, with its own authentication.
    auth = "Basic " + base64.b64encode(b"partner:partner-pass-1").decode()
    st, _, _, _ = Client(port).request("GET", "/taxii2/", headers={
        "Authorization": auth, "Accept": "application/taxii+json;version=2.1"})
    t.check(st == 200, f"TAXII discovery on the same listener: {st}")


def check_tls_and_expiry():
    work = WORK + "-tls"
    cfg = make_case(work, idle="2s")
    cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost", "-days", "1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    with open(cfg) as f:
        text = f.read()
    with open(cfg, "w") as f:
        f.write(text.replace("  db:", f"  tls: {{cert: {cert}, key: {key}}}\n  db:", 1))
    srv = Server(cfg, work)
    try:
        ctx = ssl.create_default_context(cafile=cert)
        ctx.check_hostname = False

        def get(path, cookie=None):
            conn = http.client.HTTPSConnection("127.0.0.1", srv.port, context=ctx, timeout=30)
            conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
            r = conn.getresponse()
            r.read()
            conn.close()
            return r.status, r.getheaders()
        st, hdrs = get("/console/login")
        cookies = [v for k, v in hdrs if k.lower() == "set-cookie"]
        t.check(st == 200 and cookies and "; Secure" in cookies[0], f"TLS: Secure cookie {cookies}")
        t.check(any(k.lower() == "strict-transport-security" for k, _ in hdrs), "TLS: HSTS")
    finally:
        srv.stop()
    # The idle time ends a session: here the shortest the configuration takes, 1 s.  Any
    # request of the session would restart it, so nothing can be polled meanwhile: the wait is
    # the idle time itself, counted from the answer to the last request (the server took its
    # time before sending it), plus the 1 ms of the server's clock.
    idle = 1.0
    cfg_plain = make_case(work + "-idle", idle="1s")
    srv = Server(cfg_plain, work + "-idle")
    try:
        c = Client(srv.port)
        c.login("ana")
        st, _, _, _ = c.request("GET", "/console/incidents")
        seen = time.monotonic()
        t.check(st == 200, "a fresh session works")
        time.sleep(max(0.0, seen + idle + 0.002 - time.monotonic()))
        st, h, _, _ = c.request("GET", "/console/incidents")
        t.check(st == 303 and h.get("location") == "/console/login",
                f"after {time.monotonic() - seen:.3f} s idle: {st}")
    finally:
        srv.stop()


def check_watch():
    """The console of `yagura watch`, over the incidents it builds from the demo's FortiGate
    log, triaged while the service writes the same database."""
    import signal
    import watch_common as wc
    src = os.environ.get("YG_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
    work = WORK + "-watch"
    cfg = make_case(work)  # users and organisations; the rest is the service's
    gen = os.path.join(work, "gen")
    subprocess.run([sys.executable, os.path.join(src, "scripts", "gen_demo.py"), "--out", gen],
                   check=True, capture_output=True)
    state = os.path.join(work, "watch-state.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(state + suffix):
            os.remove(state + suffix)
    with open(cfg) as f:
        taxii = f.read().split("\ntaxii:\n", 1)[1]
    with open(cfg, "w") as f:
        f.write(f"""rules: ['{src}/rules']
data_dir: '{src}'
state: {state}
correlation: {{lateness: 2h}}
inputs:
  - {{name: vpn, type: file, path: '{gen}/logs/vpn/*.log', start_at: beginning, format: fortigate}}
log: {{level: info}}
taxii:
{taxii}""")
    logp = os.path.join(work, "service.log")
    log = open(logp, "w")
    p = subprocess.Popen([YAGURA, "watch", "-c", cfg], stdout=subprocess.DEVNULL, stderr=log)
    try:
        port = (wc.wait_ready(logp, p) or {}).get("taxii")
        if not t.check(port, "watch serves the console's listener"):
            return
        c = Client(port)
        st, _, _, _ = c.login("ana")
        t.check(st == 303, f"watch: analyst login {st}")
        end, found = time.monotonic() + 60, []
        while time.monotonic() < end and not found:  # until the service has built incidents
            found = ids(c.request("GET", "/console/incidents?status=all")[2])
            if not found:
                time.sleep(0.2)
        if not t.check(found, "watch: the console lists the service's incidents"):
            return
        st, _, page, _ = c.request("GET", "/console/incidents/" + found[0])
        t.check(st == 200 and "li class=\"step\"" in page, "watch: an incident's timeline")
        st, _, _, _ = c.request("POST", f"/console/incidents/{found[0]}/comment",
                                form={"csrf": c.csrf(page), "comment": "seen in the console"})
        t.check(st == 303 and audit_rows(state, found[0])
                == [("ana", "comment", "seen in the console")], f"watch: comment stored {st}")
        st, _, page, _ = c.request("GET", "/console/campaigns")
        m = re.search(r"campaigns? from (\d+) incidents", page)
        t.check(st == 200 and m and int(m.group(1)) >= len(found),
                f"watch: the campaign pages read the service's incidents ({st})")
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            rc = p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = p.wait()
        log.close()
    t.check(rc == 0, f"watch stops cleanly on SIGTERM: {rc}")


def check_config_errors():
    """The console's keys are checked like the rest of the file: key path, line, column."""
    work = WORK + "-config"
    cfg = make_case(work)
    with open(cfg) as f:
        good = f.read()
    cases = [
        (good.replace("console: viewer", "console: admin"), "taxii.users[1].console: line",
         "expected viewer or analyst"),
        (good.replace("session_idle: 30m", "session_idle: 1h\n    session_max: 30m"),
         "taxii.console.session_idle: line", "longer than session_max"),
        (good.replace("session_idle: 30m", "session_idle: 30"), "taxii.console.session_idle: line",
         "expected a duration"),
        (good.replace("    organisations:", "    colour: red\n    organisations:"),
         "taxii.console", "unknown key"),
        (good.replace("  listen: 127.0.0.1:0\n", ""), "taxii.console: line",
         "the console needs the server"),
    ]
    for text, where, what in cases:
        bad = os.path.join(work, "bad.yaml")
        with open(bad, "w") as f:
            f.write(text)
        r = subprocess.run([YAGURA, "serve", "-c", bad, "--check"], capture_output=True, text=True)
        t.check(r.returncode == 2 and where in r.stderr and what in r.stderr,
                f"config error {what!r}: {r.returncode} {r.stderr.strip()}")
    # An inventory that does not load stops the start, naming the file, line and column.
    orgs = os.path.join(work, "organisations.yml")
    with open(orgs, "w") as f:
        f.write("organisations:\n  - name: X\n    addresses: [not-an-address]\n")
    r = subprocess.run([YAGURA, "serve", "-c", cfg, "--listen", "127.0.0.1:0"],
                       capture_output=True, text=True, timeout=30)
    t.check(r.returncode == 2 and "taxii.console.organisations" in r.stderr
            and "line 3" in r.stderr, f"a bad inventory: {r.returncode} {r.stderr.strip()}")
    r = subprocess.run([YAGURA, "serve", "-c", cfg, "--check"], capture_output=True, text=True)
    t.check(r.returncode == 2 and "taxii.console.organisations" in r.stderr
            and "line 3" in r.stderr, f"--check: a bad inventory {r.returncode} {r.stderr.strip()}")


def main():
    cfg = make_case(WORK)
    state = os.path.join(WORK, "state.db")
    srv = Server(cfg, WORK)
    try:
        c = check_login(srv.port)
        check_filters(c)
        check_escaping(c)
        check_viewer(srv.port, state)
        check_triage(c, state)
        check_export_and_more(c, srv.port)
    finally:
        rc = srv.stop()
    t.check(rc == 0, f"yagura serve stops cleanly on SIGTERM: {rc}")
    check_tls_and_expiry()
    check_config_errors()
    check_watch()
    t.done()


if __name__ == "__main__":
    main()
