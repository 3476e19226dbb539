/*
 * assets.c - the console's one style sheet, one script and icon, served
 * from the binary under /console/static/ (the Content-Security-Policy
 * allows nothing inline and nothing from elsewhere).
 */
#include "console/console_int.h"

#include <string.h>

static const char css[] =
    ":root{--fg:#1b1f24;--bg:#fff;--muted:#57606a;--line:#d0d7de;--accent:#0550ae;"
    "--focus:#bf3989}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;font:15px/1.45 system-ui,sans-serif;color:var(--fg);background:var(--bg)}\n"
    "a{color:var(--accent)}\n"
    "a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,"
    "textarea:focus-visible,summary:focus-visible,main:focus-visible,h2:focus-visible"
    "{outline:3px solid var(--focus);outline-offset:2px}\n"
    ".skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5em}\n"
    ".skip:focus{left:.5em;z-index:2}\n"
    "header{display:flex;gap:1.5em;align-items:center;padding:.6em 1.2em;background:#24292f;"
    "color:#fff}\n"
    "header a{color:#fff}\n"
    ".brand{font-weight:700;letter-spacing:.05em}\n"
    "nav{display:flex;gap:1em;flex:1}\n"
    ".who{display:flex;gap:.8em;align-items:center}\n"
    ".who form{margin:0}\n"
    "main{padding:1em 1.2em;max-width:90em}\n"
    "h1{font-size:1.5em;margin:.3em 0}\n"
    "h2{font-size:1.15em;margin-top:1.5em;border-bottom:1px solid var(--line)}\n"
    "form.filters{display:flex;flex-wrap:wrap;gap:.2em 1em;align-items:flex-end;"
    "padding:.6em;border:1px solid var(--line);border-radius:6px;background:#f6f8fa}\n"
    "form p{margin:.3em 0}\n"
    "label{display:block;font-size:.85em;color:var(--muted)}\n"
    "input,select,textarea,button{font:inherit;padding:.3em .5em;border:1px solid #8c959f;"
    "border-radius:4px}\n"
    "textarea{width:100%}\n"
    "button,.button{background:var(--accent);color:#fff;border-color:var(--accent);"
    "cursor:pointer;text-decoration:none;padding:.3em "
    ".8em;border-radius:4px;display:inline-block}\n"
    "table{border-collapse:collapse;width:100%;margin:.8em 0}\n"
    "caption{text-align:left;color:var(--muted);padding:.3em 0}\n"
    "th,td{text-align:left;border-bottom:1px solid var(--line);padding:.35em .5em;"
    "vertical-align:top}\n"
    "td.num{text-align:right}\n"
    ".id,.source{font-family:ui-monospace,monospace;font-size:.85em;color:var(--muted)}\n"
    ".sev{display:inline-block;padding:0 .45em;border-radius:3px;font-size:.85em;"
    "border:1px solid}\n"
    ".sev-critical{background:#ffebe9;color:#82071e}.sev-high{background:#fff1e5;color:#953800}\n"
    ".sev-medium{background:#fff8c5;color:#7d4e00}.sev-low,.sev-informational"
    "{background:#ddf4ff;color:#0a3069}\n"
    ".status{font-size:.85em}.status-closed{color:var(--muted)}\n"
    ".pivot{margin-right:.4em;white-space:nowrap}\n"
    ".kind{color:var(--muted);font-size:.85em}\n"
    "dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em}\n"
    "dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}\n"
    ".triage-forms{display:grid;grid-template-columns:repeat(auto-fit,minmax(16em,1fr));"
    "gap:1em}\n"
    "form.triage{border:1px solid var(--line);border-radius:6px;padding:.5em .8em}\n"
    "ol.timeline{padding-left:1.5em}\n"
    "li.step{margin:.5em 0;border-bottom:1px solid var(--line)}\n"
    "li.step p{margin:.2em 0}\n"
    "pre{white-space:pre-wrap;word-break:break-all;background:#f6f8fa;padding:.6em;"
    "font-size:.85em;max-height:30em;overflow:auto}\n"
    ".error{color:#82071e;background:#ffebe9;padding:.5em;border-radius:4px}\n"
    "form.login{max-width:22em}\n"
    "td.detail{white-space:pre-wrap}\n"
    "time{white-space:nowrap}\n"
    /* the campaign pages: phase timeline and graph of linked incidents (SVG) */
    "figure.timeline{margin:.5em 0}\n"
    "svg.phase-timeline,svg.link-graph{max-width:100%;height:auto;display:block}\n"
    "svg .grid{stroke:var(--line)}svg .year{fill:var(--muted);font-size:11px}\n"
    "svg .label{fill:var(--fg);font-size:13px;font-weight:600}\n"
    "svg .dates{fill:var(--muted);font-size:12px}\n"
    "svg .tick{stroke:#fff;stroke-opacity:.7}\n"
    ".ph-0{fill:#0969da}.ph-1{fill:#bc4c00}.ph-2{fill:#1a7f37}.ph-3{fill:#8250df}"
    ".ph-4{fill:#bf3989}.ph-5{fill:#57606a}\n"
    "a.phase-bar:focus-visible{outline:3px solid var(--focus)}\n"
    "a.phase-bar:focus-visible rect,a.phase-bar:hover rect{stroke:var(--focus);stroke-width:3}\n"
    "svg .edge{stroke:#8c959f}svg .edge.w2{stroke-width:2}svg .edge.w3{stroke-width:3}\n"
    "svg circle{stroke:#fff;stroke-width:1.5}svg circle.local{stroke:var(--fg);stroke-width:3}\n"
    "a.node:hover circle{stroke:var(--focus);stroke-width:3}\n"
    "section.phase{border:1px solid var(--line);border-radius:6px;padding:.2em .9em;"
    "margin:.8em 0}\n"
    "section.phase h3{margin:.4em 0}\n"
    "ul.evidence{margin:0;padding-left:1.1em}\n"
    ".local{font-size:.75em;border:1px solid var(--muted);border-radius:3px;padding:0 .3em}\n"
    ".none,.count{color:var(--muted)}\n"
    "tr:target{background:#fff8c5}\n";

