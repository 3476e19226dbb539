#!/usr/bin/env python3
"""Hostile clients of the two HTTP servers, on loopback only, bounded in time.

1. `yagura serve`: 200 slow or silent connections (100 that send nothing, 100
   that send one header byte a second), spread over 14 loopback addresses so
   that the per-address cap does not refuse them, while a normal client's
   requests keep a p99 latency under 100 ms; every slow connection is cut
   at the header deadline (10 s from its start, whatever it trickles);
   40 connections from one address: at most 16 are kept.
2. Failed logins: 10 wrong passwords from one address, then 429 with
   Retry-After and a TAXII error body (the right password too); a token
   still works there; `serve --metrics` counts the failures.  30 addresses sending wrong passwords (for a known
   user and for unknown ones) as fast as they are answered leave a token
   client's median latency under 50 ms (the password checks run off the
   serving threads, and the failure limits stop them).
3. TAXII error bodies: %00 in the path is 400 (it used to cut the path
   short and list the collection); a 40,000-byte URL is 414 and a
   40,000-byte header 431, both TAXII JSON, not HTML; starting on plain
   HTTP logs no warning about TLS options.
4. Start-up errors name the cause and the path: the address in use, a
   missing certificate (also for `serve --check` and `watch --check`,
   which now fail).
5. `yagura watch`: /healthz keeps a p99 under 100 ms under 200 slow or
   silent connections (25 addresses of 8); the failed TAXII logins are
   counted in /metrics (yagura_taxii_login_failures_total).
"""
import base64
import http.client
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import taxii_common as tc  # noqa: E402
import watch_common as wc  # noqa: E402

T = tc.Tally()
YAGURA = os.environ["YAGURA"]
COLL = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"
HEADER_DEADLINE = 10.0  # YG_TAXII_HEADER_TIMEOUT_MS, YG_HTTP_HEADER_TIMEOUT_MS
TAXII_JSON = "application/taxii+json;version=2.1"


def basic(user, pw):
    return "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()


def request(port, path, auth=None, src="127.0.0.1", headers=None, timeout=5.0):
    """(status, headers lowercased, body bytes, seconds); status 0 on a failure."""
    h = {"Accept": TAXII_JSON}
    if auth:
        h["Authorization"] = auth
    h.update(headers or {})
    t0 = time.perf_counter()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(src, 0))
    try:
        c.request("GET", path, headers=h)
        r = c.getresponse()
        body = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, body, time.perf_counter() - t0
    except (OSError, http.client.HTTPException):
        return 0, {}, b"", time.perf_counter() - t0
    finally:
        c.close()


