#!/usr/bin/env bash
# run_kafka_bench.sh - match instances of `yagura watch` through Apache Kafka on loopback.
#
#   bench/run_kafka_bench.sh [--bytes SIZE] [--live N] [--batch N] [--no-transactions]
#                            [--yagura PATH]
#
# Generates SIZE (default 360M, about 300,000 events) of gen_events JSON lines (Sysmon and
# Microsoft 365; bench/README.md, "The data"), starts one Apache Kafka broker with
# tests/integration/kafka_broker.py (KRaft, one node, 127.0.0.1) and measures, with the whole
# SigmaHQ corpus (../shared/sigma/rules*) loaded by every process:
#   1. baseline: one `yagura watch` (role all) reading the same file from its beginning
#      (a file input, JSON-lines sink): events/s;
#   2. for 1 and then 2 match instances (kafka.role match, transactional, alerts to a Kafka
#      topic): the events, produced beforehand to a topic of 4 partitions, read through the
#      broker: events/s in all and per instance, and the ratio of one instance's rate to the
#      baseline (the target: at least 70 %);
#   3. with the same instances caught up, N (default 20,000) more events produced in 20 paced
#      chunks to a live topic: end-to-end latency from produce to alert, the raw record's
#      timestamp against the alert record's (both CreateTime, kcat -f '%T'), median and p99.
# --no-transactions runs the match instances without transactional_id (at least once), to see
# what the transactions cost. --batch N sets kafka.batch_records of the match instances (default:
# the configuration's default, 8,192). YG_BENCH_KAFKA_PROPS="name: value, ..." adds librdkafka
# properties (kafka.properties) to the match instances. Rates are taken from yagura_events_total (/metrics) between the first sample with events
# and the first with all of them (0.1 s samples), with the CPU time each process used meanwhile
# (/proc/PID/stat; well under 1.0 of a core means the process waited). Prints the input, the commit, the machine
# and its load (uptime) before and after, and says when other processes load the machine.
# Never run by the test suite.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
bytes=360M
live=20000
txn=1
batch=""
build="${YG_BUILD_DIR:-$repo/build}"
yagura="${YAGURA:-$build/yagura}"
gen="${GEN_EVENTS:-$build/bench/gen_events}"
shared="${YG_SHARED_DIR:-$repo/../shared}"
while (($#)); do
    case "$1" in
    --bytes) bytes="$2"; shift 2 ;;
    --live) live="$2"; shift 2 ;;
    --no-transactions) txn=0; shift ;;
    --batch) batch="$2"; shift 2 ;;
    --yagura) yagura="$2"; shift 2 ;;
    -h | --help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "run_kafka_bench: unknown option $1" >&2; exit 2 ;;
    esac
done
[ -x "$yagura" ] && [ -x "$gen" ] || {
    echo "build first: cmake --build build --target yagura_cli gen_events" >&2; exit 2; }
command -v kcat > /dev/null || { echo "run_kafka_bench: kcat is missing (scripts/setup.sh)" >&2; exit 2; }
echo "commit $(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet || echo ' (with uncommitted changes)')"
echo "machine $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
load_before=$(cut -d' ' -f1 /proc/loadavg)
echo "load before: $(uptime)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$gen" --bytes "$bytes" -o "$tmp/events.jsonl" | tail -1
echo "rules: $(ls -d "$shared"/sigma/rules* | tr '\n' ' ')"
export YAGURA="$yagura" YG_SOURCE_DIR="$repo" YG_BUILD_DIR="$build"
# The broker as production runs it (the tests' broker starts fast on C1 only and a 384 MB heap).
export YG_KAFKA_JVM_OPTS="${YG_KAFKA_JVM_OPTS:--Xms1g -Xmx1g}"
echo "broker JVM options: $YG_KAFKA_JVM_OPTS"
python3 - "$tmp" "$live" "$shared" "$txn" "$batch" <<'PY'
import json, os, re, statistics, subprocess, sys, time, glob, urllib.request
tmp, live_n, shared, txn = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4] == "1"
batch = sys.argv[5]
sys.path.insert(0, os.path.join(os.environ["YG_SOURCE_DIR"], "tests", "integration"))
import kafka_broker
yagura = os.environ["YAGURA"]
rules = sorted(glob.glob(os.path.join(shared, "sigma", "rules*")))
with open(os.path.join(tmp, "events.jsonl")) as f:
    events = [l.rstrip("\n") for l in f if l.strip()]
