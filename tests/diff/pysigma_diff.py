#!/usr/bin/env python3
"""pysigma_diff.py - differential test of Yagura against pySigma's SQLite backend.

The reference side converts every Windows rule of the shared SigmaHQ corpus with pySigma's
SQLite backend (no processing pipeline: the event table's columns carry the Sigma field
names), loads every document of the shared regression .json files into one SQLite table, and
runs each rule's SQL over the events of the rule's log source. The other side runs
`yagura hunt --format jsonl` over the same rules and files. Both produce a set of
(rule id, event file, event index) triples; every triple found by only one side is a
difference. Differences listed in docs/differential.md are expected, any other one fails.

The last line printed is "N passed, M failed": N counts the pairs both sides agree on plus the
documented differences that occurred, M the undocumented differences. The exit status is 1
when M > 0 or when a side could not run, 0 otherwise.

See docs/differential.md for the method, the table layout and how to run it by hand.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from sigma.backends.sqlite import sqliteBackend
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import FieldMappingTransformation, ValueListPlaceholderTransformation
from sigma.rule import SigmaRule

REPO = Path(__file__).resolve().parents[2]
TABLE = "events"
FULLTEXT = "_fulltext"  # column the backend matches keyword (fieldless) values against
RESERVED = {"evt_file", "evt_index", FULLTEXT.lower()}
# Yagura's log source routing, when present; else the built-in table below is used.
MAPPING_FILES = (REPO / "mappings" / "windows-logsources.yml", REPO / "mappings" / "windows.yml")
# Values of `|expand` placeholders, Yagura's and the reference's alike.
PLACEHOLDER_FILE = REPO / "mappings" / "placeholders.yml"


def check_requirements() -> list[str]:
    """Installed versions that differ from the pins of requirements.txt beside this file."""
    from importlib.metadata import PackageNotFoundError, version

    wrong = []
    for line in (Path(__file__).with_name("requirements.txt")).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" not in line:
            continue
        name, want = (x.strip() for x in line.split("==", 1))
        try:
            have = version(name)
        except PackageNotFoundError:
            have = "not installed"
        if have != want:
            wrong.append(f"{name} {have} (pinned {want})")
    return wrong


# ---------------------------------------------------------------------------------------------
# Log source routing
# ---------------------------------------------------------------------------------------------

SYSMON = "Microsoft-Windows-Sysmon/Operational"
POWERSHELL = ("Microsoft-Windows-PowerShell/Operational", "PowerShellCore/Operational")
CLASSIC_POWERSHELL = "Windows PowerShell"


@dataclasses.dataclass(frozen=True)
class Route:
    """Events a rule applies to: a channel set, an EventID set and field conditions (None or
    empty means any), and how the rule's field names map to the event's on this route."""

    channels: frozenset[str] | None  # lower-cased channel names
    event_ids: frozenset[int] | None
    where: tuple[tuple[str, frozenset[str]], ...] = ()  # event field, lower-cased allowed values
    fieldmap: tuple[tuple[str, tuple[str, ...]], ...] = ()  # Sigma field -> event field(s)

    def admits(self, ev: "Event") -> bool:
        if self.channels is not None and (ev.channel or "").lower() not in self.channels:
            return False
        if self.event_ids is not None and ev.event_id not in self.event_ids:
            return False
        for field, allowed in self.where:
            v = ev.fields.get(field)
            values = v if isinstance(v, list) else [v]
            if not any(x is not None and str(x).lower() in allowed for x in values):
                return False
        return True


def route(channels, event_ids=None, fieldmap=None, where=None) -> Route:
    """A Route from plain values; fieldmap maps Sigma field names to event field names."""
    if isinstance(channels, str):
        channels = [channels]
    if event_ids is not None and not isinstance(event_ids, (list, tuple, set, frozenset)):
        event_ids = [event_ids]
    fm: dict[str, list[str]] = collections.defaultdict(list)
    for sigma_field, event_fields in (fieldmap or {}).items():
        fm[sigma_field].extend([event_fields] if isinstance(event_fields, str) else event_fields)
    return Route(
        None if channels is None else frozenset(str(c).lower() for c in channels),
        None if event_ids is None else frozenset(int(e) for e in event_ids),
        tuple(sorted((str(k), frozenset(str(x).lower() for x in (v if isinstance(v, list) else [v])))
                     for k, v in (where or {}).items())),
        tuple(sorted((k, tuple(v)) for k, v in fm.items())),
    )


# Categories: the Sigma taxonomy appendix (Windows folder), with Security 4688 as a second
# process_creation source (its field names per SigmaHQ's THOR mapping) and Sysmon 26
# (file delete detected) as a second file_delete source. file_access and file_rename come from
# an ETW provider that no regression event carries, so they have no route.
BUILTIN_CATEGORIES: dict[str, list[Route]] = {
    "process_creation": [
        route(SYSMON, 1),
        route("Security", 4688, {"Image": "NewProcessName", "ParentImage": "ParentProcessName"}),
    ],
    "file_change": [route(SYSMON, 2)],
    "network_connection": [route(SYSMON, 3)],
    "sysmon_status": [route(SYSMON, [4, 16])],
    "process_termination": [route(SYSMON, 5)],
    "driver_load": [route(SYSMON, 6)],
    "image_load": [route(SYSMON, 7)],
    "create_remote_thread": [route(SYSMON, 8)],
    "raw_access_thread": [route(SYSMON, 9)],
    "process_access": [route(SYSMON, 10)],
    "file_event": [route(SYSMON, 11)],
    "registry_add": [route(SYSMON, 12)],
    "registry_delete": [route(SYSMON, 12)],
    "registry_set": [route(SYSMON, 13)],
    "registry_rename": [route(SYSMON, 14)],
    "registry_event": [route(SYSMON, [12, 13, 14])],
    "create_stream_hash": [route(SYSMON, 15)],
    "pipe_created": [route(SYSMON, [17, 18])],
    "wmi_event": [route(SYSMON, [19, 20, 21])],
    "dns_query": [route(SYSMON, 22)],
    "file_delete": [route(SYSMON, [23, 26])],
    "clipboard_capture": [route(SYSMON, 24)],
    "process_tampering": [route(SYSMON, 25)],
    "file_delete_detected": [route(SYSMON, 26)],
    "file_block_executable": [route(SYSMON, 27)],
    "file_block_shredding": [route(SYSMON, 28)],
    "file_executable_detected": [route(SYSMON, 29)],
    "sysmon_error": [route(SYSMON, 255)],
    "ps_module": [route(POWERSHELL, 4103)],
    "ps_script": [route(POWERSHELL, 4104)],
    "ps_classic_start": [route(CLASSIC_POWERSHELL, 400)],
    "ps_classic_provider_start": [route(CLASSIC_POWERSHELL, 600)],
    "ps_classic_script": [route(CLASSIC_POWERSHELL, 800)],
}

# Services: channel names from the Sigma taxonomy appendix; the three services SigmaHQ rules
# use that the appendix lacks are taken from SigmaHQ's THOR mapping (shared sigma/thor.yml).
BUILTIN_SERVICES: dict[str, list[str]] = {
    "application": ["Application"],
    "application-experience": [
        "Microsoft-Windows-Application-Experience/Program-Telemetry",
        "Microsoft-Windows-Application-Experience/Program-Compatibility-Assistant",
    ],
    "applocker": [
        "Microsoft-Windows-AppLocker/MSI and Script",
        "Microsoft-Windows-AppLocker/EXE and DLL",
        "Microsoft-Windows-AppLocker/Packaged app-Deployment",
        "Microsoft-Windows-AppLocker/Packaged app-Execution",
    ],
    "appmodel-runtime": ["Microsoft-Windows-AppModel-Runtime/Admin"],
    "appxdeployment-server": ["Microsoft-Windows-AppXDeploymentServer/Operational"],
    "appxpackaging-om": ["Microsoft-Windows-AppxPackaging/Operational"],
    "bitlocker": ["Microsoft-Windows-BitLocker/BitLocker Management"],
    "bits-client": ["Microsoft-Windows-Bits-Client/Operational"],
    "capi2": ["Microsoft-Windows-CAPI2/Operational"],
    "certificateservicesclient-lifecycle-system": [
        "Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational"
    ],
    "codeintegrity-operational": ["Microsoft-Windows-CodeIntegrity/Operational"],
    "dhcp": ["Microsoft-Windows-DHCP-Server/Operational"],
    "diagnosis-scripted": ["Microsoft-Windows-Diagnosis-Scripted/Operational"],
    "dns-client": ["Microsoft-Windows-DNS Client Events/Operational"],
    "dns-server": ["DNS Server"],
    "dns-server-analytic": ["Microsoft-Windows-DNS-Server/Analytical"],
    "dns-server-audit": ["Microsoft-Windows-DNS-Server/Audit"],
    "driver-framework": ["Microsoft-Windows-DriverFrameworks-UserMode/Operational"],
    "firewall-as": ["Microsoft-Windows-Windows Firewall With Advanced Security/Firewall"],
    "hyper-v-worker": ["Microsoft-Windows-Hyper-V-Worker"],
    "iis-configuration": ["Microsoft-IIS-Configuration/Operational"],
    "kernel-event-tracing": ["Microsoft-Windows-Kernel-EventTracing"],
    "kernel-shimengine": [
        "Microsoft-Windows-Kernel-ShimEngine/Operational",
        "Microsoft-Windows-Kernel-ShimEngine/Diagnostic",
    ],
    "ldap": ["Microsoft-Windows-LDAP-Client/Debug"],
    "lsa-server": ["Microsoft-Windows-LSA/Operational"],
    "msexchange-management": ["MSExchange Management"],
    "ntfs": ["Microsoft-Windows-Ntfs/Operational"],
    "ntlm": ["Microsoft-Windows-NTLM/Operational"],
    "openssh": ["OpenSSH/Operational"],
    "powershell": list(POWERSHELL[:1]),
    "powershell-classic": [CLASSIC_POWERSHELL],
    "printservice-admin": ["Microsoft-Windows-PrintService/Admin"],
    "printservice-operational": ["Microsoft-Windows-PrintService/Operational"],
    "security": ["Security"],
    "security-mitigations": [
        "Microsoft-Windows-Security-Mitigations/Kernel Mode",
        "Microsoft-Windows-Security-Mitigations/User Mode",
    ],
    "sense": ["Microsoft-Windows-SENSE/Operational"],
    "servicebus-client": [
        "Microsoft-ServiceBus-Client/Operational",
        "Microsoft-ServiceBus-Client/Admin",
    ],
    "microsoft-servicebus-client": [
        "Microsoft-ServiceBus-Client/Operational",
        "Microsoft-ServiceBus-Client/Admin",
    ],
    "shell-core": ["Microsoft-Windows-Shell-Core/Operational"],
    "smbclient-connectivity": ["Microsoft-Windows-SmbClient/Connectivity"],
    "smbclient-security": ["Microsoft-Windows-SmbClient/Security"],
    "smbserver-connectivity": ["Microsoft-Windows-SMBServer/Connectivity"],
    "sysmon": [SYSMON],
    "system": ["System"],
    "taskscheduler": ["Microsoft-Windows-TaskScheduler/Operational"],
    "terminalservices-localsessionmanager": [
        "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational"
    ],
    "vhdmp": ["Microsoft-Windows-VHDMP/Operational"],
    "windefend": ["Microsoft-Windows-Windows Defender/Operational"],
    "wmi": ["Microsoft-Windows-WMI-Activity/Operational"],
}


class MappingError(Exception):
    pass


def load_mapping(path: Path) -> tuple[dict[str, list[Route]], dict[str, list[Route]]]:
    """Read Yagura's Windows mapping file (mappings/windows.yml, format in docs/mappings.md):

        windows:
          services: {<channel>: <service>, ...}
          categories:
            - {category: <name>, channel: <channel> | channels: [...], event_ids: [...],
               where: {<event field>: <value or list>}, fields: {<event field>: <Sigma field>}}

    Other keys (channel_fields, event_id_fields, the top-level fields section) do not concern
    routing and are ignored.
    """
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise MappingError(f"cannot read {path}: {e}") from None
    if isinstance(doc, dict) and isinstance(doc.get("windows"), dict):
        doc = doc["windows"]
    if not isinstance(doc, dict):
        raise MappingError(f"{path}: no 'windows' mapping")
    svc_map = doc.get("services")
    cat_list = doc.get("categories")
    if not isinstance(svc_map, dict) or not isinstance(cat_list, list):
        raise MappingError(f"{path}: expected 'services' (channel -> service) and 'categories' (a list)")

    channels_of_service: dict[str, list[str]] = collections.defaultdict(list)
    for channel, service in svc_map.items():
        if not isinstance(service, str):
            raise MappingError(f"{path}: service of channel {channel!r} is not a name: {service!r}")
        channels_of_service[service.lower()].append(str(channel))
    services = {s: [route(chans)] for s, chans in channels_of_service.items()}

    categories: dict[str, list[Route]] = collections.defaultdict(list)
    for e in cat_list:
        if not isinstance(e, dict) or not isinstance(e.get("category"), str):
            raise MappingError(f"{path}: category entry without a category name: {e!r}")
        chans = e.get("channels", e.get("channel"))
        if chans is None:
            raise MappingError(f"{path}: category {e['category']!r} entry names no channel")
        ids = e.get("event_ids")
        if ids is not None and not isinstance(ids, list):
            ids = [ids]
        where = e.get("where") or {}
        fields = e.get("fields") or {}
        if not isinstance(where, dict) or not isinstance(fields, dict):
            raise MappingError(f"{path}: 'where' and 'fields' of {e['category']!r} must be mappings")
        # fields maps event field -> Sigma field; the rule conversion needs the reverse.
        to_event: dict[str, list[str]] = collections.defaultdict(list)
        for event_field, sigma_field in fields.items():
            to_event[str(sigma_field)].append(str(event_field))
        try:
            categories[e["category"].lower()].append(route(chans, ids, to_event, where))
        except (TypeError, ValueError) as err:
            raise MappingError(f"{path}: category {e['category']!r}: {err}") from None
    return dict(categories), services


def builtin_mapping() -> tuple[dict[str, list[Route]], dict[str, list[Route]]]:
    return (
        {k: list(v) for k, v in BUILTIN_CATEGORIES.items()},
        {k: [route(v)] for k, v in BUILTIN_SERVICES.items()},
    )


def routes_for(logsource: dict, categories, services) -> list[Route] | None:
    """The routes of a Windows rule's log source; None when the log source is unknown."""
    cat = logsource.get("category")
    svc = logsource.get("service")
    if cat is None and svc is None:
        return [Route(None, None)]  # product: windows alone: every Windows event
    if cat is not None:
        croutes = categories.get(str(cat).lower())
        if croutes is None:
            return None
        if svc is None:
            return croutes
        sroutes = services.get(str(svc).lower())
        if sroutes is None:
            return None
        schans = frozenset().union(*(r.channels or frozenset() for r in sroutes))
        return [dataclasses.replace(r, channels=r.channels & schans if r.channels is not None else schans)
                for r in croutes]
    return services.get(str(svc).lower())


