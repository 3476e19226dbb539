"""Drive Debian's headless Chromium over the Chrome DevTools Protocol, standard library only.

Chromium's --remote-debugging-pipe speaks the protocol over two inherited file descriptors
(it reads commands on 3 and writes answers and events on 4, each message JSON ended by a NUL
byte), so no WebSocket client is needed.  Browser() starts Chromium, opens one page and
attaches to it; every event is kept, so a test can wait for one (a page load) and read what the
page logged (console calls, uncaught exceptions, Log entries such as refused loads and
Content-Security-Policy violations) and which URLs it requested.
"""
import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time


def chromium():
    for p in ("/usr/lib/chromium/chromium", "/usr/bin/chromium"):
        if os.access(p, os.X_OK):
            return p
    raise SystemExit("FAIL: Debian's chromium is not installed (scripts/setup.sh installs it)")


class CDPError(Exception):
    pass


class Browser:
    def __init__(self, width=1280, height=900):
        self.profile = tempfile.mkdtemp(prefix="yg-chromium-")
        to_child_r, self.to_child = os.pipe()
        self.from_child, from_child_w = os.pipe()
        args = [chromium(), "--headless", "--disable-gpu", "--no-first-run",
                "--no-default-browser-check", "--remote-debugging-pipe",
                "--user-data-dir=" + self.profile, "--window-size=%d,%d" % (width, height),
                "--hide-scrollbars", "--disable-extensions", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "about:blank"]
        if os.geteuid() == 0:
            args.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox

        def fds():
            # Moved out of the way first: either pipe end may itself be 3 or 4.
            a, b = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(a, 3)
            os.dup2(b, 4)
        # Descriptors 3 and 4 are kept open in the child (they are set up before it closes
        # the others).
        self.proc = subprocess.Popen(args, pass_fds=(3, 4), preexec_fn=fds,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_child_r)
        os.close(from_child_w)
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.session = None
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(domain + ".enable")
        # A headless page is never the window with the focus: without this, focus moves
        # (autofocus, Tab) are not always applied.
        self.call("Emulation.setFocusEmulationEnabled", {"enabled": True})

    def _read(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CDPError("no message from Chromium in time")
            r, _, _ = select.select([self.from_child], [], [], left)
            if r:
                chunk = os.read(self.from_child, 1 << 20)
                if not chunk:
                    raise CDPError("Chromium closed its end of the pipe")
                self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, timeout=30):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if self.session and not method.startswith("Target."):
            msg["sessionId"] = self.session
        os.write(self.to_child, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            m = self._read(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise CDPError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            if "method" in m:
                self.events.append(m)

    def wait_event(self, method, since, timeout=30):
        """The first event `method` at or after index since of self.events."""
        deadline = time.monotonic() + timeout
        while True:
            for e in self.events[since:]:
                if e["method"] == method:
                    return e
            since = len(self.events)
            self.events.append(self._read(deadline))

    def navigate(self, url):
        mark = len(self.events)
        self.call("Page.navigate", {"url": url})
        self.wait_event("Page.loadEventFired", mark)

    def act_and_wait(self, expression):
        """Run JavaScript that navigates (a click on a link or a submit button), then wait
        for the new page's load event."""
        mark = len(self.events)
        self.eval(expression)
        self.wait_event("Page.loadEventFired", mark)

    def wait_true(self, expression, timeout=10):
        """Poll a JavaScript condition until it holds (a readiness check); its last value."""
        deadline = time.monotonic() + timeout
        while True:
            v = self.eval(expression)
            if v or time.monotonic() > deadline:
                return v
            time.sleep(0.02)

    def eval(self, expression):
        r = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                           "awaitPromise": True})
        if "exceptionDetails" in r:
            raise CDPError("%s: %s" % (expression, r["exceptionDetails"]))
        return r["result"].get("value")

    def key(self, key, shift=False):
        """One press of Tab or Enter, as a keyboard sends it."""
        vk = {"Tab": 9, "Enter": 13}[key]
        base = {"key": key, "code": key, "windowsVirtualKeyCode": vk, "nativeVirtualKeyCode": vk,
                "modifiers": 8 if shift else 0}
        down = dict(base, type="keyDown")
        if key == "Enter":
            down["text"] = "\r"
        self.call("Input.dispatchKeyEvent", down)
        self.call("Input.dispatchKeyEvent", dict(base, type="keyUp"))

    def type_text(self, text):
        self.call("Input.insertText", {"text": text})

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport":
                                                    False})["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def problems(self, since=0, ignore_urls=()):
        """Console errors and warnings, uncaught exceptions and error Log entries (a refused
        load, a CSP violation) from index since, except those about ignore_urls."""
        out = []
        for e in self.events[since:]:
            m, p = e["method"], e.get("params", {})
            if m == "Runtime.exceptionThrown":
                out.append("exception: %s" % p["exceptionDetails"].get("text"))
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning",
                                                                        "assert"):
                out.append("console.%s: %s" % (p["type"], p.get("args")))
            elif m == "Log.entryAdded" and p["entry"]["level"] in ("error", "warning"):
                if not any(u in p["entry"].get("url", "") for u in ignore_urls):
                    out.append("log: %s %s" % (p["entry"].get("text"), p["entry"].get("url")))
        return out

    def requested_urls(self, since=0):
        return [e["params"]["request"]["url"] for e in self.events[since:]
                if e["method"] == "Network.requestWillBeSent"]

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except (CDPError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.to_child)
        os.close(self.from_child)
        shutil.rmtree(self.profile, ignore_errors=True)