/* Small conveniences only; every page works without the script. */
static const char js[] =
    "'use strict';\n"
    "document.addEventListener('DOMContentLoaded', function () {\n"
    "  // '/' moves the focus to the entity filter of the list, as in many tools.\n"
    "  var ent = document.getElementById('f-entity');\n"
    "  if (ent) {\n"
    "    document.addEventListener('keydown', function (e) {\n"
    "      var t = e.target.tagName;\n"
    "      if (e.key === '/' && t !== 'INPUT' && t !== 'TEXTAREA' && t !== 'SELECT') {\n"
    "        e.preventDefault();\n"
    "        ent.focus();\n"
    "      }\n"
    "    });\n"
    "  }\n"
    "  // A triage form is sent once: its button is disabled while it goes.\n"
    "  document.querySelectorAll('form.triage').forEach(function (f) {\n"
    "    f.addEventListener('submit', function () {\n"
    "      var b = f.querySelector('button');\n"
    "      if (b) { b.disabled = true; }\n"
    "    });\n"
    "  });\n"
    "  // After a triage action the audit trail is where the eye goes.\n"
    "  if (location.hash === '#audit') {\n"
    "    var a = document.getElementById('audit');\n"
    "    if (a) { a.focus(); }\n"
    "  }\n"
    "});\n";

static const char icon[] = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\">"
                           "<path d=\"M2 15V6h2V3h8v3h2v9h-4v-4H6v4z\" fill=\"#24292f\"/></svg>\n";

bool yg__console_asset(const char *name, const char **type, const char **body, size_t *n)
{
    static const struct {
        const char *name, *type, *body;
        size_t n;
    } assets[] = {
        {"console.css", "text/css; charset=utf-8", css, sizeof css - 1},
        {"console.js", "text/javascript; charset=utf-8", js, sizeof js - 1},
        {"icon.svg", "image/svg+xml", icon, sizeof icon - 1},
    };
    for (size_t i = 0; i < sizeof assets / sizeof assets[0]; i++)
        if (strcmp(name, assets[i].name) == 0) {
            *type = assets[i].type;
            *body = assets[i].body;
            *n = assets[i].n;
            return true;
        }
    return false;
}
