"""The layers of src/ run one way (docs/architecture.md, "Layers").

The order is cmake/layers.cmake: layers bottom first, each a list of folders, and
src/cli on top.  This walks every `#include "folder/..."` of src/ and fails on

- a folder of src/ that is in no layer,
- an include of a folder in a higher layer than the including file's own,
- a cycle between folders (also between folders of one layer),
- a layer table in docs/architecture.md that differs from cmake/layers.cmake,

naming the file and line of each offending include.  With a build folder
(YG_BUILD_DIR) it also checks that the build enforces the order: a layer's
include root reaches the headers of its own folders and not those of the layer
above.

Usage: test_layers.py [SOURCE_DIR]  (default: YG_SOURCE_DIR, else the checkout
holding this script).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
LAYER_ROW = re.compile(r"^\|\s*(\d+)\s*\|\s*`(\w+)`\s*\|([^|]*)\|")


def read_layers(root):
    """[(layer, [folders])] bottom first, from cmake/layers.cmake."""
    text = open(os.path.join(root, "cmake", "layers.cmake")).read()
    sets = {}
    for m in re.finditer(r"^set\((YG_LAYERS?(?:_\w+)?)((?:\s+[^)\s]+)*)\s*\)", text, re.M):
        sets[m.group(1)] = m.group(2).split()
    order = sets.get("YG_LAYERS")
    if not order:
        sys.exit("FAIL: cmake/layers.cmake: no set(YG_LAYERS ...)")
    return [(name, sets.get("YG_LAYER_" + name, [])) for name in order]


def docs_layers(root):
    """The layer table of docs/architecture.md: rows `| N | `layer` | `f1`, `f2` | ...`."""
    rows = []
    for line in open(os.path.join(root, "docs", "architecture.md")):
        m = LAYER_ROW.match(line)
        if m:
            rows.append((m.group(2), re.findall(r"`([\w/]+)`", m.group(3))))
    return rows


def includes(src):
    """(file, line, from_folder, to_folder) for every include of another folder of src/."""
    folders = {d for d in os.listdir(src) if os.path.isdir(os.path.join(src, d))}
    for dirpath, _, files in os.walk(src):
        for f in sorted(files):
            if not f.endswith((".c", ".h")):
                continue
            path = os.path.join(dirpath, f)
            own = os.path.relpath(path, src).split(os.sep)[0]
            with open(path, errors="replace") as fh:
                for n, line in enumerate(fh, 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    target = m.group(1)
                    if target.startswith("."):  # relative to the file
                        target = os.path.relpath(os.path.normpath(os.path.join(dirpath, target)), src)
                    first = target.split("/")[0]
                    if "/" in target and first in folders and first != own:
                        yield os.path.relpath(path, os.path.dirname(src)), n, own, first


def find_cycle(graph):
    """One cycle of folders as a list (first == last), or None."""
    state, stack = {}, []

    def visit(v):
        state[v] = 1
        stack.append(v)
        for w in sorted(graph.get(v, ())):
            if state.get(w) == 1:
                return stack[stack.index(w):] + [w]
            if w not in state:
                c = visit(w)
                if c:
                    return c
        stack.pop()
        state[v] = 2
        return None

    for v in sorted(graph):
        if v not in state:
            c = visit(v)
            if c:
                return c
    return None


def enforced(build, layers, src):
    """Problems with the per-layer include roots of the build (empty: enforced)."""
    cc = shutil.which("cc") or shutil.which("gcc")
    roots = os.path.join(build, "layers")
    if not cc or not os.path.isdir(roots):
        return ["no compiler or no %s: cannot check the build's include roots" % roots]
    problems = []
    inc = os.path.join(src, "..", "include")

    def compiles(root, header):
        with tempfile.NamedTemporaryFile("w", suffix=".c") as t:
            t.write('#include "%s"\n' % header)
            t.flush()
            r = subprocess.run([cc, "-fsyntax-only", "-D_GNU_SOURCE", "-I", inc, "-I", root, t.name],
                               capture_output=True, text=True)
            return r.returncode == 0

    def a_header(folder):
        d = os.path.join(src, folder)
        hs = sorted(h for h in os.listdir(d) if h.endswith(".h")) if os.path.isdir(d) else []
        return folder + "/" + hs[0] if hs else None

    checked = 0
    for i, (layer, folders) in enumerate(layers[:-1]):
        root = os.path.join(roots, layer)
        if not os.path.isdir(root):
            continue
        own = next((h for h in map(a_header, folders) if h), None)
        if own and not compiles(root, own):
            problems.append("layer %s cannot include its own %s" % (layer, own))
        above = next((h for _, fs in layers[i + 1:] for h in map(a_header, fs) if h), None)
        if above and compiles(root, above):
            problems.append("layer %s can include %s of a layer above it" % (layer, above))
        checked += 1
    if not checked:
        problems.append("no layer include root under %s" % roots)
    return problems


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                           os.environ.get("YG_SOURCE_DIR", os.path.join(here, "..", "..")))
    src = os.path.join(root, "src")
    layers = read_layers(root)
    rank = {}
    for i, (_, folders) in enumerate(layers):
        for f in folders:
            rank[f] = i
    rank["cli"] = len(layers)
    fails = []
    for d in sorted(os.listdir(src)):
        if os.path.isdir(os.path.join(src, d)) and d not in rank:
            fails.append("src/%s is in no layer of cmake/layers.cmake" % d)
    graph, nedges = {}, 0
    for path, line, own, to in includes(src):
        nedges += 1
        graph.setdefault(own, set()).add(to)
        if own in rank and to in rank and rank[to] > rank[own]:
            fails.append("%s:%d: %s/ includes %s/, a layer above it" % (path, line, own, to))
    cycle = find_cycle(graph)
    if cycle:
        fails.append("include cycle between folders: " + " -> ".join(cycle))
    documented = docs_layers(root)
    # The order of the layers matters, not the order of folders within one.
    if [(n, sorted(f)) for n, f in documented] != [(n, sorted(f)) for n, f in layers]:
        fails.append("docs/architecture.md lists the layers %s, cmake/layers.cmake %s"
                     % (documented, layers))
    build = os.environ.get("YG_BUILD_DIR")
    if build:
        fails += enforced(build, layers, src)
    for f in fails:
        print("FAIL:", f)
    print("%d cross-folder includes between %d folders in %d layers; %d problem(s)"
          % (nedges, len(graph), len(layers), len(fails)))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
