#!/usr/bin/env python3
"""Helpers of bench/run_peers_bench.sh: the flat JSON-lines input, and the alerts of each tool.

  peers_tool.py flatten --yagura BIN -o OUT.jsonl FILE.evtx...
      every record of the EVTX files, decoded by `yagura decode`, as one flat JSON object per line:
      the System fields Sigma rules name (Channel, EventID, Computer, Provider_Name, ...) and every
      EventData / UserData field at the top level, as NXLog and flat SIEM exports write them.
      Engines that do not descend into evtx_dump's Event.EventData nesting (rsigma) read these.

  peers_tool.py alerts --tool T --kind evtx|jsonl [--index OUT.index.tsv] OUT
      prints one JSON object: the alert count and the (rule id, event) pairs of a tool's output.

  peers_tool.py compare [--rules DIR] A.json B.json
      for the rules both tools fired: how many flag the same events, and the ones that differ.

An event is named "FILE#EventRecordID" (the EVTX file's name) in every input: `flatten` also
writes OUT.index.tsv (line, EVTX file name, Computer, Channel, EventRecordID), by which an alert on
a line of the JSON-lines file, or on an event known by Computer, Channel and EventRecordID only,
gets the same name as on the EVTX file.
"""
import argparse
import json
import os
import subprocess
import sys

# System fields copied to the flat record, under the names Sigma's Windows taxonomy uses.
SYSTEM_FIELDS = ("Channel", "EventID", "Computer", "EventRecordID", "Level", "Task", "Opcode",
                 "Keywords", "Version")


def text(v):
    """evtx_dump writes an element with attributes as {"#attributes": ..., "#text": v}."""
    if isinstance(v, dict) and "#text" in v:
        return v["#text"]
    return v


def flat_record(ev):
    e = ev.get("Event", ev)
    sysf = e.get("System", {}) or {}
    out = {}
    for k in SYSTEM_FIELDS:
        if k in sysf:
            out[k] = text(sysf[k])
    prov = (sysf.get("Provider") or {}).get("#attributes", {})
    if "Name" in prov:
        out["Provider_Name"] = prov["Name"]
    tc = (sysf.get("TimeCreated") or {}).get("#attributes", {})
    if "SystemTime" in tc:
        out["TimeCreated"] = tc["SystemTime"]
    data = e.get("EventData")
    if isinstance(data, dict):
        for k, v in data.items():
            if k != "#attributes":
                out.setdefault(k, v)
    ud = e.get("UserData")
    if isinstance(ud, dict):
        for inner in ud.values():
            if isinstance(inner, dict):
                for k, v in inner.items():
                    if k != "#attributes":
                        out.setdefault(k, v)
    return out


def cmd_flatten(a):
    n = 0
    with open(a.output, "w", encoding="utf-8") as out, \
            open(a.output + ".index.tsv", "w", encoding="utf-8") as index:
        for f in a.files:
            p = subprocess.run([a.yagura, "decode", f], stdout=subprocess.PIPE, check=True)
            for line in p.stdout.decode("utf-8").splitlines():
                if not line.strip():
                    continue
                rec = json.loads(line)
                flat = flat_record(rec.get("fields", rec))
                out.write(json.dumps(flat, ensure_ascii=False, separators=(",", ":")) + "\n")
                n += 1
                index.write(f'{n}\t{os.path.basename(f)}\t{flat.get("Computer")}\t'
                            f'{flat.get("Channel")}\t{flat.get("EventRecordID")}\n')
    print(n)