def raw(port, data, timeout=5.0):
    """Send bytes, read until the server closes; the whole answer."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        out = b""
        while True:
            try:
                b = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not b:
                break
            out += b
        return out
    finally:
        s.close()


def taxii_error(answer, status):
    head, _, body = answer.partition(b"\r\n\r\n")
    try:
        j = json.loads(body)
    except ValueError:
        return False
    return (head.startswith(f"HTTP/1.1 {status} ".encode()) and TAXII_JSON.encode() in head
            and j.get("http_status") == str(status))


class SlowClients:
    """n_silent connections that send nothing and n_slow that send one header
    byte a second, from `per` connections per address starting at 127.0.<net>.2."""

    def __init__(self, port, n_silent, n_slow, per, net, path=b"/taxii2/"):
        self.socks = []  # [sock, opened_at, closed_at, slow]
        addrs = [f"127.0.{net}.{2 + i // per}" for i in range(n_silent + n_slow)]
        for i, a in enumerate(addrs):
            s = socket.socket()
            s.bind((a, 0))
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            self.socks.append([s, time.monotonic(), None, i >= n_silent])
        self.path = path
        self.stop = threading.Event()
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        started = False
        next_byte = time.monotonic()
        while not self.stop.is_set():
            open_ = [e for e in self.socks if e[2] is None]
            if not open_:
                break
            r, _, _ = select.select([e[0] for e in open_], [], [], 0.05)
            now = time.monotonic()
            for e in open_:
                if e[0] in r:
                    try:
                        if e[0].recv(4096):
                            continue
                    except BlockingIOError:
                        continue
                    except OSError:
                        pass
                    e[2] = now
            if now >= next_byte:
                next_byte = now + 1.0
                for e in open_:
                    if e[3] and e[2] is None:
                        try:
                            e[0].send(b"GET " + self.path + b" HTTP/1.1\r\nHost: x\r\nX-Slow: "
                                      if not started else b"a")
                        except BlockingIOError:
                            pass
                        except OSError:
                            e[2] = now
                started = True

    def close(self):
        self.stop.set()
        self.t.join(5)
        for e in self.socks:
            e[0].close()


def _addr(hexaddr):
    """'0100007F:1F90' of /proc/net/tcp: (dotted IPv4 address, port)."""
    a, p = hexaddr.split(":")
    return ".".join(str(int(a[i:i + 2], 16)) for i in (6, 4, 2, 0)), int(p, 16)


def tcp_states(port):
    """The kernel's view of the server on port (/proc/net/tcp): the number of connections
    waiting in its listen queue (handshake done, not yet accepted), or None when it does not
    listen; and {client address: [TCP state of each server-side connection]}."""
    queued, peers = None, {}
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            c = line.split()
            if _addr(c[1])[1] != port:
                continue
            if c[3] == "0A":  # LISTEN: rx_queue is the accept queue's length
                queued = int(c[4].split(":")[1], 16)
            else:
                peers.setdefault(_addr(c[2])[0], []).append(c[3])
    return queued, peers


ESTABLISHED = "01"


def wait_accepted(port, addrs, n, timeout=20.0):
    """Wait until the server on port has taken every one of the n connections from addrs out
    of its listen queue (accepted, and kept or closed): the kernel has all n handshakes done
    and nothing waits to be accepted.  Returns the number still ESTABLISHED on the server's
    side (the ones it keeps), or None at the timeout."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        queued, peers = tcp_states(port)
        # SYN_RECV (03): the handshake is not done, the connection not yet queued.
        mine = [st for a in set(addrs) for st in peers.get(a, []) if st != "03"]
        if queued == 0 and len(mine) >= n:
            return sum(st == ESTABLISHED for st in mine)
        time.sleep(0.02)  # polling interval of the readiness check
    return None


def p99(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * 0.99))]


def measure(port, path, auth, seconds):
    lat, fails = [], 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        st, _, _, dt = request(port, path, auth)
        if st != 200:
            fails += 1
        lat.append(dt)
        time.sleep(0.02)
    return lat, fails


def slow_client_round(port, path, auth, per, what):
    atk = SlowClients(port, 100, 100, per, net=1 if per == 16 else 2, path=path.encode())
    try:
        # Ready once the server has accepted all 200 (its listen queue empty); a connection
        # refused at its limits is closed by then, so it no longer counts as established on
        # the server's side, and the client sees the close.
        kept = wait_accepted(port, [s.getsockname()[0] for s, _, _, _ in atk.socks], 200)
        held = sum(1 for e in atk.socks if e[2] is None)
        T.check(kept == 200 and held == 200,
                f"{what}: 200 slow connections accepted ({kept} kept by the server, {held} "
                f"open at the client)")
        lat, fails = measure(port, path, auth, HEADER_DEADLINE + 2.0)
        q = p99(lat) * 1000
        print(f"{what}: {len(lat)} requests under 200 slow clients: p99 {q:.1f} ms, "
              f"median {sorted(lat)[len(lat) // 2] * 1000:.1f} ms, {fails} failed", flush=True)
        T.check(fails == 0 and q < 100, f"{what}: p99 {q:.1f} ms, {fails} failed requests")
        end = time.monotonic() + 3
        while time.monotonic() < end and any(e[2] is None for e in atk.socks):
            time.sleep(0.1)
        slow = [e[2] - e[1] for e in atk.socks if e[3] and e[2] is not None]
        silent = [e[2] - e[1] for e in atk.socks if not e[3] and e[2] is not None]
        T.check(len(slow) == 100 and all(HEADER_DEADLINE - 0.5 <= d <= HEADER_DEADLINE + 2.5
                                         for d in slow),
                f"{what}: every trickling connection cut at the header deadline "
                f"({len(slow)} cut, {min(slow, default=0):.1f}-{max(slow, default=0):.1f} s)")
        T.check(len(silent) == 100 and all(d <= HEADER_DEADLINE + 2.5 for d in silent),
                f"{what}: every silent connection cut ({len(silent)})")
    finally:
        atk.close()