# ---------------------------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Rule:
    id: str
    title: str
    path: str  # relative to the shared folder
    doc: dict
    routes: list[Route] | None = None
    # (route subset, SQL statements) per distinct field mapping
    plans: list[tuple[list[Route], list[str]]] = dataclasses.field(default_factory=list)
    error: str | None = None  # pySigma's conversion error
    sql_error: str | None = None  # SQLite's error running the converted SQL


def rule_dirs(shared: Path) -> list[Path]:
    # Folders with rule files only: a -r that loads nothing is an error for yagura hunt.
    return sorted(p for p in (shared / "sigma").glob("rules*") if p.is_dir() and any(p.rglob("*.yml")))


def load_rules(shared: Path):
    """(Windows detection rules, {id: title} of every rule document, ids of correlation rules)."""
    windows: list[Rule] = []
    titles: dict[str, str] = {}
    correlations: set[str] = set()
    for d in rule_dirs(shared):
        for f in sorted(list(d.rglob("*.yml")) + list(d.rglob("*.yaml"))):
            rel = f.relative_to(shared).as_posix()
            try:
                docs = list(yaml.safe_load_all(f.read_text(encoding="utf-8")))
            except yaml.YAMLError as e:
                print(f"warning: {rel}: not YAML: {e}", file=sys.stderr)
                continue
            for doc in docs:
                if not isinstance(doc, dict):
                    continue
                rid = str(doc.get("id", ""))
                if rid:
                    titles.setdefault(rid, str(doc.get("title", "")))
                if "correlation" in doc:
                    correlations.add(rid)
                    continue
                if "filter" in doc and "detection" not in doc:
                    continue
                ls = doc.get("logsource") or {}
                if not isinstance(ls, dict) or str(ls.get("product", "")).lower() != "windows":
                    continue
                windows.append(Rule(rid, str(doc.get("title", "")), rel, doc))
    return windows, titles, correlations


