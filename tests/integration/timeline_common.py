"""Helpers shared by test_timeline.py and test_profiles.py."""
import datetime as dt
import json
import os
import re
import subprocess

yagura = os.environ["YAGURA"]
shared = os.environ["YG_SHARED_DIR"]
src = os.environ["YG_SOURCE_DIR"]
logs = os.path.join(shared, "logs")
RFC3339MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


class Checks:
    def __init__(self):
        self.passed = self.failed = 0

    def __call__(self, ok, msg):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL", msg)

    def done(self):
        print(f"{self.passed} passed, {self.failed} failed")
        return 1 if self.failed else 0


def run(args, **kw):
    return subprocess.run([yagura, "hunt", "-q", *args], capture_output=True, **kw)


def jsonl(out):
    return [json.loads(l) for l in out.decode().splitlines()]


def ms_of(ts):
    y, mo, d, h, mi, s, ms = map(int, (ts[0:4], ts[5:7], ts[8:10], ts[11:13], ts[14:16],
                                       ts[17:19], ts[20:23]))
    return (dt.datetime(y, mo, d, h, mi, s, tzinfo=dt.timezone.utc) -
            dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)) // dt.timedelta(milliseconds=1) + ms


def catch_all_rules(folder):
    """One rule per log source that takes every event of it."""
    products = ["windows", "linux", "fortigate", "cisco", "paloalto", "ivanti", "citrix", "zeek",
                "suricata", "m365", "azure", "apache", "nginx"]
    for i, p in enumerate(products):
        with open(os.path.join(folder, f"every_{p}.yml"), "w") as f:
            f.write(f"title: Every {p} event\nid: 00000000-0000-4000-8000-{i:012d}\nstatus: test\n"
                    f"logsource:\n  product: {p}\ndetection:\n  never:\n    YaguraNoSuchField: never\n"
                    f"  condition: not never\nlevel: informational\n")
    with open(os.path.join(folder, "every_web.yml"), "w") as f:
        f.write("title: Every web server event\nid: 00000000-0000-4000-8000-000000000999\n"
                "status: test\nlogsource:\n  category: webserver\ndetection:\n  never:\n"
                "    YaguraNoSuchField: never\n  condition: not never\nlevel: informational\n")
