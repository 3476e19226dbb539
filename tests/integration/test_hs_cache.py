#!/usr/bin/env python3
"""The compiled-database cache (src/match/dbcache.c) never changes what is found.

With the whole SigmaHQ corpus over real EVTX and JSON logs: a cold run (empty
cache), a warm run (every database loaded from the cache) and a run with
--no-cache give byte-identical alerts.  The cache folder is created 0700 with
entries 0600.  An entry that is damaged, truncated, the entry of another key,
writable by others or (as root) of another owner is rejected: the run is still
correct and the entry is written again.  A folder others may write is not used
(one warning), and a folder that cannot be created only costs a warning.  Two
cold runs at once both give the same alerts and leave whole entries only.
The raw-document databases each log source compiles while the hunt runs go into
the same folder, and a warm run loads them rather than writing them again.
`yagura watch` takes the folder from cache_dir:, turns it off with
cache_dir: false, and --cache-dir / --no-cache win over the configuration; started
as root with user:, its start-up compile leaves the cache alone.
"""
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile

yagura = os.environ["YAGURA"]
shared = os.environ["YG_SHARED_DIR"]
src = os.environ["YG_SOURCE_DIR"]
passed = failed = 0


def check(ok, msg):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", msg, flush=True)


RULES = os.path.join(shared, "sigma", "rules")
LOGS = [os.path.join(shared, "logs", "deepbluecli-evtx"),
        os.path.join(shared, "logs", "hayabusa-yamato-evtx"),
        os.path.join(shared, "logs", "otrf-security-datasets", "GoldenSAMLADFSMailAccess",
                     "WindowsEvents.json")]
tmp = tempfile.mkdtemp(prefix="yg-hscache-")


def hunt(*opts, stats="stats.json"):
    """Alerts (bytes), standard error, the stats' hs_cache, exit status."""
    sp = os.path.join(tmp, stats)
    p = subprocess.run([yagura, "hunt", "-q", "-t", "2", "-r", RULES, "--stats-json", sp, *opts,
                        *LOGS], capture_output=True, timeout=300)
    hs = json.load(open(sp))["hs_cache"] if os.path.exists(sp) else {}
    return p.stdout, p.stderr.decode(), hs, p.returncode


def cache_warnings(err):
    """The cache's warnings (the logs also draw a routing warning, the same in every run)."""
    return [line for line in err.splitlines() if "cache folder" in line]


def entries(d):
    return sorted(f for f in os.listdir(d) if f.endswith(".hsdb"))


def snapshot(d):
    """Each entry's inode, size and bytes: a rewrite shows as a new inode."""
    out = {}
    for f in entries(d):
        st = os.stat(os.path.join(d, f))
        out[f] = (st.st_ino, st.st_size, open(os.path.join(d, f), "rb").read())
    return out


cache = os.path.join(tmp, "home", "cache", "hs")  # its parents do not exist yet

# Cold: everything compiled and written, the folder and its entries private.
cold, err, hs, rc = hunt("--cache-dir", cache)
nalerts = cold.count(b"\n")
check(rc == 1 and nalerts > 1000, f"cold run: exit {rc}, {nalerts} alerts")
check(cache_warnings(err) == [], f"cold run: no cache warning: {err!r}")
cold_err = err
n = hs.get("compiled", 0)
check(hs.get("enabled") and hs.get("hits") == 0 and n > 10 and hs.get("written") == n,
      f"cold run: every database compiled and written: {hs}")
check(stat.S_IMODE(os.stat(cache).st_mode) == 0o700, "cache folder created 0700")
check(stat.S_IMODE(os.stat(os.path.dirname(cache)).st_mode) == 0o700,
      "its missing parent created 0700")
names = entries(cache)
# The rule compile's n databases (the stats count those), and the raw-document
# databases each log source met compiles for itself while the hunt runs
# (prefilter.c, compile_subset): cached the same way.
check(len(names) > n, f"one entry per database and per log source's own: {len(names)} for {n}")
check(all(stat.S_IMODE(os.stat(os.path.join(cache, f)).st_mode) == 0o600 for f in names),
      "entries are 0600")
