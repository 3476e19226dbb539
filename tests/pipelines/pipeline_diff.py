#!/usr/bin/env python3
"""pipeline_diff.py - Yagura's pySigma pipelines against pySigma's own, on the same events.

The Sysmon events of SigmaHQ's regression data (the shared .json files) are rewritten the way a
Splunk index holds them: every field renamed by the pipeline's field_name_mapping items
(EventID -> EventCode, CommandLine -> process, ...), the Channel replaced by the add-on's
sourcetype, and index "win". Then every SigmaHQ Windows rule of a category the pipeline routes
(its add_condition items) is

  - converted by pySigma's SQLite backend with the pipeline and run over a table of those
    events (one column per field), and
  - run by `yagura hunt --pipeline PIPELINE --logsource product=windows,category=C` over the
    same events written as JSON lines, once per category C.

Both give (rule id, event number) pairs; every pair found by one side only is a difference.
Rules pySigma cannot convert are counted and left out of the comparison on both sides.

The last line is "N agree, M differ (K rules compared)"; the exit status is 1 when M > 0, when
fewer than --min-agree pairs agree (the comparison would prove nothing), or when a side fails.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from sigma.backends.sqlite import sqliteBackend
from sigma.processing.pipeline import ProcessingPipeline
from sigma.rule import SigmaRule

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "diff"))
import pysigma_diff as pd  # noqa: E402  (the event loader and SQLite table of the main test)

SYSMON = "Microsoft-Windows-Sysmon/Operational"


def pipeline_facts(doc: dict) -> tuple[dict[str, str], dict[str, dict]]:
    """(field renames, {category: conditions added}) from the pipeline's items for Windows."""
    renames: dict[str, str] = {}
    cats: dict[str, dict] = {}
    for it in doc.get("transformations") or []:
        conds = [c for c in it.get("rule_conditions") or [] if c.get("type") == "logsource"]
        if it.get("type") == "field_name_mapping":
            for k, v in (it.get("mapping") or {}).items():
                if isinstance(v, str):
                    renames.setdefault(k, v)
        elif it.get("type") == "add_condition":
            for c in conds:
                if c.get("category"):
                    cats[c["category"]] = it.get("conditions") or {}
    return renames, cats


def splunk_events(events: list, renames: dict[str, str], sourcetype: str) -> list:
    """The Sysmon events with the pipeline's names; a renamed field that would collide with a
    field already present keeps the first value (both sides see the same result)."""
    out = []
    for e in events:
        if (e.channel or "") != SYSMON:
            continue
        fields: dict[str, object] = {}
        for k, v in e.fields.items():
            if k == "Channel":
                continue
            fields.setdefault(renames.get(k, k), v)
        fields["sourcetype"] = sourcetype
        fields["index"] = "win"
        values = []
        for v in fields.values():
            values.extend(v if isinstance(v, list) else [v])
        out.append(pd.Event(e.file, e.index, fields, None, e.event_id, "\n".join(str(v) for v in values)))
    # One numbering for both sides: the line in the JSON lines file.
    for n, e in enumerate(out, start=1):
        e.file, e.index = "events.jsonl", n
    return out


