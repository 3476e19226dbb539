#!/usr/bin/env python3
"""Generate Yagura's man pages at build time from their one source each:

  yagura(1) and yagura-COMMAND(1)  the --help text of the built binary, so a
                                   page cannot say anything --help does not
  yagura.yaml(5)                   docs/watch-config.md

    manpages.py YAGURA_BINARY SOURCE_DIR OUT_DIR VERSION

Writes OUT_DIR/NAME.SECTION (roff) and NAME.SECTION.gz (as Debian installs
man pages; no time stamp inside, so builds are reproducible).  Only the Python standard library.
"""
import datetime
import gzip
import os
import re
import subprocess
import sys

# Page name -> the argv (after the binary) whose --help text it holds, and
# its one-line summary.  Commands with subcommands get one page holding the
# --help of each.
PAGES = {
    "yagura": ([["--help"]], "run Sigma rules over security logs"),
    "yagura-hunt": ([["hunt", "--help"]], "run Sigma rules over log files, folders or standard input"),
    "yagura-decode": ([["decode", "--help"]], "print events as the rules see them"),
    "yagura-search": ([["search", "--help"]], "events matching keywords, regular expressions, fields"),
    "yagura-metrics": ([["metrics", "--help"]], "events per log source, event id, computer and file"),
    "yagura-logons": ([["logons", "--help"]], "successful and failed logons per account and source"),
    "yagura-watch": ([["watch", "--help"]], "run as a detection service"),
    "yagura-rules": ([["rules", "check", "--help"], ["rules", "install", "--help"]],
                     "check rules; install, update and list rule sets"),
    "yagura-incidents": ([["incidents", "--help"]], "list, show, close, export and report incidents"),
    "yagura-campaigns": ([["campaigns", "--help"]],
                         "link incidents of many organisations into campaigns and phases"),
    "yagura-serve": ([["serve", "--help"]], "serve the TAXII 2.1 API of the configuration"),
    "yagura-intel": ([["intel", "--help"], ["intel", "check", "--help"], ["intel", "load", "--help"],
                      ["intel", "pull", "--help"], ["intel", "export", "--help"]],
                     "threat intelligence: check, load, pull and export"),
}

# An option line: a dash within the first few columns (continuation lines of
# an option's text are indented further).
OPT_RE = re.compile(r"^ {1,8}-")


def esc(text):
    """Roff-escape one line of text."""
    text = text.replace("\\", "\\e")
    if text.startswith((".", "'")):
        text = "\\&" + text
    return text


def esc_opt(text):
    """An option's head: the dashes as \\- so man renders and searches them."""
    return esc(text).replace("-", "\\-")


def help_text(binary, argv):
    env = dict(os.environ)
    r = subprocess.run([binary] + argv, capture_output=True, text=True, env=env, check=False)
    if r.returncode != 0 or not r.stdout.strip():
        sys.exit(f"manpages.py: `yagura {' '.join(argv)}` failed (exit {r.returncode})")
    return r.stdout


def render_help(text, out, first):
    """--help text to roff: Usage lines to SYNOPSIS material, option lists to
    tagged paragraphs, every other block to a paragraph kept as written."""
    lines = text.rstrip("\n").split("\n")
    i = 0
    usage = []
    while i < len(lines) and (lines[i].startswith("Usage:") or lines[i].startswith("       ")
                              and usage):
        usage.append(lines[i][len("Usage: "):] if lines[i].startswith("Usage:") else lines[i].strip())
        i += 1
    if usage:
        out.append(".nf")
        out.extend(esc(u) for u in usage)
        out.append(".fi")
    if first:
        out.append(".SH DESCRIPTION")
    block = []

    def flush():
        if block:
            out.append(".PP")
            out.append(".nf")
            out.extend(esc(b) for b in block)
            out.append(".fi")
            block.clear()

    in_opts = False
    while i < len(lines):
        ln = lines[i]
        i += 1
        if not ln.strip():
            flush()
            in_opts = False
            continue
        if re.match(r"^[A-Z][\w ]*:$", ln) and ln.rstrip(":") in ("Options", "Commands", "Subcommands"):
            flush()
            out.append(".SS " + esc(ln.rstrip(":")))
            in_opts = True
            continue
        if in_opts and (OPT_RE.match(ln) or re.match(r"^  \S", ln)):
            flush()
            # "  -r, --rules PATH   text": the head up to two blanks.
            body = ln.strip()
            parts = re.split(r"\s{2,}", body, maxsplit=1)
            out.append(".TP")
            out.append("\\fB" + esc_opt(parts[0]) + "\\fR")
            if len(parts) > 1:
                out.append(esc(parts[1]))
            continue
        if in_opts and ln.startswith("         "):
            out.append(esc(ln.strip()))
            continue
        block.append(ln)
    flush()