count = len(events)
print(f"input: {count} events, {os.path.getsize(os.path.join(tmp, 'events.jsonl'))} bytes", flush=True)
procs = []


def metrics(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            return r.read().decode()
    except OSError:
        return None


def events_total(ports):
    n = 0
    for p in ports:
        m = metrics(p)
        if m is None:
            return None
        n += sum(float(l.split()[-1]) for l in m.splitlines()
                 if l.startswith("yagura_events_total"))
    return n


def lag_zero(ports):
    for p in ports:
        m = metrics(p) or ""
        lags = [float(x) for x in re.findall(r"^yagura_kafka_lag_messages\{[^}]*\} (\S+)$", m, re.M)]
        if not lags or any(lags):
            return False
    return True


def start(name, text):
    cfg = os.path.join(tmp, name + ".yaml")
    with open(cfg, "w") as f:
        f.write(text)
    log = open(os.path.join(tmp, name + ".log"), "w")
    p = subprocess.Popen([yagura, "watch", "-c", cfg], stdout=subprocess.DEVNULL, stderr=log)
    procs.append(p)
    return p


def stop_all():
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    procs.clear()


def cpu_seconds():
    """User and system CPU time of the running yagura processes."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for p in procs:
        try:
            with open(f"/proc/{p.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            pass
    return total


def measure(ports, target, timeout=900):
    """events/s between the first sample with events and the first with target of them; also
    the CPU the yagura processes used meanwhile, per process (1.0: one core all the time)."""
    first = None
    end = time.time() + timeout
    while time.time() < end:
        n = events_total(ports)
        t = time.time()
        if n:
            if first is None and n < target:
                first = (t, n, cpu_seconds())
            if n >= target:
                if first is None:
                    sys.exit("run_kafka_bench: every event was read before the first sample; "
                             "use more --bytes")
                global busy
                busy = (cpu_seconds() - first[2]) / (t - first[0]) / len(ports)
                return (n - first[1]) / (t - first[0])
        time.sleep(0.1)
    sys.exit(f"run_kafka_bench: {target} events not read within {timeout} s")


common = "rules:\n" + "".join(f"  - {r}\n" for r in rules) + "log: {level: warning}\n"
try:
    hp = kafka_broker.free_port()
    start("baseline", common + f"state: {tmp}/baseline.db\n"
          f"inputs:\n  - {{name: ev, type: file, path: {tmp}/events.jsonl, start_at: beginning, "
          f"format: json}}\nsinks:\n  - {{type: jsonl, path: {tmp}/baseline.jsonl}}\n"
          f"http: {{listen: '127.0.0.1:{hp}'}}\n")
    base = measure([hp], count)
    stop_all()
    print(f"baseline watch (file input, one process)   {base:,.0f} events/s "
          f"(CPU {busy:.2f} of a core)", flush=True)
    with kafka_broker.Broker(tmp) as b:
        b.create_topics(["raw", "live1", "live2", "alerts1", "alerts2", "det1", "det2"])
        t = time.time()
        b.produce("raw", [(str(i), e) for i, e in enumerate(events)])
        print(f"produced {count} events to topic raw (4 partitions) in {time.time() - t:.1f} s",
              flush=True)
        print("match instances " + ("transactional (exactly once)" if txn else
                                    "without transactional_id (at least once)")
              + f", kafka.batch_records {batch or 'default'}", flush=True)
        for k in (1, 2):
            ports = kafka_broker.free_ports(k)
            for i, port in enumerate(ports):
                start(f"match{k}-{i}", common + f"state: {tmp}/match{k}-{i}.db\n"
                      f"kafka:\n  brokers: '{b.bootstrap}'\n  group: bench-{k}\n  role: match\n"
                      f"  detections_topic: det{k}\n"
                      + (f"  transactional_id: bench-{k}-{i}\n" if txn else "")
                      + (f"  batch_records: {batch}\n" if batch else "")
                      + (f"  properties: {{{os.environ['YG_BENCH_KAFKA_PROPS']}}}\n"
                         if os.environ.get("YG_BENCH_KAFKA_PROPS") else "") +
                      f"inputs:\n  - {{name: raw, type: kafka, topic: raw, format: json}}\n"
                      f"  - {{name: live, type: kafka, topic: live{k}, format: json}}\n"
                      f"sinks:\n  - {{type: kafka, topic: alerts{k}}}\n"
                      f"http: {{listen: '127.0.0.1:{port}'}}\n")
            rate = measure(ports, count)
            print(f"{k} match instance(s) through the broker   {rate:,.0f} events/s in all, "
                  f"{rate / k:,.0f} per instance ({100 * rate / k / base:.0f} % of the baseline: "
                  f"{'PASS' if rate / k >= 0.7 * base else 'MISS'} >= 70 %; CPU {busy:.2f} of a core "
                  f"per instance)", flush=True)
            end = time.time() + 120
            while not lag_zero(ports) and time.time() < end:
                time.sleep(0.1)
            # Latency: the instances are caught up; live events arrive in 20 paced chunks.
            chunk = max(1, live_n // 20)
            for c in range(0, live_n, chunk):
                b.produce(f"live{k}", [(str(c + i), e) for i, e in enumerate(events[c:c + chunk])])
                time.sleep(0.25)
            done = count + min(live_n, count)
            end = time.time() + 120
            while (events_total(ports) or 0) < done or not lag_zero(ports):
                if time.time() > end:
                    sys.exit("run_kafka_bench: the live events were not all committed in 120 s")
                time.sleep(0.1)
            stop_all()

            def kcat(topic, fmt):
                r = subprocess.run(["kcat", "-b", b.bootstrap, "-C", "-t", topic, "-o", "beginning",
                                    "-e", "-q", "-X", "isolation.level=read_committed", "-f", fmt],
                                   capture_output=True, text=True, timeout=120, check=True)
                return r.stdout.splitlines()

            produced = {}
            for line in kcat(f"live{k}", "%p %o %T\n"):
                p, o, ts = line.split()
                produced[(int(p), int(o))] = int(ts)
            lat = []
            for line in kcat(f"alerts{k}", "%T\t%s\n"):
                ts, value = line.split("\t", 1)
                a = json.loads(value)
                # An alert's source is {"file": "kafka:TOPIC/PARTITION", "line": OFFSET}.
                src = a.get("source") or {}
                m = re.match(rf"kafka:live{k}/(\d+)$", str(src.get("file", "")))
                key = (int(m.group(1)), int(src.get("line", -1))) if m else None
                if key in produced:
                    lat.append(int(ts) - produced[key])
            if lat:
                lat.sort()
                p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
                print(f"{k} match instance(s): produce to alert  median {statistics.median(lat):.0f} ms, "
                      f"p99 {p99} ms ({len(lat)} alerts of {min(live_n, count)} live events in 20 "
                      f"chunks, 0.25 s apart)", flush=True)
            else:
                print(f"{k} match instance(s): no alert from the live events: no latency measured")
finally:
    stop_all()
PY
echo "load after: $(uptime)"
# The load before the run is other processes' (this run's own shows in the load after).
if awk -v l="$load_before" -v n="$(nproc)" 'BEGIN { exit !(l > 0.25 * n) }'; then
    echo "NOTE: the machine is shared (1-minute load $load_before on $(nproc) cores before the run): other processes competed for the CPU; the rates are lower bounds"
fi
