"""Shared helpers of the TAXII/STIX integration tests (test_taxii_*.py).

They need the OASIS tools installed by scripts/setup-venv.sh in .venv:
reexec() restarts the test under that interpreter when it runs elsewhere.
"""
import base64
import json
import os
import select
import subprocess
import sys
import time
import urllib.error
import urllib.request

YAGURA = os.environ.get("YAGURA", "")
SRC = os.environ.get("YG_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))


def reexec():
    venv = os.environ.get("YG_VENV", os.path.join(SRC, ".venv"))
    py = os.path.join(venv, "bin", "python")
    if os.path.realpath(sys.prefix) != os.path.realpath(venv):
        if not os.access(py, os.X_OK):
            print(f"no virtual environment at {venv}: run scripts/setup-venv.sh")
            print("0 passed, 1 failed")
            sys.exit(1)
        os.execv(py, [py] + sys.argv)


class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL: {what}", flush=True)
        return cond

    def wait(self, pred, timeout, what):
        """pred() every 0.25 s until it is true (an OSError, such as a server not answering
        yet, counts as not yet), or a failed check after timeout seconds."""
        end = time.time() + timeout
        while time.time() < end:
            try:
                if pred():
                    return True
            except OSError:
                pass
            time.sleep(0.25)
        return self.check(False, f"timed out waiting for {what}")

    def done(self):
        print(f"{self.passed} passed, {self.failed} failed")
        sys.exit(1 if self.failed else 0)


def medallion(conf, log):
    """Start medallion on 127.0.0.1 with its JSON configuration conf, on a port the system
    picks (medallion_run.py: "@PORT@" in the backend's data file becomes the port), logging
    to the file log.  Returns (process, port); port is None when it exits or names no port
    within 60 s."""
    here = os.path.dirname(os.path.abspath(__file__))
    with open(log, "w") as err:
        proc = subprocess.Popen([sys.executable, os.path.join(here, "medallion_run.py"),
                                 "127.0.0.1", conf], stdout=subprocess.PIPE, stderr=err, text=True)
    ready, _, _ = select.select([proc.stdout], [], [], 60)
    line = proc.stdout.readline() if ready else ""
    return proc, int(line) if line.strip().isdigit() else None


def hash_password(pw):
    return subprocess.run([YAGURA, "serve", "--hash-password"], input=pw + "\n", text=True,
                          capture_output=True, check=True).stdout.strip()


def new_token():
    out = subprocess.run([YAGURA, "serve", "--new-token"], text=True, capture_output=True,
                         check=True).stdout.split()
    return out[1], out[3]


def http(method, url, user=None, password=None, token=None, body=None, accept=None,
         ctype=None, headers=None, context=None):
    """(status, headers dict lowercased, parsed JSON or raw bytes)."""
    h = {"Accept": accept if accept is not None else "application/taxii+json;version=2.1"}
    if accept == "":
        del h["Accept"]
    if user is not None:
        h["Authorization"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    if token is not None:
        h["Authorization"] = "Bearer " + token
    if ctype:
        h["Content-Type"] = ctype
    h.update(headers or {})
    data = body if body is None or isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=60, context=context) as r:
            raw = r.read()
            st, hd = r.status, {k.lower(): v for k, v in r.headers.items()}
    except urllib.error.HTTPError as e:
        raw = e.read()
        st, hd = e.code, {k.lower(): v for k, v in e.headers.items()}
    except (ConnectionError, urllib.error.URLError) as e:
        return 0, {}, str(e).encode()
    try:
        return st, hd, json.loads(raw) if raw else None
    except ValueError:
        return st, hd, raw


def stop(proc):
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def indicator(i, tlp_ref=None, modified=None):
    """A deterministic STIX 2.1 indicator."""
    o = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--%08x-0000-4000-8000-%012x" % (i, i),
        "created": "2024-01-01T00:00:00.000Z",
        "modified": modified or "2024-01-01T00:00:00.000Z",
        "name": f"test indicator {i}",
        "pattern": "[ipv4-addr:value = '10.%d.%d.%d']" % ((i >> 16) & 255, (i >> 8) & 255, i & 255),
        "pattern_type": "stix",
        "valid_from": "2024-01-01T00:00:00Z",
    }
    if tlp_ref:
        o["object_marking_refs"] = [tlp_ref]
    return o


TLP = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
    "red1": "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
}