def help_page(binary, name, argvs, summary, version):
    date = datetime.date.today().isoformat()
    if os.environ.get("SOURCE_DATE_EPOCH"):
        date = datetime.datetime.utcfromtimestamp(int(os.environ["SOURCE_DATE_EPOCH"])).date().isoformat()
    out = [f'.TH "{name.upper()}" "1" "{date}" "yagura {version}" "Yagura manual"',
           ".SH NAME", f"{esc_opt(name)} \\- {esc(summary)}", ".SH SYNOPSIS"]
    for n, argv in enumerate(argvs):
        if n:
            out.append(".SH " + esc(" ".join(["yagura"] + argv[:-1]).upper()))
        render_help(help_text(binary, argv), out, n == 0)
    out += [".SH SEE ALSO"]
    others = sorted(p for p in PAGES if p != name)
    out.append(", ".join(f"\\fB{esc_opt(p)}\\fR(1)" for p in others) + ", \\fByagura.yaml\\fR(5)")
    return "\n".join(out) + "\n"


def inline(md):
    md = esc(md)
    md = re.sub(r"`([^`]+)`", r"\\fB\1\\fR", md)
    md = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", md)
    md = re.sub(r"\*\*([^*]+)\*\*", r"\\fB\1\\fR", md)
    return md


def yaml_page(src, version):
    """docs/watch-config.md to yagura.yaml(5): headings, paragraphs, lists,
    tables and code blocks."""
    date = datetime.date.today().isoformat()
    out = [f'.TH "YAGURA.YAML" "5" "{date}" "yagura {version}" "Yagura manual"',
           ".SH NAME", "yagura.yaml \\- configuration of yagura watch and yagura serve",
           ".SH DESCRIPTION"]
    code = False
    for ln in open(src, encoding="utf-8").read().split("\n"):
        if ln.startswith("```"):
            out.append(".fi\n.RE" if code else ".RS 2\n.nf")
            code = not code
            continue
        if code:
            out.append(esc(ln))
            continue
        if ln.startswith("# "):
            continue
        if ln.startswith("## "):
            out.append(".SH " + inline(ln[3:]).upper())
        elif ln.startswith("### "):
            out.append(".SS " + inline(ln[4:]))
        elif re.match(r"^\|[-| :]+\|$", ln):
            continue
        elif ln.startswith("|"):
            cells = [c.strip() for c in ln.strip("|").split("|")]
            out.append(".TP\n" + inline(cells[0]) + "\n" + " \\(em ".join(inline(x) for x in cells[1:] if x))
        elif re.match(r"^\s*[-*] ", ln):
            out.append(".IP \\(bu 2\n" + inline(re.sub(r"^\s*[-*] ", "", ln)))
        elif not ln.strip():
            out.append(".PP")
        else:
            out.append(inline(ln.strip()))
    out += [".SH SEE ALSO", "\\fByagura\\-watch\\fR(1), \\fByagura\\-serve\\fR(1), "
            "\\fByagura\\-incidents\\fR(1)"]
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    binary, srcdir, outdir, version = sys.argv[1:]
    os.makedirs(outdir, exist_ok=True)
    pages = {name + ".1": help_page(binary, name, argvs, summary, version)
             for name, (argvs, summary) in PAGES.items()}
    pages["yagura.yaml.5"] = yaml_page(os.path.join(srcdir, "docs", "watch-config.md"), version)
    for name, text in pages.items():
        with open(os.path.join(outdir, name), "w", encoding="utf-8") as f:
            f.write(text)
        with open(os.path.join(outdir, name + ".gz"), "wb") as f:
            f.write(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))


if __name__ == "__main__":
    main()