def load_placeholders(path: Path) -> dict[str, list[str]]:
    """{name: values} of the placeholder file (a map of name to a list, a string or a number)."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(doc, dict):
        raise MappingError(f"{path}: not a map of placeholder names to values")
    out: dict[str, list[str]] = {}
    for name, values in doc.items():
        values = values if isinstance(values, list) else [values]
        out[str(name)] = [str(v) for v in values if v is not None]
    return out


_PLACEHOLDER = re.compile(r"%([^%\s]+)%")


def _placeholder_vars(doc: dict, placeholders: dict[str, list[str]]) -> dict[str, list[str]]:
    """The placeholder values a rule needs, under the rule's spelling of each name. A name is
    looked up exactly, then ignoring ASCII case, as Yagura does."""
    names: set[str] = set()

    def walk(key: str, v):
        if isinstance(v, dict):
            for k, sub in v.items():
                walk(str(k), sub)
        elif isinstance(v, list):
            for sub in v:
                walk(key, sub)
        elif isinstance(v, str) and "expand" in key.split("|")[1:]:
            names.update(_PLACEHOLDER.findall(v))

    walk("", doc.get("detection") or {})
    lower = {k.lower(): k for k in placeholders}
    out = {}
    for n in names:
        key = n if n in placeholders else lower.get(n.lower())
        if key is not None:
            out[n] = placeholders[key]
    return out


def _pipeline(fieldmap: tuple[tuple[str, tuple[str, ...]], ...], pvars: dict[str, list[str]]):
    items = []
    if pvars:
        items.append(ProcessingItem(identifier="placeholders", transformation=ValueListPlaceholderTransformation()))
    if fieldmap:
        mapping = {k: (v[0] if len(v) == 1 else list(v)) for k, v in fieldmap}
        items.append(ProcessingItem(identifier="route_fields", transformation=FieldMappingTransformation(mapping)))
    if not items:
        return None
    return ProcessingPipeline(name="differential test", items=items, vars=pvars)


def _error_text(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}".strip()


def convert_rules(rules: list[Rule], categories, services, placeholders: dict[str, list[str]]) -> None:
    """Fill in routes, SQL and errors of each rule."""
    for r in rules:
        r.routes = routes_for(r.doc.get("logsource") or {}, categories, services)
        pvars = _placeholder_vars(r.doc, placeholders)
        groups: dict[tuple, list[Route]] = collections.defaultdict(list)
        for rt in r.routes or [Route(None, None)]:
            # A rule without a route still gets converted so that its conversion is checked.
            groups[rt.fieldmap].append(rt)
        for fieldmap, rts in groups.items():
            try:
                rule = SigmaRule.from_dict(r.doc, collect_errors=True)
                if rule.errors:
                    raise rule.errors[0]
                backend = sqliteBackend(_pipeline(fieldmap, pvars), table=TABLE, fulltext_field=FULLTEXT)
                queries = backend.convert_rule(rule)
            except Exception as e:  # pySigma reports errors as exceptions of several classes
                r.error = _error_text(e)
                r.plans = []
                break
            r.plans.append((rts if r.routes is not None else [], [str(q) for q in queries]))


# ---------------------------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Event:
    file: str  # relative to the shared folder
    index: int  # 1-based document ordinal within the file
    fields: dict[str, object]
    channel: str | None
    event_id: int | None
    text: str  # every leaf value, one a line (keyword search)


def iter_json_documents(text: str):
    """The JSON documents of a file holding one or several concatenated documents."""
    dec = json.JSONDecoder()
    i, n = 0, len(text)
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            return
        obj, i = dec.raw_decode(text, i)
        yield obj


def _scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return v


def _system_fields(system: dict, out: dict) -> None:
    """System fields by their Sigma names: element text under the element's name, attributes
    as <element>_<attribute> (Provider_Name, Security_UserID, TimeCreated_SystemTime...)."""

    def walk(prefix: str, v):
        if isinstance(v, dict):
            for k, sub in v.items():
                if k == "#attributes" and isinstance(sub, dict):
                    for a, av in sub.items():
                        walk(f"{prefix}_{a}" if prefix else a, av)
                elif k == "#text":
                    walk(prefix, sub)
                else:
                    walk(f"{prefix}_{k}" if prefix else k, sub)
        elif isinstance(v, list):
            out.setdefault(prefix, [])
            for item in v:
                walk(prefix, item)
        elif v is not None:
            _put(out, prefix, _scalar(v))

    for k, v in system.items():
        walk(k, v)


def _put(out: dict, name: str, value) -> None:
    old = out.get(name)
    if isinstance(old, list):
        old.append(value)
    elif old is None:
        out[name] = value
    else:
        out[name] = [old, value]


def _data_fields(data, out: dict) -> None:
    """EventData / UserData leaves by their own names; attributes of the wrappers are skipped.
    UserData has one wrapper element named after the event's template; its children are the
    fields, as the EventData children are."""

    def walk(name: str | None, v):
        if isinstance(v, dict):
            for k, sub in v.items():
                if k == "#attributes":
                    continue
                walk(name if k == "#text" else k, sub)
        elif isinstance(v, list):
            for item in v:
                walk(name, item)
        elif v is not None and name is not None:
            _put(out, name, _scalar(v))

    walk(None, data)


def load_events(shared: Path) -> list[Event]:
    events: list[Event] = []
    root = shared / "sigma" / "regression"
    for f in sorted(root.rglob("*.json")):
        rel = f.relative_to(shared).as_posix()
        for idx, doc in enumerate(iter_json_documents(f.read_text(encoding="utf-8")), start=1):
            ev = doc.get("Event", {}) if isinstance(doc, dict) else {}
            fields: dict[str, object] = {}
            _system_fields(ev.get("System") or {}, fields)
            data: dict[str, object] = {}
            _data_fields(ev.get("EventData"), data)
            _data_fields(ev.get("UserData"), data)
            # Some providers (Windows Defender) name their data with spaces ("Source Name");
            # Sigma rules name those fields without them ("SourceName"), as SigmaHQ's own
            # regression expectations assume. Both spellings are columns.
            for name in [n for n in data if " " in n]:
                data.setdefault(name.replace(" ", ""), data[name])
            # A data field hides a System field of the same name (SQLite column names ignore
            # case, so the comparison does too).
            hidden = {n.lower() for n in data}
            fields = {k: v for k, v in fields.items() if k.lower() not in hidden}
            fields.update(data)
            eid = fields.get("EventID")
            try:
                eid = int(eid) if eid is not None and not isinstance(eid, list) else None
            except (TypeError, ValueError):
                eid = None
            chan = fields.get("Channel")
            values = []
            for v in fields.values():
                values.extend(v if isinstance(v, list) else [v])
            events.append(Event(rel, idx, fields, chan if isinstance(chan, str) else None, eid,
                                "\n".join(str(v) for v in values)))
    return events


def build_table(events: list[Event]) -> tuple[sqlite3.Connection, list[str]]:
    """One row per event. A column holding only integers gets INTEGER affinity (numeric
    comparisons, and '4688' = 4688), any other column is TEXT COLLATE NOCASE (Sigma's
    case-insensitive equality). A field with several values (a JSON list) is stored as its
    values joined by newlines. Returns the connection and warnings."""
    warnings: list[str] = []
    columns: dict[str, str] = {}  # lower-case name -> name as created
    kinds: dict[str, set] = collections.defaultdict(set)
    for e in events:
        for k, v in e.fields.items():
            low = k.lower()
            if low in RESERVED:
                warnings.append(f"{e.file}#{e.index}: field {k!r} clashes with a reserved column; dropped")
                continue
            if low in columns and columns[low] != k:
                warnings.append(f"field {k!r} shares its column with {columns[low]!r} (SQLite names are case-insensitive)")
            columns.setdefault(low, k)
            for x in (v if isinstance(v, list) else [v]):
                kinds[low].add("int" if isinstance(x, int) and -(2**63) <= x < 2**63 and not isinstance(v, list) else "text")
    conn = sqlite3.connect(":memory:")
    conn.create_function("regexp", 2, _regexp, deterministic=True)
    decl = ['"evt_file" TEXT', '"evt_index" INTEGER', f'"{FULLTEXT}" TEXT']
    for low, name in columns.items():
        typ = "INTEGER" if kinds[low] == {"int"} else "TEXT COLLATE NOCASE"
        decl.append('"' + name.replace('"', '""') + '" ' + typ)
    conn.execute(f"CREATE TABLE {TABLE} ({', '.join(decl)})")
    for e in events:
        row = {"evt_file": e.file, "evt_index": e.index, FULLTEXT: e.text}
        for k, v in e.fields.items():
            low = k.lower()
            if low in RESERVED:
                continue
            if isinstance(v, list):
                v = "\n".join(str(x) for x in v)
            elif kinds[low] != {"int"} and not isinstance(v, str):
                v = str(v)
            row[columns[low]] = v
        names = list(row)
        conn.execute(
            f"INSERT INTO {TABLE} ({', '.join(chr(34) + n.replace(chr(34), chr(34) * 2) + chr(34) for n in names)}) "
            f"VALUES ({', '.join('?' * len(names))})",
            [row[n] for n in names],
        )
    return conn, sorted(set(warnings))


_REGEX_CACHE: dict[str, re.Pattern] = {}


def _regexp(pattern, value) -> bool:
    """SQLite REGEXP: Python's re.search, false for NULL."""
    if value is None or pattern is None:
        return False
    rx = _REGEX_CACHE.get(pattern)
    if rx is None:
        rx = _REGEX_CACHE[pattern] = re.compile(pattern)
    return rx.search(str(value)) is not None


