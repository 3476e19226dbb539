"""The console's campaign pages (docs/console.md, "Campaigns"), over HTTP and in Chromium.

`yagura serve` with taxii.console over the console tests' state database plus one local
incident that shares the actor's C2 domains and intelligence indicators, the generated histories
(tests/campaigns/gen_campaigns.py) as a partner's pulled collection in taxii.pull_dir, and a hostile
partner bundle (taxii.console.campaigns.inputs) whose incidents, victim and malware are named with
<script> and <img onerror>.

Over HTTP: a viewer reads the list and the campaigns `yagura campaigns` finds over the same inputs
(the same ids, phases and periods); the actor's campaign shows three phases, the link evidence,
the graph with a table of the same links, and links its local incident to the incident's page;
hostile names are escaped everywhere; the STIX export of one campaign passes the OASIS
stix2-validator; the analysis runs again only when an input changes (a new bundle appears);
POST is refused, an unknown campaign is 404, the configuration's errors name the key or file.

In Chromium (cdp.py): sign in, open the list from the navigation bar, open the actor's campaign,
see its three phases with their periods, reach a phase from its timeline bar with the keyboard,
follow phase C's local incident to its page; no console error, CSP violation or foreign request;
screenshots kept in build/test_console_campaigns/.
"""
import datetime as dt
import glob
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import taxii_common as tc  # noqa: E402

tc.reexec()

from stix2validator import ValidationOptions, validate_instance  # noqa: E402

from cdp import Browser  # noqa: E402
from console_common import YAGURA, Client, Server, Tally, make_case  # noqa: E402

BUILD = os.environ.get("YG_BUILD_DIR", os.getcwd())
SRC = os.environ["YG_SOURCE_DIR"]
WORK = os.path.join(BUILD, "test_console_campaigns")
LOCAL = "inc-eeee5555eeee5555"
LOCAL_TITLE = "C2 domains of a national CERT's indicators - account:ken@"
t = Tally()


def load_objects(folder):
    objs = {}
    for f in sorted(glob.glob(os.path.join(folder, "*.json"))):
        for o in json.load(open(f))["objects"]:
            objs[o["id"]] = o
    return objs


def add_local_incident(state, gen):
    """A local incident with intelligence hits on two indicators phase C's last incident was
    sighted with, a day later, at the same organisation: it belongs to the actor's campaign."""
    truth = json.load(open(os.path.join(gen, "truth.json")))
    objs = load_objects(os.path.join(gen, "bundles"))
    last = truth["phases"][2]["incidents"][-1]
    inds = sorted({o["sighting_of_ref"] for o in objs.values() if o["type"] == "sighting"
                   and any(last in r["object_refs"] and o["id"] in r["object_refs"]
                           for r in objs.values() if r["type"] == "report")})
    t.check(len(inds) >= 1, f"phase C's last incident was sighted with indicators ({inds})")
    victim = [r["target_ref"] for r in objs.values() if r["type"] == "relationship"
              and r["source_ref"] == last and r["relationship_type"] == "targets"][0]
    name = objs[victim]["name"]
    domain = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") + ".example"
    first = int(tc_time(objs[last]["created"])) + 86400000
    account = "ken@" + domain
    db = sqlite3.connect(state)
    db.execute("INSERT INTO incidents(id, title, level, level_num, status, first_ms, last_ms,"
               " alert_count, main_entity, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
               (LOCAL, LOCAL_TITLE + domain, "high", 4, "open", first, first + 60000, len(inds),
                "account:" + account, first, first))
    db.execute("INSERT INTO incident_entities VALUES (?,?,?,?)", (LOCAL, "account", account,
                                                                    len(inds)))
    for k, ind in enumerate(inds):
        value = re.search(r"= '([^']+)'", objs[ind]["pattern"]).group(1)
        alert = {"rule": {"id": "intel", "title": "Intelligence hit", "level": "high",
                          "tags": ["attack.t1566.001", "attack.t1219"]},
                 "intel": {"type": "domain", "value": value, "indicator_id": ind},
                 "timestamp": "x", "event": {"QueryName": value}}
        db.execute("INSERT INTO incident_alerts(alert_id, incident_id, t_ms, seq, event_time,"
                   " kind, rule_id, rule_title, level, level_num, source, entities, parent,"
                   " json) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                   ("%032x" % (900 + k), LOCAL, first + k, 900 + k, "", "intel", "intel",
                    "Intelligence hit", "high", 4, "dns.log:%d" % (k + 1),
                    json.dumps([{"kind": "account", "value": account}]), None,
                    json.dumps(alert)))
    db.commit()
    db.close()