def jsonl(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                yield json.loads(line)


def json_docs(path):
    """JSON lines, or one JSON array (rsigma's --pretty off writes lines)."""
    with open(path, encoding="utf-8", errors="replace") as f:
        head = f.read(1)
        f.seek(0)
        if head == "[":
            yield from json.load(f)
            return
    yield from jsonl(path)


def dig(d, *path):
    for p in path:
        if not isinstance(d, dict):
            return None
        d = d.get(p)
    return d


def load_index(path):
    """line -> name, and (Computer, Channel, EventRecordID) -> name, from flatten's index."""
    by_line, by_ids = {}, {}
    with open(path, encoding="utf-8") as f:
        for row in f:
            line, name, comp, chan, rid = row.rstrip("\n").split("\t")
            by_line[line] = f"{name}#{rid}"
            by_ids.setdefault((comp, chan, rid), f"{name}#{rid}")
    return by_line, by_ids


def cmd_alerts(a):
    pairs = []
    count = 0
    by_line, by_ids = load_index(a.index) if a.index else ({}, {})

    def ids_key(ev):
        ev = ev or {}
        if "Event" in ev:  # evtx_dump layout
            s = dig(ev, "Event", "System") or {}
            k = (s.get("Computer"), s.get("Channel"), s.get("EventRecordID"))
        else:
            k = (ev.get("Computer"), ev.get("Channel"), ev.get("EventRecordID"))
        return by_ids.get(tuple(str(x) for x in k), "?#" + str(k[2]))

    if a.tool == "yagura":
        for al in jsonl(a.output):
            count += 1
            rid = dig(al, "rule", "id")
            if a.kind == "evtx":
                ev = dig(al, "event", "Event", "System", "EventRecordID")
                key = f'{os.path.basename(dig(al, "source", "file") or "")}#{ev}'
            else:
                line = int(dig(al, "source", "line") or 0)
                # --copies repeats the records: line n is record ((n - 1) mod records) + 1.
                key = by_line.get(str((line - 1) % max(len(by_line), 1) + 1), "?")
            pairs.append((rid, key))
    elif a.tool == "hayabusa":
        for al in jsonl(a.output):
            count += 1
            key = f'{os.path.basename(str(al.get("EvtxFile", "")))}#{al.get("RecordID")}'
            pairs.append((al.get("RuleID"), key))
    elif a.tool == "chainsaw":
        for al in jsonl(a.output):
            count += 1
            doc = al.get("document") or {}
            ev = dig(doc, "data", "Event", "System", "EventRecordID")
            key = f'{os.path.basename(str(doc.get("path", "")))}#{ev}'
            pairs.append((al.get("id"), key))
    elif a.tool == "rsigma":
        for al in json_docs(a.output):
            if not isinstance(al, dict):
                continue
            count += 1
            rid = al.get("rule_id") or al.get("id") or al.get("rule_title")
            pairs.append((rid, ids_key(al.get("event"))))
    json.dump({"tool": a.tool, "alerts": count, "pairs": sorted(set((str(r), k) for r, k in pairs))},
              sys.stdout)


def cmd_compare(a):
    x = json.load(open(a.a, encoding="utf-8"))
    y = json.load(open(a.b, encoding="utf-8"))

    def by_rule(d):
        m = {}
        for r, k in d["pairs"]:
            m.setdefault(r.lower(), set()).add(k)
        return m

    mx, my = by_rule(x), by_rule(y)
    both = sorted(set(mx) & set(my))
    same = [r for r in both if mx[r] == my[r]]
    diff = [r for r in both if mx[r] != my[r]]
    print(f'{y["tool"]}: rules fired by both {len(both)}, same events {len(same)}, '
          f'different {len(diff)}; rules fired by {x["tool"]} only {len(set(mx) - set(my))}, '
          f'by {y["tool"]} only {len(set(my) - set(mx))}')
    titles = rule_titles(a.rules) if a.rules else {}

    def name(r):
        return f'{r} ({titles[r]})' if r in titles else r

    for r in diff[:a.limit]:
        print(f'  differ: {name(r)}: {x["tool"]} {len(mx[r])} events, {y["tool"]} {len(my[r])}, '
              f'common {len(mx[r] & my[r])}')
    for who, only in ((x["tool"], sorted(set(mx) - set(my))), (y["tool"], sorted(set(my) - set(mx)))):
        for r in only[:a.limit]:
            print(f'  {who} only: {name(r)}')


def rule_titles(folder):
    """rule id -> "title; logsource path under the folder", read from the rule files' top lines."""
    out = {}
    for root, _, files in os.walk(folder):
        for fn in files:
            if not fn.endswith((".yml", ".yaml")):
                continue
            path = os.path.join(root, fn)
            t = i = None
            with open(path, encoding="utf-8", errors="replace") as f:
                for line in f:
                    if line.startswith("title:"):
                        t = line[6:].strip()
                    elif line.startswith("id:"):
                        i = line[3:].strip().lower()
                    if t and i:
                        break
            if t and i:
                out[i] = f'{t}; {os.path.relpath(os.path.dirname(path), folder)}'
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("flatten")
    f.add_argument("--yagura", required=True)
    f.add_argument("-o", "--output", required=True)
    f.add_argument("files", nargs="+")
    al = sub.add_parser("alerts")
    al.add_argument("--tool", required=True, choices=["yagura", "hayabusa", "chainsaw", "rsigma"])
    al.add_argument("--kind", required=True, choices=["evtx", "jsonl"])
    al.add_argument("--index", help="flatten's OUT.index.tsv (names events by line or ids)")
    al.add_argument("output")
    c = sub.add_parser("compare")
    c.add_argument("a")
    c.add_argument("b")
    c.add_argument("--limit", type=int, default=8, help="rules listed per kind of difference")
    c.add_argument("--rules", help="rule folder, to name the rules listed by their titles")
    a = ap.parse_args()
    {"flatten": cmd_flatten, "alerts": cmd_alerts, "compare": cmd_compare}[a.cmd](a)


if __name__ == "__main__":
    main()
