#!/usr/bin/env bash
# run_taxii_bench.sh - the TAXII server of `yagura serve` paging a large collection.
#
#   bench/run_taxii_bench.sh [--count N] [--limit L] [--yagura PATH]
#
# Fills one collection with N (default 1,000,000) deterministic STIX 2.1
# indicators (bulk import: `yagura serve --import`, JSON lines on standard
# input), starts `yagura serve` on 127.0.0.1 (plain HTTP, HTTP Basic), then
# pages through the whole collection over one keep-alive connection with
# limit=L (default 1000, the server's page_size) following `next`, as a TAXII
# client does. Prints the commit and machine, the import time, objects/s and
# MB/s served while paging, the number of pages, the server's peak RSS, and
# the database size. Never run by the test suite.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
count=1000000
limit=1000
yagura="${YAGURA:-$repo/build/yagura}"
while (($#)); do
    case "$1" in
    --count) count="$2"; shift 2 ;;
    --limit) limit="$2"; shift 2 ;;
    --yagura) yagura="$2"; shift 2 ;;
    -h | --help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "run_taxii_bench: unknown option $1" >&2; exit 2 ;;
    esac
done
[ -x "$yagura" ] || { echo "build first: cmake --build build" >&2; exit 2; }
echo "commit $(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet || echo ' (with uncommitted changes)')"
echo "machine $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
tmp=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
hash=$(echo bench | "$yagura" serve --hash-password)
cat > "$tmp/taxii.yaml" <<C
taxii:
  listen: 127.0.0.1:$port
  db: $tmp/taxii.db
  page_size: $limit
  api_roots:
    - path: api1
      collections: [{id: 6f0e3d2a-5b1c-4a9e-8d7f-1c2b3a4d5e6f, alias: bench, tlp_ceiling: amber}]
  users:
    - {name: bench, password: "$hash", read: ["*"]}
C
# Indicators with a TLP:GREEN marking, ids and patterns from the index.
t0=$(date +%s.%N)
awk -v n="$count" 'BEGIN {
    for (i = 0; i < n; i++)
        printf "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--%08x-0000-4000-8000-%012x\",\"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":\"2024-01-01T00:00:00.000Z\",\"name\":\"bench %d\",\"pattern\":\"[ipv4-addr:value = '"'"'10.%d.%d.%d'"'"']\",\"pattern_type\":\"stix\",\"valid_from\":\"2024-01-01T00:00:00Z\",\"object_marking_refs\":[\"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb\"]}\n", i, i, i, int(i / 65536) % 256, int(i / 256) % 256, i % 256
}' | "$yagura" serve -c "$tmp/taxii.yaml" --import bench - 2> "$tmp/import.log"
t1=$(date +%s.%N)
echo "import: $(cat "$tmp/import.log" | tail -1 | sed 's/^yagura serve: //') in $(echo "$t1 - $t0" | bc) s"
"$yagura" serve -c "$tmp/taxii.yaml" 2> "$tmp/serve.log" &
pid=$!
python3 - "$port" "$count" "$limit" "$pid" <<'PY'
import base64, http.client, re, sys, time
port, count, limit, pid = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
for _ in range(200):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60); c.connect(); break
    except OSError:
        time.sleep(0.05)
h = {"Accept": "application/taxii+json;version=2.1",
     "Authorization": "Basic " + base64.b64encode(b"bench:bench").decode()}
path = "/api1/collections/bench/objects/?limit=%d" % limit
c.request("GET", "/api1/", headers=h); c.getresponse().read()   # authenticate once (PBKDF2)
objs = pages = nbytes = 0
nxt = None
t0 = time.perf_counter()
while True:
    c.request("GET", path + ("&next=" + nxt if nxt else ""), headers=h)
    r = c.getresponse()
    body = r.read()
    if r.status != 200:
        sys.exit("HTTP %d: %s" % (r.status, body[:200]))
    pages += 1
    nbytes += len(body)
    objs += body.count(b'{"type":"indicator"')
    m = re.match(rb'\{"more":(true|false)(?:,"next":"([^"]+)")?', body)
    if not m or m.group(1) == b"false":
        break
    nxt = m.group(2).decode()
dt = time.perf_counter() - t0
rss = [l for l in open("/proc/%s/status" % pid) if l.startswith("VmHWM")][0].split()[1]
print("paged: %d objects in %d pages of %d, %.2f s" % (objs, pages, limit, dt))
print("objects/s: %d" % (objs / dt))
print("MB/s: %.1f" % (nbytes / dt / 1e6))
print("server peak RSS: %.1f MB" % (int(rss) / 1024))
if objs != count:
    sys.exit("expected %d objects" % count)
PY
echo "database: $(du -m "$tmp/taxii.db" | cut -f1) MB"
