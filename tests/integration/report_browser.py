"""Load an HTML report in Debian's Chromium, headless, with the network cut off.

The report has a test hook: with "#selftest" in its address it opens the first
alert's details once loaded and writes what it saw (rows, the opened alert, paint
timings, errors it caught) into <pre id="yg-selftest">, which --dump-dom returns.
Chromium's own console log (--enable-logging=stderr) is read as well: any console
line from the page (an uncaught exception, a console.error, a Content-Security-Policy
refusal of a network load) fails the check.
"""
import html
import json
import os
import re
import shutil
import subprocess
import time

# Any request the page made would go to a closed local port and to no DNS answer.
NO_NET = ["--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
          "--proxy-bypass-list=<-loopback>"]


def chromium():
    for p in ("/usr/lib/chromium/chromium", "/usr/bin/chromium"):
        if os.access(p, os.X_OK):
            return p
    raise SystemExit("FAIL: Debian's chromium is not installed (scripts/setup.sh installs it)")


def _base(profile_dir):
    args = [chromium(), "--headless", "--disable-gpu", "--no-first-run",
            "--user-data-dir=" + profile_dir, "--hide-scrollbars"] + NO_NET
    if os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    return args


def load(path, workdir, timeout=60):
    """Return (selftest dict, dumped DOM text, seconds the browser ran).

    The self-test's overview_drawn is the wall clock (ms) when the page had drawn its
    overview; launched_ms, added here, is when the browser was started."""
    prof = os.path.join(workdir, "chromium-profile")
    shutil.rmtree(prof, ignore_errors=True)
    url = "file://" + os.path.abspath(path) + "#selftest"
    launched = time.time() * 1000
    t0 = time.monotonic()
    p = subprocess.run(_base(prof) + ["--enable-logging=stderr", "--v=0", "--dump-dom", url],
                       capture_output=True, text=True, timeout=timeout)
    took = time.monotonic() - t0
    if p.returncode != 0:
        raise SystemExit("FAIL: chromium exited %d: %s" % (p.returncode, p.stderr[-2000:]))
    console = [l for l in p.stderr.splitlines() if ":CONSOLE" in l]
    if console:
        raise SystemExit("FAIL: console messages from the report:\n" + "\n".join(console[:20]))
    m = re.search(r'<pre id="yg-selftest"[^>]*>(.*?)</pre>', p.stdout, re.S)
    if not m:
        raise SystemExit("FAIL: the report wrote no self-test result (did its scripts run?)")
    st = json.loads(html.unescape(m.group(1)))
    st["launched_ms"] = launched
    if st["errors"]:
        raise SystemExit("FAIL: errors in the page: %s" % st["errors"])
    return st, p.stdout, took


def screenshot(path, png, workdir, height=2600, timeout=60):
    prof = os.path.join(workdir, "chromium-profile-shot")
    shutil.rmtree(prof, ignore_errors=True)
    url = "file://" + os.path.abspath(path) + "#selftest"
    subprocess.run(_base(prof) + ["--window-size=1280,%d" % height, "--virtual-time-budget=5000",
                                  "--screenshot=" + png, url],
                   capture_output=True, text=True, timeout=timeout, check=True)
    with open(png, "rb") as f:
        head = f.read(8)
    if head != b"\x89PNG\r\n\x1a\n" or os.path.getsize(png) < 10000:
        raise SystemExit("FAIL: no screenshot written to " + png)


def stats_shown(dom):
    """data-stat="name" -> number, as the page shows them."""
    out = {}
    for k, v in re.findall(r'data-stat="([a-z_]+)">([0-9,]+)<', dom):
        out[k] = int(v.replace(",", ""))
    return out


def table_rows(dom, section):
    """Rows (key, [numbers]) of a tally table of the page: <section id=section>."""
    m = re.search(r'<section id="%s">(.*?)</section>' % section, dom, re.S)
    if not m:
        return None
    rows = []
    for key, cells in re.findall(r'<tr data-key="([^"]*)">(.*?)</tr>', m.group(1), re.S):
        nums = [int(n.replace(",", "")) for n in re.findall(r'<td class="n">([0-9,]+)</td>', cells)]
        rows.append((html.unescape(key), nums))
    return rows


def self_contained(path):
    """Nothing in the page loads from elsewhere: no src/href/url() outside its data."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    # The data blocks hold events (which may name addresses): only the page itself counts.
    page = re.sub(r'<script type="(application/json|text/plain)"[^>]*>.*?</script>', "", text,
                  flags=re.S)
    if 'http-equiv="Content-Security-Policy" content="default-src \'none\'' not in text:
        raise SystemExit("FAIL: the report has no Content-Security-Policy forbidding loads")
    for pat in (r"<link\b", r"<img\b", r"<iframe\b", r"<script[^>]*\bsrc=", r"@import", r"url\("):
        if re.search(pat, page, re.I):
            raise SystemExit("FAIL: the report refers to another resource (%s)" % pat)
    return text
