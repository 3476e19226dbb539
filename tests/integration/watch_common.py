"""Readiness of `yagura watch` for the integration tests.

The tests configure every listener on port 0 (the kernel picks a free port, so tests running
side by side never race for one) and wait for the service's log, at level info, to say it is
watching: by then every input listens and the health endpoint answers.  The ports come from the
same log lines ("inputs: NAME: listening on ADDR (port N)", "http: listening on ...").
"""
import os
import re
import time

_PORT = re.compile(r"(?:inputs: (\S+): (?:listening|OTLP/HTTP logs) on \S+ \(port (\d+)\)"
                   r"|(http): listening on \S+ \(port (\d+)\)"
                   r"|(taxii): serving on \S+ \(port (\d+))")


def log_size(path):
    """Where the next start's lines begin in a log file that restarts append to."""
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def wait_ready(log_path, proc, start=0, timeout=60):
    """Wait until the service logging to log_path (from byte offset start on) is watching.

    Returns {listener name: port} ("http" for the health endpoint, "taxii" for the TAXII
    server), or None when the process exits or the timeout passes first."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with open(log_path, "rb") as f:
            f.seek(start)
            text = f.read().decode("utf-8", "replace")
        if re.search(r" info watching \d+ input", text):
            ports = {}
            for m in _PORT.finditer(text):
                g = [x for x in m.groups() if x is not None]
                ports[g[0]] = int(g[1])
            return ports
        if proc.poll() is not None:
            return None
        time.sleep(0.02)  # polling interval of the readiness check
    return None


def wait_ports(log_path, proc, want, start=0, timeout=60):
    """Wait until the log (from byte offset start on) names the port of every listener in want
    (e.g. ("taxii", "http") for `yagura serve --metrics`, which logs at level info by default).
    Returns {name: port}, or None when the process exits or the timeout passes first."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with open(log_path, "rb") as f:
            f.seek(start)
            text = f.read().decode("utf-8", "replace")
        ports = {}
        for m in _PORT.finditer(text):
            g = [x for x in m.groups() if x is not None]
            ports[g[0]] = int(g[1])
        if all(k in ports for k in want):
            return ports
        if proc.poll() is not None:
            return None
        time.sleep(0.02)  # polling interval of the readiness check
    return None


def metric(port, series):
    """The value of one series of the service's /metrics (e.g. 'yagura_events_total{input="a"}'),
    or None when the endpoint does not answer or has no such series."""
    import urllib.request
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            text = r.read().decode()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[-1])
    return None