def rule_files(shared: Path, cats: set[str]) -> dict[str, list[tuple[Path, dict]]]:
    """{category: [(file, document)]} of SigmaHQ's Windows detection rules in those categories."""
    by_cat: dict[str, list[tuple[Path, dict]]] = {}
    for f in sorted((shared / "sigma" / "rules" / "windows").rglob("*.yml")):
        try:
            docs = list(yaml.safe_load_all(f.read_text(encoding="utf-8")))
        except yaml.YAMLError:
            continue
        if len(docs) != 1 or not isinstance(docs[0], dict) or "detection" not in docs[0]:
            continue
        ls = docs[0].get("logsource") or {}
        if str(ls.get("product", "")).lower() == "windows" and ls.get("category") in cats and not ls.get("service"):
            by_cat.setdefault(ls["category"], []).append((f, docs[0]))
    return by_cat


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--yagura", required=True)
    ap.add_argument("--shared", required=True, type=Path)
    ap.add_argument("--pipeline", type=Path, default=REPO / "tests" / "pipelines" / "splunk_sysmon.yml")
    ap.add_argument("--min-agree", type=int, default=50)
    ap.add_argument("--timeout", type=float, default=120)
    a = ap.parse_args(argv)
    t0 = time.monotonic()

    text = a.pipeline.read_text(encoding="utf-8")
    renames, cats = pipeline_facts(yaml.safe_load(text))
    sourcetype = next((c["sourcetype"] for c in cats.values() if "sourcetype" in c), "")
    events = splunk_events(pd.load_events(a.shared), renames, sourcetype)
    if not events:
        print("no Sysmon events in the regression data", file=sys.stderr)
        return 1
    conn, _ = pd.build_table(events)
    by_cat = rule_files(a.shared, set(cats))

    # pySigma with the pipeline.
    ref: set[tuple[str, int]] = set()
    compared: set[str] = set()
    unconverted = 0
    backend = sqliteBackend(ProcessingPipeline.from_yaml(text), table=pd.TABLE, fulltext_field=pd.FULLTEXT)
    for cat, rules in by_cat.items():
        for f, doc in rules:
            r = pd.Rule(str(doc.get("id", "")), str(doc.get("title", "")), str(f), doc)
            try:
                rule = SigmaRule.from_dict(doc)
                queries = [str(q) for q in backend.convert_rule(rule)]
            except Exception:  # pySigma reports conversion errors as exceptions of several classes
                unconverted += 1
                continue
            rows: set[int] = set()
            for q in queries:
                got = pd._query(conn, r, q)
                if got is None:
                    break
                rows |= {i for _, i in got}
            if r.sql_error:
                unconverted += 1
                continue
            compared.add(r.id)
            ref |= {(r.id, i) for i in rows}

    t1 = time.monotonic()
    # Yagura with the same pipeline, one run per category.
    ours: set[tuple[str, int]] = set()
    with tempfile.TemporaryDirectory() as tmp:
        ev = Path(tmp) / "events.jsonl"
        with ev.open("w", encoding="utf-8") as fh:
            for e in events:
                fh.write(json.dumps(e.fields) + "\n")
        for cat, rules in sorted(by_cat.items()):
            rdir = Path(tmp) / cat
            rdir.mkdir()
            for f, _ in rules:
                (rdir / f.name).symlink_to(f)
            cmd = [a.yagura, "hunt", "-q", "--no-event", "-t", "1", "--pipeline", str(a.pipeline),
                   "-r", str(rdir), "--logsource", f"product=windows,category={cat}", str(ev)]
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=a.timeout)
            if p.returncode not in (0, 1):
                print(f"yagura failed ({p.returncode}) for {cat}:\n{p.stderr[-2000:]}", file=sys.stderr)
                return 1
            for line in p.stdout.splitlines():
                al = json.loads(line)
                ours.add((al["rule"]["id"], int(al["source"]["line"])))

    t2 = time.monotonic()
    ours = {m for m in ours if m[0] in compared}
    only_ref, only_ours = sorted(ref - ours), sorted(ours - ref)
    for rid, i in only_ref:
        print(f"only pySigma: rule {rid} on event {i}")
    for rid, i in only_ours:
        print(f"only Yagura:  rule {rid} on event {i}")
    agree = len(ref & ours)
    print(f"{len(events)} events, {len(compared)} rules compared, {unconverted} not converted by pySigma, "
          f"pySigma {t1 - t0:.1f} s, Yagura {t2 - t1:.1f} s")
    print(f"{agree} agree, {len(only_ref) + len(only_ours)} differ ({len(compared)} rules compared)")
    if agree < a.min_agree:
        print(f"fewer than {a.min_agree} agreeing matches: the comparison proves nothing", file=sys.stderr)
        return 1
    return 1 if only_ref or only_ours else 0


if __name__ == "__main__":
    sys.exit(main())