def tc_time(s):
    d = dt.datetime.strptime(s[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.timezone.utc)
    return d.timestamp() * 1000


HOSTILE = "<script>alert(1)</script>"


def hostile_bundle(path, tag, domain):
    """Two incidents sharing a domain and a malware name: one campaign of hostile names."""
    def sid(kind, n):
        return "%s--%08d-0000-4000-8000-%012d" % (kind, tag, n)
    ident = {"type": "identity", "spec_version": "2.1", "id": sid("identity", 1),
             "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
             "name": '<img src=x onerror=alert(2)> "Org"', "identity_class": "organization",
             "sectors": ["<b>media</b>"]}
    mal = {"type": "malware", "spec_version": "2.1", "id": sid("malware", 2),
           "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
           "name": "<script>alert(%d)</script>" % (2 + tag), "is_family": True}
    dom = {"type": "domain-name", "spec_version": "2.1", "id": sid("domain-name", 3),
           "value": domain}
    objs = [ident, mal, dom]
    for k in (0, 1):
        inc = sid("incident", 10 + k)
        ts = "2024-03-0%dT10:00:00.000Z" % (k + 1)
        objs.append({"type": "incident", "spec_version": "2.1", "id": inc, "created": ts,
                     "modified": ts, "name": HOSTILE + " incident %d" % k})
        od = sid("observed-data", 20 + k)
        objs.append({"type": "observed-data", "spec_version": "2.1", "id": od, "created": ts,
                     "modified": ts, "first_observed": ts, "last_observed": ts,
                     "number_observed": 1, "object_refs": [dom["id"]]})
        for n, (rel, target) in enumerate((("targets", ident["id"]), ("uses", mal["id"]),
                                           ("related-to", od))):
            objs.append({"type": "relationship", "spec_version": "2.1",
                         "id": sid("relationship", 30 + 10 * k + n), "created": ts,
                         "modified": ts, "relationship_type": rel, "source_ref": inc,
                         "target_ref": target})
    with open(path, "w") as f:
        json.dump({"type": "bundle", "id": sid("bundle", 99), "objects": objs}, f)


def setup():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    gen = os.path.join(WORK, "gen")
    r = subprocess.run([sys.executable, os.path.join(SRC, "tests", "campaigns",
                                                     "gen_campaigns.py"), "--out", gen,
                        "--seed", "3"], capture_output=True, text=True)
    t.check(r.returncode == 0, f"gen_campaigns.py: {r.stderr[-300:]}")
    cfg = make_case(WORK)
    add_local_incident(os.path.join(WORK, "state.db"), gen)
    pulled = os.path.join(WORK, "pulled", "cert")
    shutil.copytree(os.path.join(gen, "bundles"), pulled)
    extra = os.path.join(WORK, "extra")
    os.makedirs(extra)
    hostile_bundle(os.path.join(extra, "hostile.json"), 1, "hostile-c2.example")
    text = open(cfg).read()
    text = text.replace("  api_roots:", "  pull_dir: %s\n  api_roots:"
                        % os.path.join(WORK, "pulled"), 1)
    text = re.sub(r"(    organisations: .*\n)", r"\1    campaigns:\n      organisations: %s\n"
                  r"      inputs: [%s]\n" % (os.path.join(gen, "organisations.yml"), extra),
                  text, count=1)
    with open(cfg, "w") as f:
        f.write(text)
    return cfg, gen, extra


def cli_result(gen, extra):
    """What `yagura campaigns` finds over the same inputs."""
    r = subprocess.run([YAGURA, "campaigns", "--db", os.path.join(WORK, "state.db"), "--orgs",
                        os.path.join(gen, "organisations.yml"), "--json",
                        os.path.join(WORK, "pulled"), extra], capture_output=True, text=True)
    t.check(r.returncode == 1, f"yagura campaigns: exit {r.returncode} {r.stderr[-300:]}")
    return json.loads(r.stdout)


def phases_on_page(page):
    return re.findall(r'<section class="phase" id="phase-(\d+)"><h3>Phase \d+: '
                      r'<time datetime="([0-9-]+)">[0-9-]+</time> to '
                      r'<time datetime="([0-9-]+)">', page)


def check_pages(c, res):
    st, _, page, _ = c.request("GET", "/console/incidents")
    t.check('<a href="/console/campaigns">Campaigns</a>' in page, "navigation: Campaigns link")
    st, h, page, _ = c.request("GET", "/console/campaigns")
    t.check(st == 200 and "default-src 'self'" in h.get("content-security-policy", ""),
            f"list: 200 with the CSP ({st})")
    listed = re.findall(r'<a href="/console/campaigns/(campaign--[0-9a-f-]+)">', page)
    t.check(listed == [x["id"] for x in res["campaigns"]],
            f"list: the campaigns of yagura campaigns, in its order ({len(listed)})")
    actor = max(res["campaigns"], key=lambda x: len(x["incidents"]))
    st, _, page, _ = c.request("GET", "/console/campaigns/" + actor["id"])
    t.check(st == 200, f"the actor's campaign: {st}")
    got = phases_on_page(page)
    want = [(str(k + 1), p["first_seen"][:10], p["last_seen"][:10])
            for k, p in enumerate(actor["phases"])]
    t.check(len(got) == 3 and got == want, f"three phases with their periods: {got} {want}")
    t.check(page.count('<a class="phase-bar" href="#phase-') == 3, "timeline: a bar per phase")
    sec3 = page[page.find('id="phase-3"'):page.find("</section>", page.find('id="phase-3"'))]
    t.check(f'href="/console/incidents/{LOCAL}"' in sec3,
            "phase C links the local incident to its page")
    local = [i for i in actor["incidents"] if i["origin"] == LOCAL]
    t.check(len(local) == 1, "the local incident is in the actor's campaign (CLI)")
    t.check(page.count('<a class="node" tabindex="-1" href=') == len(actor["incidents"]),
            "graph: a node per incident")
    t.check(page.count('<line class="edge') == len(actor["links"]) and
            page.count("<ul class=\"evidence\">") == len(actor["links"]),
            f"graph and table: the campaign's {len(actor['links'])} links")
    ev = actor["links"][0]["evidence"][0]
    t.check(f'<span class="kind">{ev["kind"]}</span> {ev["value"]} ({ev["incidents"]}' in page,
            "the link evidence is shown")
    t.check(" style=" not in page and len(re.findall(r"<script", page)) == 1,
            "no inline style or script")
    st, _, page, _ = c.request("GET", "/console/campaigns/" + actor["id"][:20])
    t.check(st == 200 and phases_on_page(page) == got, "a unique prefix opens the campaign")
    for bad in ("/console/campaigns/campaign--00000000", "/console/campaigns/x<y",
                "/console/campaigns/%s/other" % actor["id"]):
        st, _, page, _ = c.request("GET", bad)
        t.check(st == 404 and "<y" not in page, f"{bad}: 404 ({st})")
    return actor


def check_hostile(c, res):
    hostile = [x for x in res["campaigns"] if any("script" in i["name"] for i in x["incidents"])]
    t.check(len(hostile) == 1, "the hostile bundle makes a campaign")
    if not hostile:
        return
    st, _, page, _ = c.request("GET", "/console/campaigns/" + hostile[0]["id"])
    t.check(st == 200, f"hostile campaign: {st}")
    for raw in ("<script>alert", "<img src=x", "<b>media"):
        t.check(raw not in page, f"hostile campaign: {raw!r} is not in the page")
    t.check("&lt;script&gt;alert(1)&lt;/script&gt; incident 0" in page and
            "&lt;img src=x onerror=alert(2)&gt; &quot;Org&quot;" in page and
            "&lt;script&gt;alert(3)&lt;/script&gt;" in page,
            "hostile names, organisation and malware are shown escaped")
    st, _, page, _ = c.request("GET", "/console/campaigns")
    t.check("<script>alert" not in page, "the list escapes too")
    check_export(c, hostile[0], "hostile")


def check_export(c, camp, what):
    st, h, body, _ = c.request("GET", "/console/campaigns/%s/stix" % camp["id"])
    t.check(st == 200 and h.get("content-type", "").startswith("application/stix+json") and
            "attachment" in h.get("content-disposition", ""), f"{what} export: {st} {h}")
    try:
        objs = json.loads(body)["objects"]
    except ValueError:
        objs = []
    opts = ValidationOptions(version="2.1")
    bad = [o["id"] for o in objs if not validate_instance(o, opts).is_valid]
    t.check(objs and not bad, f"{what} export: every object passes stix2-validator ({bad[:3]})")
    camps = [o for o in objs if o["type"] == "campaign"]
    reps = [o for o in objs if o["type"] == "report"]
    t.check([x["id"] for x in camps] == [camp["id"]] and len(reps) == len(camp["phases"]),
            f"{what} export: this campaign only, a report per phase")
    t.check(not any(o["type"] == "relationship" and o["relationship_type"] == "attributed-to"
                    for o in objs), f"{what} export: no attribution")


def analysis_no(c):
    _, _, page, _ = c.request("GET", "/console/campaigns")
    m = re.search(r'data-analysis="(\d+)">(\d+) campaign', page)
    return (int(m.group(1)), int(m.group(2))) if m else (None, None)


def check_cache(c, extra):
    a1, n1 = analysis_no(c)
    a2, n2 = analysis_no(c)
    t.check(a1 is not None and a2 == a1 and n2 == n1, f"unchanged inputs: no new analysis {a1} {a2}")
    hostile_bundle(os.path.join(extra, "more.json"), 2, "other-c2.example")
    a3, n3 = analysis_no(c)
    t.check(a3 == a1 + 1 and n3 == n1 + 1,
            f"a new bundle: analysed again, one campaign more ({a1}->{a3}, {n1}->{n3})")
    os.remove(os.path.join(extra, "more.json"))
    a4, n4 = analysis_no(c)
    t.check(a4 == a3 + 1 and n4 == n1, "the bundle removed: analysed again")
    # A malformed bundle: the page says which file and where, escaped; fixed, it is read again.
    bad = os.path.join(extra, "<bad>.json")
    with open(bad, "w") as f:
        f.write('{"type":"bundle","objects":[{"type":"incident",]}')
    st, _, page, _ = c.request("GET", "/console/campaigns")
    t.check(st == 500 and "&lt;bad&gt;.json:1:" in page and "<bad>" not in page,
            f"a malformed bundle: 500 naming it ({st})")
    os.remove(bad)
    a5, n5 = analysis_no(c)
    t.check(a5 == a4 + 2 and n5 == n1, f"the bundle removed: read again ({a5})")


def check_refusals(port, c):
    st, h, _, _ = Client(port).request("GET", "/console/campaigns")
    t.check(st == 303 and h.get("location") == "/console/login", f"anonymous: 303 ({st})")
    _, _, page, _ = c.request("GET", "/console/campaigns")
    tok = c.csrf(page)
    st, _, _, _ = c.request("POST", "/console/campaigns", form={"csrf": tok})
    t.check(st == 405, f"POST with the token: 405 ({st})")
    st, _, _, _ = c.request("POST", "/console/campaigns", form={"x": "1"})
    t.check(st == 403, f"POST without a token: 403 ({st})")


def check_config_errors(cfg):
    base = open(cfg).read()
    cases = [
        ("      inputs: [", "      inputs: [/nonexistent/bundles, ",
         "taxii.console.campaigns.inputs[0]: /nonexistent/bundles: no such file or folder"),
        ("    campaigns:\n", "    campaigns:\n      treshold: 1\n",
         "taxii.console.campaigns.treshold: line"),
    ]
    bad_orgs = os.path.join(WORK, "bad-orgs.yml")
    with open(bad_orgs, "w") as f:
        f.write("organisations:\n  - name: X\n    sectros: [media]\n")
    cases.append((re.search(r"      organisations: .*\n", base).group(0),
                  "      organisations: %s\n" % bad_orgs,
                  "taxii.console.campaigns.organisations: %s:3:5: unknown key" % bad_orgs))
    for old, new, msg in cases:
        path = os.path.join(WORK, "bad.yaml")
        with open(path, "w") as f:
            f.write(base.replace(old, new, 1))
        r = subprocess.run([YAGURA, "serve", "-c", path, "--check"], capture_output=True,
                           text=True)
        t.check(r.returncode == 2 and msg in r.stderr, f"--check: {msg} ({r.stderr.strip()})")


# Every field has a label, every link and button a name, nothing reorders the Tab order.
A11Y = """(() => {
  const bad = [];
  for (const e of document.querySelectorAll('input:not([type=hidden]), select, textarea'))
    if (!e.labels || !e.labels.length) bad.push('no label: ' + (e.id || e.name));
  for (const e of document.querySelectorAll('button, a'))
    if (!e.textContent.trim()) bad.push('no name: ' + e.outerHTML.slice(0, 60));
  for (const e of document.querySelectorAll('[tabindex]'))
    if (e.tabIndex > 0) bad.push('tabindex > 0: ' + e.tagName);
  return bad;
})()"""


def browser(port, actor):
    base = "http://127.0.0.1:%d" % port
    b = Browser(height=1700)
    try:
        b.navigate(base + "/console/login")
        b.act_and_wait("document.getElementById('user').value = 'vic';"
                       "document.getElementById('password').value = 'vic-pass-1';"
                       "document.querySelector('form.login button').click()")
        b.act_and_wait("document.querySelector('nav a[href=\"/console/campaigns\"]').click()")
        t.check(b.eval("location.pathname") == "/console/campaigns", "browser: the list")
        t.check(b.eval(A11Y) == [], "browser: list labelled")
        b.screenshot(os.path.join(WORK, "1-campaigns.png"))
        b.act_and_wait("document.querySelector('a[href=\"/console/campaigns/%s\"]').click()"
                       % actor["id"])
        heads = b.eval("[...document.querySelectorAll('section.phase h3')].map(h => "
                       "h.textContent)")
        want = ["Phase %d: %s to %s" % (k + 1, p["first_seen"][:10], p["last_seen"][:10])
                for k, p in enumerate(actor["phases"])]
        t.check(heads == want, f"browser: three phases with their periods {heads}")
        t.check(b.eval(A11Y) == [], f"browser: campaign page labelled {b.eval(A11Y)}")
        t.check(b.eval("document.querySelector('svg.phase-timeline').getBoundingClientRect()"
                       ".width") > 600, "browser: the timeline is drawn")
        b.screenshot(os.path.join(WORK, "2-campaign.png"))
        b.eval("document.getElementById('graph').scrollIntoView()")
        b.screenshot(os.path.join(WORK, "3-graph.png"))
        # The keyboard: Tab from the export link reaches the first phase bar; Enter goes to it.
        b.eval("document.querySelector('a.button[href$=\"/stix\"]').focus()")
        b.key("Tab")
        focused = b.eval("[document.activeElement.getAttribute('href'),"
                         " getComputedStyle(document.activeElement).outlineStyle]")
        t.check(focused == ["#phase-1", "solid"], f"browser: Tab to phase 1's bar {focused}")
        b.key("Enter")
        t.check(b.wait_true("location.hash === '#phase-1'"), "browser: Enter opens phase 1")
        # Phase C's incidents, unfolded with the keyboard (Tab to its summary, Enter).
        b.eval("document.querySelector('#phase-2 details summary').focus()")
        b.key("Tab")
        b.key("Enter")
        t.check(b.wait_true("document.querySelector('#phase-3 details').open"),
                "browser: a phase's incidents unfold with the keyboard")
        b.act_and_wait("document.querySelector('#phase-3 a[href=\"/console/incidents/%s\"]')"
                       ".click()" % LOCAL)
        t.check(b.eval("location.pathname") == "/console/incidents/" + LOCAL and
                b.eval("document.querySelector('h1').textContent").startswith(LOCAL_TITLE),
                "browser: phase C's local incident opens its page")
        b.screenshot(os.path.join(WORK, "4-incident.png"))
        t.check(b.problems() == [], f"browser: no console problem {b.problems()}")
        # data: URLs are Chromium's own (the calendar icon of the list's date fields).
        foreign = [u for u in b.requested_urls()
                   if not u.startswith(base + "/console/") and not u.startswith("data:")]
        t.check(foreign == [], f"browser: nothing requested elsewhere {foreign[:3]}")
    finally:
        b.close()
    shots = sorted(f for f in os.listdir(WORK) if f.endswith(".png"))
    t.check(len(shots) == 4 and all(os.path.getsize(os.path.join(WORK, f)) > 5000
                                    for f in shots), f"screenshots kept: {shots}")


def main():
    cfg, gen, extra = setup()
    res = cli_result(gen, extra)
    srv = Server(cfg, WORK)
    try:
        c = Client(srv.port)
        st, _, _, _ = c.login("vic")
        t.check(st == 303, f"viewer signs in: {st}")
        actor = check_pages(c, res)
        check_export(c, actor, "actor")
        check_hostile(c, res)
        check_cache(c, extra)
        check_refusals(srv.port, c)
        browser(srv.port, actor)
    finally:
        rc = srv.stop()
    t.check(rc == 0, f"yagura serve stops cleanly: {rc}")
    check_config_errors(cfg)
    t.done()


if __name__ == "__main__":
    main()