def _table_columns(conn) -> set[str]:
    return {row[1].lower() for row in conn.execute(f"PRAGMA table_info({TABLE})")}


_NO_COLUMN = re.compile(r"no such column: (.+)$")


def run_pysigma(conn, rules: list[Rule], events: list[Event]) -> set[tuple[str, str, int]]:
    """(rule id, event file, event index) for every rule match within the rule's routes."""
    by_key = {(e.file, e.index): e for e in events}
    matches: set[tuple[str, str, int]] = set()
    for r in rules:
        if r.error:
            continue
        found: set[tuple[str, str, int]] = set()
        for rts, queries in r.plans:
            for q in queries:
                rows = _query(conn, r, q)
                if rows is None:
                    break
                for f, i in rows:
                    e = by_key[(f, i)]
                    if any(rt.admits(e) for rt in rts):
                        found.add((r.id, f, i))
            if r.sql_error:
                break
        if not r.sql_error:
            matches |= found
    return matches


def _query(conn, r: Rule, q: str):
    sql = f"SELECT evt_file, evt_index FROM ({q})"
    for _ in range(200):
        try:
            return conn.execute(sql).fetchall()
        except sqlite3.OperationalError as e:
            m = _NO_COLUMN.search(str(e))
            if m:
                # A field no event carries: an absent field is NULL in every row.
                col = m.group(1).strip().strip('`"')
                if "." not in col and col.lower() not in _table_columns(conn):
                    quoted = '"' + col.replace('"', '""') + '"'
                    conn.execute(f"ALTER TABLE {TABLE} ADD COLUMN {quoted} TEXT COLLATE NOCASE")
                    continue
            r.sql_error = _error_text(e)
            return None
        except sqlite3.Error as e:
            r.sql_error = _error_text(e)
            return None
    r.sql_error = "too many missing columns"
    return None


