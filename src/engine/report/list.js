/* The alert list: one line of the text block per alert, time-sorted by the
 * writer.  A line is parsed only when its row is shown; details (the whole
 * alert with its event) open on a click. */
"use strict";
(function () {
  var el = YG.el, num = YG.num, LV = YG.LV, A = YG.S.alerts, PAGE = 100;
  var raw = document.getElementById("yg-alerts").textContent;
  var lines = raw.split("\n").filter(function (s) { return s.length > 1; });
  raw = null;
  var shown = lines, page = 0, minLevel = 0, query = "";
  var sec = document.getElementById("alerts");
  var status = document.getElementById("alerts-status");
  var ctl = el("div", { cls: "controls" });
  var q = el("input", { type: "search", placeholder: "filter: any text of the alert (rule, computer, account, event)" });
  var sel = el("select", { "aria-label": "minimum level" });
  for (var l = 0; l < 6; l++) sel.appendChild(el("option", { value: l, text: l ? LV[l] + " and above" : "all levels" }));
  var prev = el("button", { text: "◀ previous" }), next = el("button", { text: "next ▶" });
  var where = el("span", { cls: "sub" });
  ctl.appendChild(q); ctl.appendChild(sel); ctl.appendChild(prev); ctl.appendChild(where); ctl.appendChild(next);
  sec.insertBefore(ctl, status);
  var tbl = el("table", { id: "alert-table" });
  var hr = el("tr");
  ["time (UTC)", "level", "rule", "computer", "account"].forEach(function (h) { hr.appendChild(el("th", { text: h })); });
  tbl.appendChild(el("thead", null, hr));
  var body = el("tbody");
  tbl.appendChild(body);
  sec.appendChild(tbl);
  function apply() {
    var ql = query.toLowerCase();
    shown = !minLevel && !ql ? lines : lines.filter(function (s) {
      return s.charCodeAt(0) - 48 >= minLevel && (!ql || s.toLowerCase().indexOf(ql) >= 0);
    });
    page = 0;
    render();
  }
  function detail(tr, a) {
    var open = tr.nextSibling && tr.nextSibling.className === "detail";
    if (open) { tr.parentNode.removeChild(tr.nextSibling); tr.classList.remove("open"); return; }
    var td = el("td", { colspan: 5 }, el("pre", { cls: "alert-json", text: JSON.stringify(a[7], null, 2) }));
    tr.parentNode.insertBefore(el("tr", { cls: "detail" }, td), tr.nextSibling);
    tr.classList.add("open");
  }
  function render() {
    body.textContent = "";
    var from = page * PAGE, to = Math.min(shown.length, from + PAGE);
    for (var i = from; i < to; i++) {
      var a = JSON.parse(shown[i].slice(1)), lvl = shown[i].charCodeAt(0) - 48;
      var tr = el("tr", { cls: "alert" }, el("td", { cls: "t", text: a[1] || "-" }), el("td", null, YG.lvBadge(lvl)),
                  el("td", { text: a[2] }), el("td", { cls: "k", text: a[4] }), el("td", { cls: "k", text: a[5] }));
      tr.addEventListener("click", detail.bind(null, tr, a));
      body.appendChild(tr);
    }
    var pages = Math.max(1, Math.ceil(shown.length / PAGE));
    where.textContent = "page " + (page + 1) + " of " + num(pages);
    prev.disabled = page === 0;
    next.disabled = page + 1 >= pages;
    status.textContent = num(shown.length) + " of " + num(lines.length) + " alert(s) listed, in event-time order" +
      (A.listed < A.total ? "; the report lists at most " + num(A.cap) + " alerts, the most severe first (" +
       num(A.total) + " in the run)" : "") +
      (A.oversize ? "; " + num(A.oversize) + " alert(s) over " + num(A.alert_bytes) + " bytes are listed without their event" : "") +
      ". Click a row for the alert's details.";
    status.setAttribute("data-listed", lines.length);
  }
  var timer = null;
  q.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { query = q.value; apply(); }, 200);
  });
  sel.addEventListener("change", function () { minLevel = Number(sel.value); apply(); });
  prev.addEventListener("click", function () { if (page > 0) { page--; render(); } });
  next.addEventListener("click", function () { page++; render(); });
  render();
  /* #selftest: the browser test's hook.  Opens the first alert's details
   * and writes what it saw into the page, for a headless browser's DOM dump. */
  if (location.hash.indexOf("#selftest") === 0) {
    /* Synchronously in the load handler: a headless --dump-dom dumps right
     * after it. */
    window.addEventListener("load", function () {
      (function () {
        var first = body.querySelector("tr.alert");
        if (first) first.click();
        var d = body.querySelector("tr.detail pre");
        var paint = performance.getEntriesByType("paint").map(function (p) { return [p.name, p.startTime]; });
        var r = { rows: body.querySelectorAll("tr.alert").length, listed: lines.length,
                  detail: d ? JSON.parse(d.textContent) : null, paint: paint,
                  loaded: performance.now(), errors: window.ygErrors, filter: [],
                  overview_drawn: YG.drawn };
        /* Usable: each level filter and a page turn, timed. */
        for (var l = 5; l >= 1; l--) {
          var t0 = performance.now();
          sel.value = String(l);
          sel.dispatchEvent(new Event("change"));
          r.filter.push([l, shown.length, performance.now() - t0]);
        }
        t0 = performance.now();
        next.click();
        r.page = [page, body.querySelectorAll("tr.alert").length, performance.now() - t0];
        sel.value = "0";
        sel.dispatchEvent(new Event("change"));
        first = body.querySelector("tr.alert");
        if (first) first.click(); /* left open, for a screenshot */
        var nav = performance.getEntriesByType("navigation")[0];
        r.dom_content_loaded = nav ? nav.domContentLoadedEventEnd : null;
        r.now = Date.now();
        /* The dump need not carry the alerts back. */
        document.getElementById("yg-alerts").textContent = "";
        document.body.appendChild(el("pre", { id: "yg-selftest", hidden: "", text: JSON.stringify(r) }));
      })();
    });
  }
})();
