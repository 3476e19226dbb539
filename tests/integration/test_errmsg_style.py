#!/usr/bin/env python3
"""A failure says why one way (src/core/errmsg.h): a module with a handle keeps the
message on the handle behind yg__<module>_errmsg(h); a call without one fills a
struct yg_errmsg the caller owns.  No function in src/ or include/ takes the older
out-parameter pair, a `char *why` buffer and its size, whose callers each chose a size
and so cut the same message at different lengths.

Comments and strings are blanked first; a parameter list may span lines."""
import os
import re
import sys

ROOT = os.environ["YG_SOURCE_DIR"]
# `char *why, size_t wl`, `char *whybuf,\n size_t whylen`, ... in a parameter list.
PAIR = re.compile(r"\bchar\s*\*\s*(why\w*)\s*,\s*size_t\s+\w+\s*[,)]")


def blank(text):
    """Comments, strings and character literals as spaces, newlines kept."""
    def keep_lines(m):
        return re.sub(r"[^\n]", " ", m.group(0))
    pattern = r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\''
    return re.sub(pattern, keep_lines, text, flags=re.S)


def main():
    found = []
    for top in ("src", "include"):
        for d, _, files in os.walk(os.path.join(ROOT, top)):
            for f in sorted(files):
                if not f.endswith((".c", ".h")):
                    continue
                path = os.path.join(d, f)
                text = blank(open(path, encoding="utf-8", errors="replace").read())
                for m in PAIR.finditer(text):
                    line = text.count("\n", 0, m.start()) + 1
                    found.append(f"{os.path.relpath(path, ROOT)}:{line}: '{m.group(1)}' buffer "
                                 "and size: keep the message on the handle "
                                 "(yg__<module>_errmsg) or take a struct yg_errmsg *")
    for f in found:
        print(f)
    print(f"{len(found)} why,size out-parameter(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