# ---------------------------------------------------------------------------------------------
# Regression expectations (info.yml)
# ---------------------------------------------------------------------------------------------


def self_check(shared: Path, rules: list[Rule], events: list[Event], matches) -> list[str]:
    """Compare, per regression folder, its own rule's pySigma matches with match_count."""
    by_id = {r.id: r for r in rules}
    lines: list[str] = []
    ok = 0
    root = shared / "sigma" / "regression"
    for info in sorted(root.rglob("info.yml")):
        meta = yaml.safe_load(info.read_text(encoding="utf-8")) or {}
        folder = info.parent
        for rm in meta.get("rule_metadata") or []:
            rid = str(rm.get("id"))
            for t in meta.get("regression_tests_info") or []:
                p = str(t.get("path", ""))
                jf = folder / (Path(p).stem + ".json")
                rel = jf.relative_to(shared).as_posix()
                want = t.get("match_count")
                got = sum(1 for (mid, f, _) in matches if mid == rid and f == rel)
                if want is None or int(want) == got:
                    ok += 1
                    continue
                r = by_id.get(rid)
                if r is None:
                    why = "rule not among the Windows rules"
                elif r.error:
                    why = "pySigma: " + r.error
                elif r.sql_error:
                    why = "SQLite: " + r.sql_error
                elif r.routes is None:
                    why = f"no route for logsource {r.doc.get('logsource')}"
                else:
                    evs = [e for e in events if e.file == rel]
                    routed = [e for e in evs if any(rt.admits(e) for rt in r.routes)]
                    why = f"{len(routed)}/{len(evs)} events routed to the rule"
                lines.append(f"  {rid} {rm.get('title', '')}\n    {rel}: expected {want}, pySigma {got} ({why})")
    head = f"regression expectations: {ok} met, {len(lines)} not met by pySigma"
    return [head] + lines


