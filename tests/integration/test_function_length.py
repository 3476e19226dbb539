#!/usr/bin/env python3
"""No function in src/ is longer than 120 lines (signature to closing brace), and the
hunt command's entry (cmd_hunt, hunt_main in src/cli/main.c) stays under 60: long
functions are where the hunt and the service drifted apart (docs/architecture.md).

Comments, strings and character literals are blanked first, so braces inside them do not
count; a function is a top-level brace block whose opening brace follows a ')'."""
import os
import re
import sys

SRC = os.path.join(os.environ["YG_SOURCE_DIR"], "src")
LIMIT = 120
ENTRY_LIMIT = 60  # cmd_hunt and hunt_main: argument parsing and printing only


def blank(text):
    """Comments, strings and character literals as spaces, newlines kept."""
    def keep_lines(m):
        return re.sub(r"[^\n]", " ", m.group(0))
    pattern = r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\''
    return re.sub(pattern, keep_lines, text, flags=re.S)


def functions(path):
    """(name, first line, length) of every function definition in path."""
    text = blank(open(path, encoding="utf-8", errors="replace").read())
    lines = text.split("\n")
    depth, out = 0, []
    sig_start = None
    for no, line in enumerate(lines, 1):
        stripped = line.strip()
        if depth == 0 and sig_start is None and stripped and not stripped.startswith("#"):
            sig_start = no
        for ch in line:
            if ch == "{":
                if depth == 0:
                    head = "\n".join(lines[sig_start - 1:no]) if sig_start else ""
                    before = head[: head.rfind("{")].rstrip() if "{" in head else head.rstrip()
                    is_fn = before.endswith(")")
                    m = re.search(r"(\w+)\s*\([^()]*(?:\([^()]*\)[^()]*)*\)\s*$", before)
                    current = (m.group(1) if m else "?", sig_start) if is_fn else None
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    if current:
                        out.append((current[0], current[1], no - current[1] + 1))
                    current = None
                    sig_start = None
            elif ch == ";" and depth == 0:
                sig_start = None
        if depth == 0 and not stripped:
            sig_start = None
    return out


failures = []
count = 0
for root, _dirs, files in os.walk(SRC):
    for f in sorted(files):
        if not f.endswith(".c"):
            continue
        path = os.path.join(root, f)
        rel = os.path.relpath(path, os.path.dirname(SRC))
        for name, first, length in functions(path):
            count += 1
            limit = ENTRY_LIMIT if rel == "src/cli/main.c" and name in ("cmd_hunt", "hunt_main") else LIMIT
            if length > limit:
                failures.append(f"{rel}:{first}: {name} is {length} lines (at most {limit})")

if count < 500:
    failures.append(f"only {count} functions found under {SRC}: the scan is broken")
for f in failures:
    print("FAIL:", f)
print(f"{count} functions checked, {len(failures)} failed")
sys.exit(1 if failures else 0)
