/* The overview: drawn from the summary block before the alerts are parsed,
 * so the page paints at once whatever the number of alerts.  Every value
 * from the data goes in as text (textContent), never as markup: events are
 * attacker-controlled. */
"use strict";
window.ygErrors = [];
window.addEventListener("error", function (e) { window.ygErrors.push(String(e.message)); });
var YG = (function () {
  var LV = ["unknown", "informational", "low", "medium", "high", "critical"];
  var COL = ["#7a8a99", "#7a8a99", "#2f6fd0", "#d9a400", "#e0561b", "#b0102a"];
  function el(tag, attrs) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "cls") e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    }
    for (var i = 2; i < arguments.length; i++) if (arguments[i]) e.appendChild(arguments[i]);
    return e;
  }
  function num(n) { return Number(n).toLocaleString("en-US"); }
  function svg(tag, attrs) {
    var e = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }
  function lvBadge(l) { return el("span", { cls: "lv lv" + l, text: LV[l] }); }
  function card(label, value, key, cls) {
    return el("div", { cls: "card" + (cls ? " " + cls : "") },
              el("b", { text: num(value), "data-stat": key }), el("span", { text: label }));
  }
  function table(head, rows) {
    var t = el("table");
    var tr = el("tr");
    head.forEach(function (h) { tr.appendChild(el("th", { text: h[0], cls: h[1] || "" })); });
    t.appendChild(el("thead", null, tr));
    var tb = el("tbody");
    rows.forEach(function (r) { tb.appendChild(r); });
    t.appendChild(tb);
    return t;
  }
  /* A tally: [key, total, critical, high, medium, low, informational]. */
  function tallyTable(title, rows, n, key, what) {
    var s = el("section", { id: key }, el("h2", { text: title }));
    if (!rows.length) { s.appendChild(el("p", { cls: "note", text: "none" })); return s; }
    var trs = rows.map(function (r) {
      var tr = el("tr", { "data-key": r[0] });
      tr.appendChild(el("td", { cls: "k", text: r[0] }));
      for (var i = 1; i < 7; i++) tr.appendChild(el("td", { cls: "n", text: num(r[i]) }));
      return tr;
    });
    s.appendChild(table([[what], ["total", "n"], ["critical", "n"], ["high", "n"],
                         ["medium", "n"], ["low", "n"], ["info", "n"]], trs));
    if (n > rows.length)
      s.appendChild(el("p", { cls: "note", text: "the " + rows.length + " of " + num(n) +
                                                " with most alerts" }));
    return s;
  }
  function chart(h) {
    var nb = 0;
    h.counts.forEach(function (c) { nb = Math.max(nb, c.length); });
    var s = el("section", { id: "timeline" }, el("h2", { text: "Alerts by level over time" }));
    if (!nb) { s.appendChild(el("p", { cls: "note", text: "no alert with an event time" })); return s; }
    var W = 1200, H = 220, L = 50, B = 30, T = 8, max = 1, tot = [];
    for (var k = 0; k < nb; k++) {
      var t = 0;
      for (var l = 0; l < 6; l++) t += h.counts[l][k] || 0;
      tot.push(t);
      max = Math.max(max, t);
    }
    /* Whole-number gridlines: four steps up to a multiple of four. */
    var tick = Math.max(1, Math.ceil(max / 4));
    max = tick * 4;
    var g = svg("svg", { viewBox: "0 0 " + W + " " + H, width: "100%", role: "img",
                         "aria-label": "alerts by level over time" });
    var bw = (W - L - 10) / nb;
    for (var y = 0; y <= 4; y++) {
      var v = tick * y, py = H - B - (H - B - T) * y / 4;
      g.appendChild(svg("line", { x1: L, x2: W - 10, y1: py, y2: py, stroke: "#e6eaee" }));
      var tx = svg("text", { x: L - 6, y: py + 4, "text-anchor": "end" });
      tx.textContent = num(v);
      g.appendChild(tx);
    }
    for (k = 0; k < nb; k++) {
      var base = H - B;
      for (l = 1; l < 6; l++) {
        var c = h.counts[l][k] || 0;
        if (!c) continue;
        var ht = (H - B - T) * c / max;
        base -= ht;
        var r = svg("rect", { x: L + k * bw + 1, y: base, width: Math.max(1, bw - 2), height: ht,
                              fill: COL[l] });
        var tt = svg("title", {});
        tt.textContent = new Date(h.start + k * h.step).toISOString() + ": " + num(c) + " " + LV[l];
        r.appendChild(tt);
        g.appendChild(r);
      }
    }
    var ticks = Math.min(6, nb);
    for (var i = 0; i < ticks; i++) {
      var kk = Math.round(i * (nb - 1) / Math.max(1, ticks - 1));
      var anchor = i === 0 ? "start" : i === ticks - 1 ? "end" : "middle";
      var lab = svg("text", { x: L + kk * bw + (anchor === "start" ? 0 : anchor === "end" ? bw : bw / 2),
                              y: H - 10, "text-anchor": anchor });
      lab.textContent = new Date(h.start + kk * h.step).toISOString().replace("T", " ")
        .slice(0, h.step < 60000 ? 19 : h.step < 86400000 ? 16 : 10);
      g.appendChild(lab);
    }
    s.appendChild(g);
    var lg = el("div", { cls: "legend" });
    for (l = 5; l >= 1; l--) lg.appendChild(el("span", null, el("i", { style: "background:" + COL[l] }),
                                                document.createTextNode(LV[l])));
    s.appendChild(lg);
    s.appendChild(el("p", { cls: "note", text: "one bar per " + span(h.step) + " (UTC)" }));
    return s;
  }
  function span(ms) {
    var u = [[86400000, "day"], [3600000, "hour"], [60000, "minute"], [1000, "second"]];
    for (var i = 0; i < u.length; i++)
      if (ms % u[i][0] === 0) { var n = ms / u[i][0]; return (n === 1 ? "" : n + " ") + u[i][1] + (n === 1 ? "" : "s"); }
    return ms + " ms";
  }
  function lsLabel(r) {
    var p = [];
    ["product", "service", "category"].forEach(function (k) { if (r[k]) p.push(k + ":" + r[k]); });
    return p.length ? p.join(" ") : "(no log source)";
  }
  function coverage(st) {
    var s = el("section", { id: "coverage" }, el("h2", { text: "Coverage: events per log source and the rules that apply" }));
    var rows = (st.logsources || []).map(function (r) {
      var warn = !r.product && !r.service && !r.category ? "no log source: no rule can match these"
               : !r.rules ? "no loaded rule covers this log source" : "";
      return el("tr", null, el("td", { cls: "k", text: lsLabel(r) }),
                el("td", { cls: "n", text: num(r.events), "data-events": r.events }),
                el("td", { cls: "n", text: num(r.rules) }), el("td", { cls: "warn", text: warn }));
    });
    s.appendChild(table([["log source"], ["events", "n"], ["rules", "n"], [""]], rows));
    return s;
  }
  function incidents(inc) {
    var s = el("section", { id: "incidents" }, el("h2", { text: "Incidents (" + inc.list.length + (inc.more ? "+" : "") + ")" }));
    if (!inc.list.length) s.appendChild(el("p", { cls: "note", text: "none" }));
    /* Most severe first (stable: most recent activity first within a level);
     * the most severe one is open. */
    inc.list = inc.list.map(function (i, n) { return [LV.indexOf(i.level), n, i]; })
      .sort(function (a, b) { return b[0] - a[0] || a[1] - b[1]; })
      .map(function (x) { return x[2]; });
    inc.list.forEach(function (i, n) {
      var lvl = LV.indexOf(i.level);
      var d = el("details", { cls: "inc", "data-incident": i.id });
      if (n === 0) d.open = true;
      var ents = (i.entities || []).map(function (e) { return e.kind + ":" + e.value; }).join(", ");
      d.appendChild(el("summary", null, lvBadge(lvl < 0 ? 0 : lvl),
                       document.createTextNode(" " + i.title + " "),
                       el("span", { cls: "sub", text: i.id + " · " + i.status + " · " + num(i.alerts) +
                                   " alert(s) · " + i.first + " .. " + i.last })));
      d.appendChild(el("p", { cls: "note", text: "entities: " + (ents || "-") +
                                               (i.closed ? " · closed: " + i.closed : "") }));
      /* A run of detections of one rule on the same entities is one row, as
       * `yagura incidents show` prints it. */
      var runs = [];
      i.timeline.forEach(function (st) {
        var e = (st[4] || []).map(function (x) { return x.kind + ":" + x.value; }).join(", ");
        var last = runs[runs.length - 1];
        if (last && st[2] === "detection" && last.st[2] === "detection" && last.st[3] === st[3] && last.e === e) {
          last.n++;
          last.to = st[0];
        } else {
          runs.push({ st: st, e: e, n: 1, to: st[0] });
        }
      });
      var rows = runs.map(function (r) {
        var st = r.st, l = LV.indexOf(st[1]);
        var title = st[3] + (r.n > 1 ? " (×" + r.n + ", to " + r.to + ")" : "");
        return el("tr", null, el("td", { cls: "t", text: st[0] }), el("td", null, lvBadge(l < 0 ? 0 : l)),
                  el("td", { text: st[2] }), el("td", { text: title }), el("td", { cls: "k", text: r.e }),
                  el("td", { cls: "k", text: st[5] }));
      });
      d.appendChild(table([["time"], ["level"], ["kind"], ["rule"], ["entities"], ["source"]], rows));
      if (i.steps > i.timeline.length)
        d.appendChild(el("p", { cls: "note", text: "first " + i.timeline.length + " of " + num(i.steps) + " steps" }));
      s.appendChild(d);
    });
    if (inc.more) s.appendChild(el("p", { cls: "note", text: "more incidents in the database than the report shows" }));
    return s;
  }
  var S = JSON.parse(document.getElementById("yg-summary").textContent);
  var app = document.getElementById("app");
  app.appendChild(el("h1", { text: S.title }));
  app.appendChild(el("div", { cls: "sub", text: "Yagura report generated " + S.generated }));
  var st = S.stats, A = S.alerts, cards = el("div", { cls: "cards" });
  if (st) {
    cards.appendChild(card("events", st.events, "events"));
    cards.appendChild(card("files", st.files, "files"));
  }
  cards.appendChild(card("alerts", st ? st.alerts : A.total, "alerts"));
  for (var l = 5; l >= 1; l--)
    cards.appendChild(card(LV[l], st ? st.by_level[LV[l]] : A.by_level[l], LV[l], "l" + l));
  if (st && st.correlation_alerts) cards.appendChild(card("correlation alerts", st.correlation_alerts, "correlation_alerts"));
  if (S.incidents) cards.appendChild(card("incidents", S.incidents.list.length, "incidents"));
  app.appendChild(cards);
  var p = el("section", { id: "params" }, el("h2", { text: "Parameters" }));
  p.appendChild(table([["parameter"], ["value"]], S.params.map(function (kv) {
    return el("tr", null, el("td", { text: kv[0] }), el("td", { cls: "k", text: kv[1] }));
  })));
  if (st) {
    var extra = [["first event", st.first_event || "-"], ["last event", st.last_event || "-"],
                 ["rules loaded", num(st.rules_loaded)], ["bytes read", num(st.bytes)],
                 ["input errors", num(st.errors)], ["seconds", st.seconds.toFixed(2)]];
    extra.forEach(function (kv) {
      p.querySelector("tbody").appendChild(el("tr", null, el("td", { text: kv[0] }), el("td", { text: kv[1] })));
    });
  }
  app.appendChild(p);
  app.appendChild(chart(S.hist));
  if (S.incidents) app.appendChild(incidents(S.incidents));
  if (st) app.appendChild(coverage(st));
  app.appendChild(tallyTable("Top rules", S.rules, S.rules_n, "rules", "rule"));
  var g = el("div", { cls: "grid grid2" });
  g.appendChild(tallyTable("Computers by level", S.computers, S.computers_n, "computers", "computer"));
  g.appendChild(tallyTable("Accounts by level", S.accounts, S.accounts_n, "accounts", "account"));
  app.appendChild(g);
  var al = el("section", { id: "alerts" }, el("h2", { text: "Alerts" }));
  al.appendChild(el("p", { cls: "note", id: "alerts-status", text: "loading " + num(A.listed) + " alert(s)…" }));
  app.appendChild(al);
  return { S: S, el: el, num: num, lvBadge: lvBadge, LV: LV, drawn: Date.now() };
})();