def per_address_cap(port, cap, what):
    socks = []
    for _ in range(40):
        s = socket.socket()
        s.bind(("127.0.3.1", 0))
        s.connect(("127.0.0.1", port))
        s.setblocking(False)
        socks.append(s)

    def open_at_client():
        alive = 0
        for s in socks:
            try:
                s.recv(1)  # b"": closed by the server
            except BlockingIOError:
                alive += 1  # open, nothing to read
            except OSError:
                pass  # reset by the server
        return alive

    # Once the server has accepted all 40, the ones over the cap are closed: wait until the
    # client has seen each of those closes (the number it holds open equals the number the
    # server keeps), then compare with the cap.
    kept = wait_accepted(port, ["127.0.3.1"], 40)
    alive = open_at_client()
    end = time.monotonic() + 10
    while kept is not None and alive != kept and time.monotonic() < end:
        time.sleep(0.02)  # polling interval: the closes travel over loopback
        kept = tcp_states(port)[1].get("127.0.3.1", []).count(ESTABLISHED)
        alive = open_at_client()
    T.check(kept == cap and alive == cap,
            f"{what}: {alive} of 40 connections from one address kept ({kept} at the server), "
            f"cap {cap}")
    for s in socks:
        s.close()


def serve_part(tmp):
    pw = tc.hash_password("s3cret")
    token, token_hash = tc.new_token()
    cfg = os.path.join(tmp, "serve.yaml")
    with open(cfg, "w") as f:
        f.write(f"""taxii:
  listen: 127.0.0.1:0
  db: {tmp}/taxii.db
  api_roots:
    - path: api1
      collections:
        - {{id: {COLL}, alias: green, tlp_ceiling: green}}
  users:
    - {{name: alice, password: "{pw}", tokens: ["{token_hash}"], read: ["*"], write: ["*"]}}
""")
    log = open(os.path.join(tmp, "serve.log"), "w+")
    srv = subprocess.Popen([YAGURA, "serve", "-c", cfg, "--metrics", "127.0.0.1:0"],
                           stderr=log)
    tok = "Bearer " + token
    try:
        # The ports the system gave, logged once both servers serve.
        ports = wc.wait_ports(log.name, srv, ("taxii", "http")) or {}
        port, mport = ports.get("taxii"), ports.get("http")
        if not T.check(port and mport, "serve starts"):
            return
        log.flush()
        start_log = open(log.name).read()
        T.check("HTTPS option" not in start_log and "not the first option" not in start_log,
                f"no TLS-option warnings on a plain-HTTP start: {start_log[-400:]}")

        # TAXII error bodies from the transport.
        st, _, body, _ = request(port, f"/api1/collections/{COLL}/objects/%00xyz/versions/",
                                 basic("alice", "s3cret"))
        T.check(st == 400 and json.loads(body or b"{}").get("http_status") == "400",
                f"%00 in the path is 400 ({st} {body[:120]!r})")
        a = raw(port, b"GET /" + b"a" * 40000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        T.check(taxii_error(a, 414), f"a 40,000-byte URL is a TAXII 414: {a[:300]!r}")
        a = raw(port, b"GET /taxii2/ HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 40000 + b"\r\n\r\n")
        T.check(taxii_error(a, 431), f"a 40,000-byte header is a TAXII 431: {a[:300]!r}")

        # Start-up errors while this one holds the port (the same configuration, naming it).
        held = os.path.join(tmp, "serve-held.yaml")
        with open(cfg) as f, open(held, "w") as g:
            g.write(f.read().replace("listen: 127.0.0.1:0", f"listen: 127.0.0.1:{port}"))
        r = subprocess.run([YAGURA, "serve", "-c", held], capture_output=True, text=True, timeout=20)
        T.check(r.returncode == 2 and "Address already in use" in r.stderr
                and f"127.0.0.1:{port}" in r.stderr, f"address in use named: {r.stderr[-300:]}")

        slow_client_round(port, "/taxii2/", tok, 16, "serve")
        per_address_cap(port, 16, "serve")

        # Failed logins from one address, then 429.
        src = "127.0.4.1"
        codes = [request(port, "/taxii2/", basic("alice", "nope"), src=src)[0] for _ in range(10)]
        T.check(codes == [401] * 10, f"10 wrong passwords: 401 each ({codes})")
        st, hd, body, _ = request(port, "/taxii2/", basic("alice", "nope"), src=src)
        ra = hd.get("retry-after", "")
        T.check(st == 429 and ra.isdigit() and 1 <= int(ra) <= 60
                and json.loads(body or b"{}").get("http_status") == "429",
                f"the 11th is 429 with Retry-After ({st} {ra!r} {body[:100]!r})")
        st = request(port, "/taxii2/", basic("alice", "s3cret"), src=src)[0]
        T.check(st == 429, f"the right password from that address too ({st})")
        st = request(port, "/taxii2/", tok, src=src)[0]
        T.check(st == 200, f"a token from that address still works ({st})")

        # 30 addresses sending wrong passwords while a token client works: half
        # for alice (PBKDF2 against her hash), half for unknown users (against
        # the dummy hash).
        stop = threading.Event()

        answered = [0] * 30

        def attacker(i):
            while not stop.is_set():
                user = "alice" if i % 2 else f"u{i}-{time.monotonic_ns()}"
                if request(port, "/taxii2/", basic(user, "x"), src=f"127.0.5.{i + 1}",
                           timeout=10)[0]:
                    answered[i] += 1

        ts = [threading.Thread(target=attacker, args=(i,), daemon=True) for i in range(30)]
        for t in ts:
            t.start()
        # The measurement starts once the flood is under way: the server has answered 60
        # guesses.  (Not "each guesser at least once": with PBKDF2 slow under the sanitizers
        # on a loaded machine, a guesser can wait its whole 10 s timeout in the listen queue
        # more than once, and which ones do is the kernel's and the server's choice; what the
        # test measures is the token client's service meanwhile.)
        end = time.monotonic() + 30
        while sum(answered) < 60 and time.monotonic() < end:
            time.sleep(0.02)  # polling interval of the readiness check
        T.check(sum(answered) >= 60, f"the password guessers are answered: {answered}")
        lat, fails = measure(port, "/taxii2/", tok, 4.0)
        stop.set()
        for t in ts:
            t.join(15)
        med = sorted(lat)[len(lat) // 2] * 1000
        print(f"serve: token client under 30 password guessers: median {med:.1f} ms, "
              f"p99 {p99(lat) * 1000:.1f} ms, {fails} failed", flush=True)
        T.check(fails == 0 and med < 50, f"token client median {med:.1f} ms, {fails} failed")
        st, _, body, _ = request(mport, "/metrics")
        counts = {}
        for ln in body.decode().splitlines():
            if ln.startswith("yagura_taxii_login_failures_total{reason="):
                counts[ln.split('"')[1]] = float(ln.split()[-1])
        T.check(st == 200 and counts.get("password", 0) >= 10 and counts.get("limited", 0) >= 2,
                f"serve --metrics counts failed logins: {counts}")
    finally:
        tc.stop(srv)
        log.close()


RULE = """title: Any sshd line
id: 5a0c3d8e-4c6b-4d55-9d0e-7f1f3a2b1c01
status: test
logsource: {product: linux, service: sshd}
detection:
  sel: {Message|contains: sshd}
  condition: sel
level: low
"""


def rules_file(tmp):
    path = os.path.join(tmp, "rule.yml")
    with open(path, "w") as f:
        f.write(RULE)
    return path


def tls_errors(tmp):
    cfg = os.path.join(tmp, "tls.yaml")
    missing = os.path.join(tmp, "no-such-cert.pem")
    with open(cfg, "w") as f:
        f.write(f"""taxii:
  listen: 127.0.0.1:0
  tls: {{cert: {missing}, key: {missing}}}
  db: {tmp}/tls.db
  api_roots:
    - path: api1
      collections:
        - {{id: {COLL}, alias: green}}
""")
    r = subprocess.run([YAGURA, "serve", "-c", cfg, "--check"], capture_output=True, text=True)
    T.check(r.returncode == 2 and missing in r.stderr and "No such file or directory" in r.stderr,
            f"serve --check fails for a missing certificate, naming it: {r.returncode} {r.stderr}")
    r = subprocess.run([YAGURA, "serve", "-c", cfg], capture_output=True, text=True, timeout=20)
    T.check(r.returncode == 2 and missing in r.stderr and "No such file or directory" in r.stderr,
            f"serve names the missing certificate: {r.stderr}")
    wcfg = os.path.join(tmp, "watch-tls.yaml")
    with open(wcfg, "w") as f:
        f.write(f"rules: [{rules_file(tmp)}]\nstate: {tmp}/wstate.db\n"
                f"inputs:\n  - {{name: files, type: file, path: '{tmp}/in/*.log'}}\n"
                + open(cfg).read())
    r = subprocess.run([YAGURA, "watch", "-c", wcfg, "--check"], capture_output=True, text=True)
    T.check(r.returncode != 0 and missing in r.stderr,
            f"watch --check fails for a missing certificate: {r.returncode} {r.stderr[-300:]}")


def watch_part(tmp):
    pw = tc.hash_password("s3cret")
    os.makedirs(os.path.join(tmp, "in"), exist_ok=True)
    cfg = os.path.join(tmp, "watch.yaml")
    with open(cfg, "w") as f:
        f.write(f"""rules: [{rules_file(tmp)}]
state: {tmp}/state.db
inputs:
  - {{name: files, type: file, path: '{tmp}/in/*.log'}}
http: {{listen: '127.0.0.1:0'}}
log: {{level: info}}
taxii:
  listen: 127.0.0.1:0
  db: {tmp}/wtaxii.db
  api_roots:
    - path: api1
      collections:
        - {{id: {COLL}, alias: green}}
  users:
    - {{name: alice, password: "{pw}", read: ["*"]}}
""")
    log = open(os.path.join(tmp, "watch.log"), "w")
    p = subprocess.Popen([YAGURA, "watch", "-c", cfg], stdout=subprocess.DEVNULL, stderr=log)
    try:
        # The ports the system gave, from the service's log once it is watching.
        ports = wc.wait_ready(os.path.join(tmp, "watch.log"), p) or {}
        hp, tp = ports.get("http"), ports.get("taxii")
        if not T.check(hp and tp, "watch starts"):
            return
        slow_client_round(hp, "/healthz", None, 8, "watch /healthz")
        per_address_cap(hp, 8, "watch /healthz")
        st = request(tp, "/taxii2/", basic("alice", "wrong"))[0]
        T.check(st == 401, f"a wrong password on the service's TAXII server ({st})")
        st, _, body, _ = request(hp, "/metrics")
        line = 'yagura_taxii_login_failures_total{reason="password"} 1'
        T.check(st == 200 and line in body.decode(), f"/metrics counts the failed login: {line}")
        # Address in use, for the service's endpoint.
        held = os.path.join(tmp, "watch-held.yaml")
        with open(cfg) as f, open(held, "w") as g:
            g.write(f.read().replace("http: {listen: '127.0.0.1:0'}",
                                     f"http: {{listen: '127.0.0.1:{hp}'}}"))
        r = subprocess.run([YAGURA, "watch", "-c", held], capture_output=True, text=True,
                           timeout=30)
        T.check(r.returncode != 0 and "Address already in use" in r.stderr
                and f"127.0.0.1:{hp}" in r.stderr, f"watch names the address in use: "
                f"{r.stderr[-300:]}")
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        log.close()


def main():
    with tempfile.TemporaryDirectory(prefix="yg-overload-") as tmp:
        serve_part(tmp)
        tls_errors(tmp)
        watch_part(tmp)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # report, not crash: the tally must print
        import traceback
        traceback.print_exc()
        T.check(False, f"exception {e!r}")
    T.done()