check(not [f for f in os.listdir(cache) if not f.endswith(".hsdb")],
      "no temporary file left behind")
before = snapshot(cache)

# Warm: every database loaded, nothing written, the same bytes out.
warm, err, hs, rc = hunt("--cache-dir", cache)
check(warm == cold, "warm run: byte-identical alerts")
check(hs.get("hits") == n and hs.get("compiled") == 0 and hs.get("written") == 0,
      f"warm run: every database from the cache: {hs}")
check(snapshot(cache) == before, "warm run: no entry rewritten")

# No cache: the same bytes, the folder untouched.
nocache, err, hs, rc = hunt("--cache-dir", cache, "--no-cache")
check(nocache == cold, "--no-cache: byte-identical alerts")
check(hs.get("enabled") is False and hs.get("hits") == 0, f"--no-cache: cache not used: {hs}")
check(snapshot(cache) == before, "--no-cache: the folder is untouched")

# The environment variable names the folder when no option does.
env_dir = os.path.join(tmp, "env-cache")
p = subprocess.run([yagura, "hunt", "-q", "-r", RULES, "--stats-json",
                    os.path.join(tmp, "env.json"), *LOGS], capture_output=True,
                   env={**os.environ, "YAGURA_CACHE_DIR": env_dir}, timeout=300)
check(p.stdout == cold and len(entries(env_dir)) == len(names),
      f"YAGURA_CACHE_DIR: the same alerts, {len(entries(env_dir))} entries written there")


def damaged(what, damage):
    """Damage the largest entry; the run rejects it, is correct, rewrites it."""
    victim = max(names, key=lambda f: before[f][1])
    path = os.path.join(cache, victim)
    damage(path)
    out, err, hs, rc = hunt("--cache-dir", cache)
    check(out == cold, f"{what}: byte-identical alerts")
    check(hs.get("rejected") == 1 and hs.get("hits") == n - 1 and hs.get("compiled") == 1
          and hs.get("written") == 1, f"{what}: the entry rejected, compiled, rewritten: {hs}")
    after = snapshot(cache)
    check(after[victim][2] == before[victim][2], f"{what}: the entry is whole again")
    check(stat.S_IMODE(os.stat(path).st_mode) == 0o600 and os.stat(path).st_uid == os.geteuid(),
          f"{what}: the rewritten entry is 0600 and the user's")
    check(err == cold_err, f"{what}: no warning (a bad entry is routine): {err!r}")
    before.update(after)