# ---------------------------------------------------------------------------------------------
# Yagura
# ---------------------------------------------------------------------------------------------


class YaguraError(Exception):
    pass


_SANITIZER = re.compile(r"runtime error:|ERROR: (Address|Leak|Memory|Thread|UndefinedBehavior)Sanitizer|"
                        r"SUMMARY: \w+Sanitizer")


def run_yagura(yagura: str, shared: Path, events: list[Event], timeout: float):
    """Yagura's (rule id, event file, event index) triples over the regression .json files,
    plus the number of alert lines read and the command line."""
    # The .json files are named one by one, so Yagura does not also read the .evtx files beside
    # them; each alert names its file as given here.
    given = {str((shared / rel).resolve()): rel for rel in sorted({e.file for e in events})}
    cmd = [yagura, "hunt", "--format", "jsonl", "--no-event", "--quiet"]
    for d in rule_dirs(shared):
        cmd += ["-r", str(d)]
    cmd += list(given)
    shown = " ".join(cmd[: 6 + 2 * len(rule_dirs(shared))]) + f" <{len(given)} .json files>"
    with tempfile.TemporaryDirectory(prefix="yg-diff-") as tmp:
        out_path = Path(tmp) / "alerts.jsonl"
        err_path = Path(tmp) / "stderr.txt"
        try:
            with open(out_path, "wb") as out, open(err_path, "wb") as err:
                proc = subprocess.run(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, timeout=timeout)
        except FileNotFoundError:
            raise YaguraError(f"cannot run {yagura}: no such file") from None
        except PermissionError:
            raise YaguraError(f"cannot run {yagura}: not executable") from None
        except subprocess.TimeoutExpired:
            raise YaguraError(f"{shown} did not finish within {timeout:.0f} s") from None
        stderr = err_path.read_text(encoding="utf-8", errors="replace")
        # Exit status: 0 no alert, 1 alerts, anything else an error.
        if proc.returncode not in (0, 1):
            raise YaguraError(f"{shown} exited with status {proc.returncode}\n{stderr[-4000:]}")
        triples: set[tuple[str, str, int]] = set()
        n_alerts = 0
        bad: list[str] = []
        for lineno, line in enumerate(out_path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if not line.strip():
                continue
            try:
                alert = json.loads(line)
                rid = str(alert["rule"]["id"])
                src = alert["source"]
                file, index = str(src["file"]), int(src["index"])
            except (ValueError, KeyError, TypeError) as e:
                bad.append(f"line {lineno}: {type(e).__name__}: {e}: {line[:200]}")
                continue
            n_alerts += 1
            if not file.endswith(".json"):
                continue
            rel = given.get(file)
            if rel is None:
                try:
                    rel = Path(file).resolve().relative_to(shared.resolve()).as_posix()
                except ValueError:
                    bad.append(f"line {lineno}: source file {file!r} is none of the inputs")
                    continue
            triples.add((rid, rel, index))
        if bad:
            raise YaguraError("alerts that could not be read:\n  " + "\n  ".join(bad[:20]))
        # A sanitizer that stops the program exits with status 1 too, so status 1 is success
        # only with alerts and without a sanitizer report.
        if _SANITIZER.search(stderr):
            raise YaguraError(f"{shown}: sanitizer report (exit status {proc.returncode}):\n{stderr[-4000:]}")
        if proc.returncode == 1 and n_alerts == 0:
            raise YaguraError(f"{shown} exited with status 1 (alerts) but wrote no alert\n{stderr[-4000:]}")
        if proc.returncode == 0 and n_alerts:
            raise YaguraError(f"{shown} exited with status 0 (no alert) but wrote {n_alerts} alerts")
        return triples, n_alerts, shown, stderr


# Yagura's rule diagnostics, as `yagura rules check` documents them:
#   FILE:LINE:COLUMN: RULE-ID: error|unsupported: REASON
_DIAG = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<id>[^:\s]+): "
                   r"(?P<kind>error|unsupported): (?P<reason>.*)$")


def parse_diagnostics(stderr: str) -> tuple[dict[str, tuple[str, str, str]], list[str]]:
    """{rule id: (kind, reason, file)} of the rules Yagura refused, and the other lines."""
    refused: dict[str, tuple[str, str, str]] = {}
    other: list[str] = []
    for line in stderr.splitlines():
        m = _DIAG.match(line.strip())
        if m:
            refused.setdefault(m["id"], (m["kind"], m["reason"], m["file"]))
        elif line.strip():
            other.append(line.rstrip())
    return refused, other


# ---------------------------------------------------------------------------------------------
# Documented differences
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Documented:
    rule_id: str
    event: str  # "<file>#<index>" or "*" for every event
    side: str  # "yagura" or "pysigma": the side that reports the match
    reason: str
    used: int = 0


def _norm_side(s: str) -> str | None:
    s = s.lower()
    if "yagura" in s:
        return "yagura"
    if "pysigma" in s or "sqlite" in s:
        return "pysigma"
    return None


