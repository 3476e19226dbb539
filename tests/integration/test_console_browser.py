"""The console in Debian's headless Chromium, driven over the DevTools protocol (cdp.py).

An analyst signs in with the keyboard alone (the user field has the focus, Tab moves to the
password, Enter sends the form, the focused field shows a visible outline), filters the list,
opens an incident, comments on it (typed, Tab to the button, Enter) and closes it, and sees both
in the audit trail; every field of every page has a label, every link and button a name, and
no tabindex reorders the Tab order.  A viewer
sees no triage form, and a close the viewer's page POSTs anyway (with the session's valid CSRF
token) is refused, as is a POST without a token.  No page logs a console error, an uncaught
exception or a refused load (a Content-Security-Policy violation included), and no page asks
for anything but the console's own address.  Screenshots of each step are kept in
build/test_console_browser/.
"""
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdp import Browser  # noqa: E402
from console_common import Server, Tally, make_case  # noqa: E402

BUILD = os.environ.get("YG_BUILD_DIR", os.getcwd())
WORK = os.path.join(BUILD, "test_console_browser")
INC = "inc-aaaa1111aaaa1111"
t = Tally()


def shot(b, name):
    b.screenshot(os.path.join(WORK, name + ".png"))


def keyboard_login(b, base, user, password):
    b.navigate(base + "/console/login")
    accessible(b, "sign-in page")
    t.check(b.wait_true("document.activeElement.id === 'user'"),
            "login: the user field has the focus")
    b.type_text(user)
    b.key("Tab")
    focused = b.eval("[document.activeElement.id,"
                     " getComputedStyle(document.activeElement).outlineStyle]")
    t.check(focused == ["password", "solid"], f"login: Tab to the password, outline shown {focused}")
    b.type_text(password)
    mark = len(b.events)
    b.key("Enter")
    b.wait_event("Page.loadEventFired", mark)
    t.check(b.eval("location.pathname") == "/console/incidents", "login: Enter signs in")


# Every field has a label, every button a name, nothing is taken out of (or reordered in) the
# Tab order, and the page starts with the skip link.
A11Y = """(() => {
  const bad = [];
  for (const e of document.querySelectorAll('input:not([type=hidden]), select, textarea'))
    if (!e.labels || !e.labels.length) bad.push('no label: ' + (e.id || e.name));
  for (const e of document.querySelectorAll('button, a'))
    if (!e.textContent.trim()) bad.push('no name: ' + e.outerHTML.slice(0, 60));
  for (const e of document.querySelectorAll('[tabindex]'))
    if (e.tabIndex > 0) bad.push('tabindex > 0: ' + e.tagName);
  const first = document.querySelector('body a');
  if (!first || first.getAttribute('href') !== '#main') bad.push('no skip link first');
  return bad;
})()"""


def accessible(b, what):
    bad = b.eval(A11Y)
    t.check(bad == [], f"{what}: keyboard and labels {bad}")