def flip(path):
    b = bytearray(open(path, "rb").read())
    b[len(b) // 2] ^= 0x20
    open(path, "wb").write(bytes(b))


def truncate(path):
    size = os.path.getsize(path)
    os.truncate(path, size // 2)


def other_key(path):
    donor = [f for f in names if os.path.join(cache, f) != path][0]
    shutil.copyfile(os.path.join(cache, donor), path)


damaged("corrupted entry", flip)
damaged("truncated entry", truncate)
damaged("entry of another key", other_key)
damaged("entry writable by others", lambda p: os.chmod(p, 0o666))
damaged("header only", lambda p: os.truncate(p, 88))


def fifo(path):
    os.unlink(path)
    os.mkfifo(path, 0o600)


damaged("a FIFO in place of the entry", fifo)
if os.geteuid() == 0:
    # Only root can give a file to another user; as any other user such an
    # entry cannot arise in a folder of one's own.
    damaged("entry of another owner", lambda p: os.chown(p, 65534, 65534))

# A folder others may write is not used: one warning, alerts unchanged, no entry touched.
os.chmod(cache, 0o777)
out, err, hs, rc = hunt("--cache-dir", cache)
check(out == cold, "folder 0777: byte-identical alerts")
check(hs.get("hits") == 0 and hs.get("compiled") == n and hs.get("written") == 0,
      f"folder 0777: nothing read or written: {hs}")
w = cache_warnings(err)
check(len(w) == 1 and "not safe" in w[0] and cache in w[0],
      f"folder 0777: one warning naming it: {err!r}")
check(snapshot(cache) == before, "folder 0777: no entry touched")
os.chmod(cache, 0o700)

# A folder that cannot be created: a warning, the same alerts, exit status unchanged.
blocker = os.path.join(tmp, "a-file")
open(blocker, "w").close()
out, err, hs, rc = hunt("--cache-dir", os.path.join(blocker, "hs"))
check(out == cold and rc == 1, f"uncreatable folder: same alerts and exit status ({rc})")
w = cache_warnings(err)
check(len(w) == 1 and "cannot be created" in w[0], f"uncreatable folder: {err!r}")

# Two cold runs at once: the same alerts, whole entries only.
race = os.path.join(tmp, "race")
procs = [subprocess.Popen([yagura, "hunt", "-q", "-t", "1", "-r", RULES, "--cache-dir", race,
                           *LOGS], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
         for _ in range(2)]
outs = [p.communicate(timeout=300) for p in procs]
check(all(o == cold and e.decode() == cold_err for o, e in outs),
      "two cold runs at once: the same alerts, no warning")
check(sorted(os.listdir(race)) == names, "two cold runs at once: whole entries, no temporary")
warm2, err, hs, rc = hunt("--cache-dir", race)
check(warm2 == cold and hs.get("hits") == n, f"after the race every entry loads: {hs}")

# yagura watch: cache_dir: in the configuration, false, and the options over it.
def watch_check(cfg_extra, *opts, env=None):
    cfg = os.path.join(tmp, "watch.yaml")
    with open(cfg, "w") as f:
        f.write(f"rules: ['{RULES}']\ndata_dir: '{src}'\nstate: {tmp}/state.db\n{cfg_extra}"
                "inputs:\n  - {name: in, type: stdin}\n")
    p = subprocess.run([yagura, "watch", "--check", "-c", cfg, *opts], capture_output=True,
                       timeout=300, env=env)
    return p.returncode, p.stderr.decode()


wdir = os.path.join(tmp, "watch-cache")
rc, err = watch_check(f"cache_dir: {wdir}\n")
check(rc == 0 and len(entries(wdir)) == n, f"watch: cache_dir: written ({rc}) {err[-300:]}")
rc, err = watch_check(f"cache_dir: {wdir}\n")
check(rc == 0 and "cache folder" not in err, "watch: a second start uses it quietly")
off = os.path.join(tmp, "watch-off")
rc, err = watch_check("cache_dir: false\n", "--cache-dir", off)
check(rc == 0 and len(entries(off)) == n, "watch: --cache-dir wins over cache_dir: false")
shutil.rmtree(off)
rc, err = watch_check(f"cache_dir: {off}\n", "--no-cache")
check(rc == 0 and not os.path.exists(off), "watch: --no-cache wins over cache_dir:")
default = os.path.join(tmp, "watch-default")
rc, err = watch_check("", env={**os.environ, "YAGURA_CACHE_DIR": default})
check(rc == 0 and len(entries(default)) == n, "watch: no cache_dir: the default folder")
shutil.rmtree(default)
rc, err = watch_check("cache_dir: false\n", env={**os.environ, "YAGURA_CACHE_DIR": default})
check(rc == 0 and not os.path.exists(default), "watch: cache_dir: false turns it off")
if os.geteuid() == 0:
    # Started as root with user: the start-up compile leaves the cache alone (the reloads,
    # after the switch, use it): no folder made by root, no warning.
    asroot = os.path.join(tmp, "watch-root")
    rc, err = watch_check(f"cache_dir: {asroot}\nuser: nobody\n")
    check(rc == 0 and not os.path.exists(asroot) and "cache folder" not in err,
          f"watch as root with user: the start does not use the cache ({rc}) {err[-300:]}")
os.chmod(wdir, 0o770)
rc, err = watch_check(f"cache_dir: {wdir}\n")
check(rc == 0 and err.count("not safe") == 1, f"watch: an unsafe folder is logged once: {err!r}")

shutil.rmtree(tmp, ignore_errors=True)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