def load_documented(doc: Path) -> tuple[list[Documented], list[str]]:
    """Rows of the table in docs/differential.md whose header has rule id, event, side and
    reason columns."""
    entries: list[Documented] = []
    problems: list[str] = []
    if not doc.is_file():
        return entries, [f"{doc} not found; no difference is documented"]
    cols: dict[str, int] | None = None
    for lineno, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), 1):
        s = line.strip()
        if not s.startswith("|"):
            cols = None
            continue
        cells = [c.strip() for c in s.strip("|").split("|")]
        if cols is None:
            lower = [c.lower() for c in cells]
            need = {"rule": None, "event": None, "side": None, "reason": None}
            for i, c in enumerate(lower):
                for k in need:
                    if need[k] is None and k in c:
                        need[k] = i
            if all(v is not None for v in need.values()):
                cols = need
            continue
        if all(set(c) <= set("-: ") for c in cells):
            continue
        if len(cells) <= max(cols.values()):
            problems.append(f"{doc.name}:{lineno}: row has too few cells")
            continue

        def cell(k):
            return cells[cols[k]].strip().strip("`").strip()

        side = _norm_side(cell("side"))
        if side is None or not cell("rule"):
            problems.append(f"{doc.name}:{lineno}: side must name yagura or pySigma, rule id must be set")
            continue
        entries.append(Documented(cell("rule"), cell("event"), side, cells[cols["reason"]]))
    return entries, problems


RULE_EVENT = "(rule)"  # the event column of a rule that one side does not load at all


def find_documented(entries: list[Documented], rid: str, file: str, index: int, side: str):
    key = file if file == RULE_EVENT else f"{file}#{index}"
    for d in entries:
        if d.rule_id == rid and d.side == side and d.event in (key, "*"):
            return d
    return None


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def _group_reason(msg: str) -> str:
    """A conversion error message with its rule-specific parts blanked, for grouping."""
    return re.sub(r"'[^']*'", "'…'", msg.split("\n", 1)[0])