def analyst(b, base, state):
    keyboard_login(b, base, "ana", "ana-pass-1")
    shot(b, "1-incidents")
    accessible(b, "list")
    rows = b.eval("document.querySelectorAll('table.incidents tbody tr').length")
    t.check(rows == 3, f"list: 3 open incidents ({rows})")
    # Filter: severity at least high, and the ACME organisation.
    b.act_and_wait("document.getElementById('f-severity').value = 'high';"
                   "document.getElementById('f-org').value = 'ACME';"
                   "document.querySelector('form.filters button[type=submit]').click()")
    links = b.eval("[...document.querySelectorAll('table.incidents tbody a[href^=\"/console/"
                   "incidents/\"]')].map(a => a.getAttribute('href'))")
    t.check(links == ["/console/incidents/" + INC], f"filtered list: {links}")
    t.check("severity=high" in b.eval("location.search"), "the filters are in the address")
    shot(b, "2-filtered")
    b.act_and_wait(f"document.querySelector('a[href=\"/console/incidents/{INC}\"]').click()")
    t.check(b.eval("document.querySelector('h1').textContent").startswith("VPN brute force"),
            "incident page opened")
    t.check(b.eval("document.querySelectorAll('ol.timeline li.step').length") == 3,
            "timeline: 3 steps")
    b.eval("document.querySelector('li.step details').open = true")
    t.check("TargetUserName" in b.eval("document.querySelector('li.step pre').textContent"),
            "evidence: the raw event is shown")
    shot(b, "3-incident")
    accessible(b, "incident")
    # The comment with the keyboard: type, Tab to the button (outline shown), Enter.
    b.eval("document.getElementById('t-comment').focus()")
    b.type_text("Password reset, VPN session killed.")
    b.key("Tab")
    focused = b.eval("[document.activeElement.id,"
                     " getComputedStyle(document.activeElement).outlineStyle]")
    t.check(focused == ["do-comment", "solid"], f"Tab to the comment's button {focused}")
    mark = len(b.events)
    b.key("Enter")
    b.wait_event("Page.loadEventFired", mark)
    b.act_and_wait("document.getElementById('t-reason').value = 'contained';"
                   "document.getElementById('do-close').click()")
    audit = b.eval("[...document.querySelectorAll('table.audit tbody tr')].map(r =>"
                   " [...r.cells].slice(1).map(c => c.textContent))")
    t.check(audit == [["ana", "comment", "Password reset, VPN session killed."],
                      ["ana", "close", "contained"]], f"audit trail on the page: {audit}")
    t.check(b.eval("document.activeElement.id") == "audit", "focus on the audit trail")
    t.check(b.eval("!!document.getElementById('do-close')") is False, "closed: no close button")
    shot(b, "4-closed")
    db = sqlite3.connect(state)
    n = db.execute("SELECT count(*) FROM incident_audit WHERE incident_id = ?", (INC,)).fetchone()
    db.close()
    t.check(n[0] == 2, "two audit rows stored")
    # Pivot: an entity link lists the incidents that name it.
    b.act_and_wait("document.querySelector('ul.entities a.pivot').click()")
    t.check("entity=" in b.eval("location.search") and
            b.eval("document.querySelectorAll('table.incidents tbody tr').length") == 1,
            "entity pivot")
    b.act_and_wait("document.querySelector('form[action=\"/console/logout\"] button').click()")
    t.check(b.eval("location.pathname") == "/console/login", "signed out")


def viewer(b, base, state):
    keyboard_login(b, base, "vic", "vic-pass-1")
    path = "/console/incidents/inc-bbbb2222bbbb2222"
    b.navigate(base + path)
    t.check(b.eval("document.querySelectorAll('form.triage').length") == 0
            and b.eval("!!document.getElementById('do-close')") is False,
            "viewer: no triage form, no close button")
    shot(b, "5-viewer")
    mark = len(b.events)
    tok = b.eval("document.querySelector('input[name=csrf]').value")
    status = b.eval(f"fetch('{path}/close', {{method: 'POST', body: new URLSearchParams("
                    f"{{csrf: '{tok}', reason: 'not mine to close'}})}}).then(r => r.status)")
    t.check(status == 403, f"viewer's close POST (with a valid CSRF token): {status}")
    return mark


def no_token(b, base):
    keyboard_login(b, base, "ana", "ana-pass-1")
    status = b.eval("fetch('/console/incidents/inc-cccc3333cccc3333/comment', {method: 'POST',"
                    " body: new URLSearchParams({comment: 'no token'})}).then(r => r.status)")
    t.check(status == 403, f"POST without a CSRF token: {status}")


def main():
    os.makedirs(WORK, exist_ok=True)
    for f in os.listdir(WORK):
        if f.endswith(".png"):
            os.remove(os.path.join(WORK, f))
    cfg = make_case(WORK)
    srv = Server(cfg, WORK)
    b = None
    try:
        b = Browser()
        base = "http://127.0.0.1:%d" % srv.port
        analyst(b, base, os.path.join(WORK, "state.db"))
        t.check(b.problems() == [], f"no console problem on the analyst's pages: {b.problems()}")
        mark = viewer(b, base, os.path.join(WORK, "state.db"))
        refused = b.problems(mark)
        t.check(len(refused) == 1 and "403" in refused[0] and b.problems(0, ["/close"]) == [],
                f"the only problem is the refused POST: {refused}")
        mark = len(b.events)
        no_token(b, base)
        t.check(b.problems(mark, ["/comment"]) == [], "no other problem")
        # data: URLs are Chromium's own (the calendar icon of a date field): they never
        # leave the browser, and one the page asked for would break the CSP (a problem above).
        foreign = [u for u in b.requested_urls()
                   if not u.startswith(base + "/console/") and not u.startswith("data:")]
        t.check(foreign == [], f"nothing requested outside the console: {foreign[:5]}")
        shots = sorted(f for f in os.listdir(WORK) if f.endswith(".png"))
        t.check(len(shots) == 5 and all(os.path.getsize(os.path.join(WORK, f)) > 5000
                                        for f in shots), f"screenshots kept: {shots}")
    finally:
        if b:
            b.close()
        rc = srv.stop()
    t.check(rc == 0, f"yagura serve stops cleanly on SIGTERM: {rc}")
    t.done()


if __name__ == "__main__":
    main()
