#!/usr/bin/env python3
"""yagura watch under a noisy network: losses are counted and the log stays readable.

1. UDP drops: while the service is stopped (SIGSTOP), datagrams beyond the socket's
   receive buffer are dropped by the kernel.  After SIGCONT every datagram sent is either
   read (yagura_events_total) or counted dropped (yagura_dropped_total), exactly, with the
   default buffer and with `receive_buffer: 64KB` (checked on the socket with ss).
2. Malformed messages: 25,000 two-byte messages over TCP are all counted as dropped, but
   logged at most YG_LOG_RECORD_BURST (10) times per 10 s window per input, with one line
   giving the number not logged; logged plus not logged is 25,000.

Readiness is checked through /healthz and /metrics, never by sleeping.
"""
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import watch_common as wc

yagura = os.environ["YAGURA"]
passed = failed = 0


def check(ok, msg):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", msg, flush=True)


def wait_for(pred, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


RULES = """title: Marker
id: 5d7c2b1e-3f4a-4c6b-8d9e-0a1b2c3d4e5f
level: low
logsource: {product: linux}
detection:
  keywords: ['yagura-marker-never-sent']
  condition: keywords
"""


def metric(text, name, **labels):
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        got = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
        if all(got.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def main():
    tmp = tempfile.mkdtemp()
    open(os.path.join(tmp, "rules.yml"), "w").write(RULES)
    cfg = os.path.join(tmp, "yagura.yaml")
    open(cfg, "w").write(
        f"rules: [{tmp}/rules.yml]\nstate: {tmp}/state.db\nincidents: {{enabled: false}}\n"
        "inputs:\n"
        f"  - {{name: udp_default, type: syslog-udp, listen: '127.0.0.1:0', format: syslog}}\n"
        f"  - {{name: udp_small, type: syslog-udp, listen: '127.0.0.1:0', format: syslog,"
        " receive_buffer: 64KB}\n"
        f"  - {{name: tcp, type: syslog-tcp, listen: '127.0.0.1:0'}}\n"
        f"sinks:\n  - {{type: jsonl, path: {tmp}/alerts.jsonl}}\n"
        f"http: {{listen: '127.0.0.1:0'}}\nlog: {{level: info}}\n")
    logpath = os.path.join(tmp, "service.log")
    log = open(logpath, "w")
    p = subprocess.Popen([yagura, "watch", "-c", cfg], stdout=subprocess.DEVNULL, stderr=log)
    # The ports the kernel gave, from the service's log once it is watching.
    ports = wc.wait_ready(logpath, p) or {}
    hp, u1, u2, tp = (ports.get(k) for k in ("http", "udp_default", "udp_small", "tcp"))

    def metrics():
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{hp}/metrics", timeout=5).read().decode()
        except OSError:
            return ""

    ready = wait_for(lambda: metrics() != "")
    check(ready, "service answers /metrics")
    if not ready:
        p.kill()
        print(open(logpath).read())
        return

    # ---- 1. UDP: every datagram read or counted dropped ----
    # receive_buffer is what the socket got: Linux reports twice the size asked (ss: rb).
    ss = subprocess.run(["ss", "-ulmnH", f"sport = :{u2}"], capture_output=True, text=True).stdout
    check("rb131072," in ss, f"udp_small: receive_buffer 64KB set on the socket ({ss.strip()})")
    # 30,000 datagrams overflow any receive buffer the kernel gives by default (at most
    # 2 x net.core.rmem_max); 2,000 overflow 64KB.
    burst = {"udp_default": (u1, 30000), "udp_small": (u2, 2000)}
    msg = ("<13>Jan  1 00:00:00 host app: " + "d" * 200).encode()
    p.send_signal(signal.SIGSTOP)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for port, n in burst.values():
        for _ in range(n):
            s.sendto(msg, ("127.0.0.1", port))
    s.close()
    p.send_signal(signal.SIGCONT)

    def counts(name):
        m = metrics()
        return (metric(m, "yagura_events_total", input=name),
                metric(m, "yagura_dropped_total", reason="input", input=name))

    for name, (_, n) in burst.items():
        check(wait_for(lambda: sum(counts(name)) == n),
              f"{name}: read + dropped == {n} sent (got {counts(name)})")
        read, dropped = counts(name)
        check(dropped > 0, f"{name}: kernel drops counted ({dropped})")
        print(f"{name}: {n} sent while stopped, {read:.0f} read, {dropped:.0f} dropped by the kernel")

    # ---- 2. malformed messages: counted, logged at a bounded rate ----
    bad = 25000
    t0 = time.time()
    c = socket.create_connection(("127.0.0.1", tp), timeout=5)
    c.sendall(b"?\n" * bad)
    c.close()
    check(wait_for(lambda: metric(metrics(), "yagura_dropped_total", reason="input",
                                  input="tcp") == bad),
          f"tcp: all {bad} malformed messages counted dropped")
    p.send_signal(signal.SIGTERM)
    rc = p.wait(timeout=30)
    elapsed = time.time() - t0
    log.close()
    check(rc == 0, f"SIGTERM exits 0 (got {rc})")
    text = open(logpath).read()
    logged = len(re.findall(r"syslog-tcp:127\.0\.0\.1:\d+:\d+:\d+: .*record skipped", text))
    held = sum(int(x) for x in re.findall(r"tcp: (\d+) more skipped record\(s\) not logged", text))
    windows = int(elapsed // 10) + 2
    check(logged + held == bad, f"logged {logged} + not logged {held} == {bad}")
    check(0 < logged <= 10 * windows, f"at most 10 lines per 10 s window ({logged} in {elapsed:.1f} s)")
    check(len(text.splitlines()) < 100, f"the log stays short ({len(text.splitlines())} lines)")
    if failed:
        print(text[-3000:])


main()
print(f"PASS {passed} FAIL {failed}")
sys.exit(1 if failed else 0)