def print_conversion(rules: list[Rule], out) -> None:
    failed = [r for r in rules if r.error]
    sqlfail = [r for r in rules if r.sql_error]
    unrouted = [r for r in rules if r.routes is None and not r.error]
    print(f"rules: {len(rules)} Windows rules, {len(rules) - len(failed)} converted by pySigma, "
          f"{len(failed)} not converted, {len(sqlfail)} whose SQL SQLite could not run", file=out)
    groups: dict[str, list[Rule]] = collections.defaultdict(list)
    for r in failed:
        groups[_group_reason(r.error)].append(r)
    for reason, rs in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        print(f"  pySigma failed on {len(rs)}: {reason}", file=out)
        for r in sorted(rs, key=lambda r: r.path):
            print(f"    {r.id} {r.title} ({r.path}): {r.error}", file=out)
    for r in sqlfail:
        print(f"  SQLite failed on {r.id} {r.title} ({r.path}): {r.sql_error}", file=out)
    if unrouted:
        by_ls = collections.Counter(
            ", ".join(f"{k}: {v}" for k, v in sorted((r.doc.get("logsource") or {}).items())
                      if k in ("category", "service")) for r in unrouted)
        print(f"  {len(unrouted)} converted rules have a log source with no Windows event source "
              f"(they apply to no event): " + "; ".join(f"{k} ({n})" for k, n in sorted(by_ls.items())), file=out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--yagura", default=os.environ.get("YAGURA"), help="yagura binary (default: $YAGURA)")
    ap.add_argument("--shared", default=os.environ.get("YG_SHARED_DIR") or str(REPO.parent / "shared"),
                    help="shared data folder (default: $YG_SHARED_DIR or ../shared beside the checkout)")
    ap.add_argument("--mapping", help="Yagura's Windows mapping file (default: the first of "
                    + ", ".join(str(p.relative_to(REPO)) for p in MAPPING_FILES) + " that exists)")
    ap.add_argument("--builtin-mapping", action="store_true", help="ignore the mapping file, use the built-in table")
    ap.add_argument("--doc", default=str(REPO / "docs" / "differential.md"),
                    help="documented differences (default: %(default)s)")
    ap.add_argument("--pysigma-only", action="store_true",
                    help="run the reference side only: print its matches and the regression self-check")
    ap.add_argument("--timeout", type=float, default=1200, help="seconds Yagura may take (default: %(default)s)")
    ap.add_argument("--json", dest="json_out", help="also write the full result as JSON to this file")
    args = ap.parse_args(argv)
    out = sys.stdout
    t0 = time.monotonic()
    wrong = check_requirements()
    if wrong:
        print("error: this Python's packages differ from tests/diff/requirements.txt: " + ", ".join(wrong)
              + "; run scripts/setup-venv.sh and use its virtual environment", file=sys.stderr)
        return 1

    shared = Path(args.shared).resolve()
    if not (shared / "sigma" / "regression").is_dir():
        print(f"error: {shared}/sigma/regression not found (set YG_SHARED_DIR or --shared)", file=sys.stderr)
        return 1
    if not args.pysigma_only and not args.yagura:
        print("error: no yagura binary: set YAGURA or pass --yagura (or use --pysigma-only)", file=sys.stderr)
        return 1

    mapping = Path(args.mapping) if args.mapping else next((p for p in MAPPING_FILES if p.is_file()), None)
    if args.mapping and not mapping.is_file():
        print(f"error: {mapping} not found", file=sys.stderr)
        return 1
    if mapping is not None and not args.builtin_mapping:
        try:
            categories, services = load_mapping(mapping)
        except MappingError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        print(f"log source routing: {mapping} ({len(categories)} categories, {len(services)} services)", file=out)
    else:
        categories, services = builtin_mapping()
        print(f"log source routing: built-in table ({len(categories)} categories, {len(services)} services)", file=out)

    placeholders: dict[str, list[str]] = {}
    if PLACEHOLDER_FILE.is_file():
        try:
            placeholders = load_placeholders(PLACEHOLDER_FILE)
        except (OSError, yaml.YAMLError, MappingError) as e:
            print(f"error: {PLACEHOLDER_FILE}: {e}", file=sys.stderr)
            return 1
        print(f"placeholder values: {PLACEHOLDER_FILE} ({len(placeholders)} names)", file=out)
    rules, titles, correlations = load_rules(shared)
    convert_rules(rules, categories, services, placeholders)
    t_conv = time.monotonic()
    events = load_events(shared)
    conn, warnings = build_table(events)
    for w in warnings:
        print(f"warning: {w}", file=out)
    py = run_pysigma(conn, rules, events)
    t_py = time.monotonic()
    print(f"events: {len(events)} documents in {len({e.file for e in events})} regression .json files", file=out)
    print_conversion(rules, out)
    print(f"pySigma: {len(py)} matches (conversion {t_conv - t0:.1f} s, queries {t_py - t_conv:.1f} s)", file=out)

    rule_by_id = {r.id: r for r in rules}
    result = {"pysigma": sorted(py), "rules": len(rules),
              "pysigma_failed": {r.id: r.error or r.sql_error for r in rules if r.error or r.sql_error}}

    if args.pysigma_only:
        for rid, f, i in sorted(py, key=lambda t: (t[1], t[2], t[0])):
            print(f"  match {rid} {rule_by_id[rid].title} {f}#{i}", file=out)
        for line in self_check(shared, rules, events, py):
            print(line, file=out)
        if args.json_out:
            Path(args.json_out).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        return 0

    for line in self_check(shared, rules, events, py):
        print(line, file=out)

    try:
        yg, n_alerts, shown, yg_stderr = run_yagura(args.yagura, shared, events, args.timeout)
    except YaguraError as e:
        print(f"error: Yagura: {e}", file=sys.stderr)
        print("0 passed, 1 failed", file=out)
        return 1
    t_yg = time.monotonic()
    print(f"Yagura: {n_alerts} alerts, {len(yg)} distinct (rule, event) matches on .json events "
          f"({t_yg - t_py:.1f} s): {shown}", file=out)
    refused, other_stderr = parse_diagnostics(yg_stderr)
    if refused:
        print(f"Yagura refused {len(refused)} rules:", file=out)
        for rid, (kind, reason, file) in sorted(refused.items(), key=lambda kv: kv[1][2]):
            print(f"  {kind}: {rid} {titles.get(rid, '?')} ({file}): {reason}", file=out)
    if other_stderr:
        print("Yagura's standard error:\n  " + "\n  ".join(other_stderr[-40:]), file=out)

    # Rules pySigma could not evaluate, and correlation rules, are outside the comparison.
    uncompared_ids = {r.id for r in rules if r.error or r.sql_error} | correlations
    yg_cmp = {t for t in yg if t[0] not in uncompared_ids}
    skipped = sorted(yg - yg_cmp)
    if skipped:
        print(f"Yagura matches of rules pySigma could not evaluate (not compared): {len(skipped)}", file=out)
        for rid, f, i in skipped:
            print(f"  {rid} {titles.get(rid, '?')} {f}#{i}", file=out)

    documented, problems = load_documented(Path(args.doc))
    for p in problems:
        print(f"warning: {p}", file=out)
    agree = py & yg_cmp
    diffs = [(t, "pysigma") for t in sorted(py - yg_cmp)] + [(t, "yagura") for t in sorted(yg_cmp - py)]
    diffs.sort(key=lambda d: (d[0][1], d[0][2], d[0][0]))
    n_doc = n_undoc = 0
    print(f"matches: pySigma {len(py)}, Yagura {len(yg_cmp)}, both {len(agree)}, "
          f"differences {len(diffs)}", file=out)
    rows = []
    # A Windows rule pySigma converts but Yagura refuses cannot fire in Yagura: a difference on
    # every event, whether or not the regression events happen to exercise it.
    rule_diffs = sorted((r for r in rules if not (r.error or r.sql_error) and r.id in refused), key=lambda r: r.path)
    print(f"rules: {len(rule_diffs)} Windows rules converted by pySigma but refused by Yagura", file=out)
    for r in rule_diffs:
        kind, reason, _ = refused[r.id]
        d = find_documented(documented, r.id, RULE_EVENT, 0, "pysigma")
        if d is not None:
            d.used += 1
            n_doc += 1
        else:
            n_undoc += 1
        print(f"  {'documented' if d else 'UNDOCUMENTED'}: pySigma only: {r.id} {r.title} {RULE_EVENT} "
              f"(Yagura {kind}: {reason})" + (f" [{d.reason}]" if d else ""), file=out)
        rows.append({"rule": r.id, "title": r.title, "event": RULE_EVENT, "side": "pysigma",
                     "documented": d is not None, "yagura": f"{kind}: {reason}"})
    for (rid, f, i), side in diffs:
        d = find_documented(documented, rid, f, i, side)
        only = "pySigma only" if side == "pysigma" else "Yagura only"
        if d is not None:
            d.used += 1
            n_doc += 1
            status = "documented"
        else:
            n_undoc += 1
            status = "UNDOCUMENTED"
        print(f"  {status}: {only}: {rid} {titles.get(rid, '?')} {f}#{i}"
              + (f" [{d.reason}]" if d is not None else ""), file=out)
        rows.append({"rule": rid, "title": titles.get(rid, "?"), "event": f"{f}#{i}", "side": side,
                     "documented": d is not None})
    for d in documented:
        if not d.used:
            print(f"note: documented difference no longer seen: {d.rule_id} {d.event} ({d.side})", file=out)
    print(f"time: {time.monotonic() - t0:.1f} s", file=out)
    if args.json_out:
        result.update({"yagura": sorted(yg), "differences": rows})
        Path(args.json_out).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"{len(agree) + n_doc} passed, {n_undoc} failed", file=out)
    return 1 if n_undoc else 0


if __name__ == "__main__":
    sys.exit(main())
