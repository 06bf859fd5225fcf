// The live page's HTML: a shell with the echarts bundle (inlined, as in report.html: the page loads nothing
// else) and a small script that follows the server-sent events. Each `update` carries the report's chart
// options and the status; the page only calls echarts.setOption. On `final` it loads the finished report in
// place of itself; on `closed` (the run ended without one) it says so.

import { echartsBundle } from '../report/html.js';
import { escapeHtml as esc } from '../report/sections.js';

/** The live page, for a run writing into `dir`. */
export function livePageHtml(title: string, dir: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} (live)</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1200px;padding:0 16px;color:#222}
h1{font-size:22px}.meta{color:#666}.chart{width:100%;margin:12px 0}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:right}
td:first-child,th:first-child{text-align:left}.ok{color:#2a7a2a}.bad{color:#c00;font-weight:600}.reasons{color:#c00;margin:4px 0 0 0}
#conn{float:right;color:#666}
</style>
<script>${echartsBundle()}</script>
</head><body>
<h1 id="title">${esc(title)} <small>(live)</small></h1>
<p class="meta">recording into ${esc(dir)} <span id="conn">connecting</span></p>
<table id="status"><tr><th>variant</th><th>phase</th><th>t</th><th>target</th><th>online</th><th>Rss</th><th>LazyFree</th><th>samples</th><th>load so far</th></tr></table>
<ul id="reasons" class="reasons"></ul>
<div id="charts"></div>
<script>
(function () {
  var charts = {};
  var updates = 0;
  window.simloadCharts = [];
  window.simloadLive = { updates: 0, final: null };
  function mib(b) { return (b / 1048576).toFixed(1) + ' MiB'; }
  function cell(t, cls) { var td = document.createElement('td'); td.textContent = t; if (cls) td.className = cls; return td; }
  function status(u) {
    var table = document.getElementById('status');
    while (table.rows.length > 1) table.deleteRow(1);
    var reasons = document.getElementById('reasons');
    reasons.textContent = '';
    u.variants.forEach(function (v) {
      var tr = table.insertRow();
      var which = v.phaseCount > 0 && v.phaseIndex >= 0 && v.phaseIndex < v.phaseCount ? ' (' + (v.phaseIndex + 1) + '/' + v.phaseCount + ')' : '';
      var load = v.valid === null ? 'not judged' : v.valid ? 'valid so far' : 'INVALID so far';
      [v.variant, v.phase + which, (v.t / 1000).toFixed(1) + ' s', String(v.target), String(v.online), mib(v.rss), mib(v.lazyFree), String(v.samples)].forEach(function (t) { tr.appendChild(cell(t)); });
      tr.appendChild(cell(load, v.valid === false ? 'bad' : v.valid ? 'ok' : ''));
      tr.setAttribute('data-variant', v.variant);
      tr.setAttribute('data-phase', v.phase);
      tr.setAttribute('data-valid', String(v.valid));
      v.reasons.forEach(function (r) { var li = document.createElement('li'); li.textContent = v.variant + ': ' + r; reasons.appendChild(li); });
    });
  }
  function draw(u) {
    var box = document.getElementById('charts');
    u.charts.forEach(function (c) {
      var chart = charts[c.id];
      if (!chart) {
        var el = document.createElement('div');
        el.className = 'chart';
        el.id = c.id;
        el.style.height = c.height + 'px';
        box.appendChild(el);
        chart = charts[c.id] = echarts.init(el, null, { renderer: 'canvas' });
        window.simloadCharts.push(chart);
      }
      chart.setOption(c.option, { replaceMerge: ['series'] });
    });
  }
  var es = new EventSource('events');
  es.onopen = function () { document.getElementById('conn').textContent = 'live'; };
  es.onerror = function () { if (!window.simloadLive.final) document.getElementById('conn').textContent = 'disconnected'; };
  es.addEventListener('update', function (m) {
    var u = JSON.parse(m.data);
    status(u);
    draw(u);
    window.simloadLive.updates = ++updates;
  });
  es.addEventListener('closed', function (m) {
    es.close();
    window.simloadLive.final = JSON.parse(m.data);
    document.getElementById('conn').textContent = 'ended: ' + window.simloadLive.final.outcome + ' (no report)';
  });
  es.addEventListener('final', function (m) {
    es.close();
    window.simloadLive.final = JSON.parse(m.data);
    fetch('final').then(function (r) { return r.text(); }).then(function (html) {
      document.open();
      document.write(html);
      document.close();
    });
  });
  window.addEventListener('resize', function () { Object.keys(charts).forEach(function (k) { charts[k].resize(); }); });
})();
</script>
</body></html>
`;
}

/** The finished report with the run's verdict above it, as the live page shows it at the end. */
export function finalPageHtml(reportHtml: string, end: { outcome: string; exitCode: number; lines: string[] }): string {
  const lines = end.lines.map((l) => `<li>${esc(l.trim())}</li>`).join('');
  const banner =
    `<div id="simload-verdict" data-outcome="${esc(end.outcome)}" data-exit-code="${end.exitCode}" style="border:2px solid ${end.outcome === 'ok' ? '#2a7a2a' : '#c00'};padding:4px 12px;margin:8px 0">` +
    `<p><strong>the run ended: ${esc(end.outcome)} (exit ${end.exitCode})</strong></p>${lines ? `<ul>${lines}</ul>` : ''}</div>`;
  const at = reportHtml.indexOf('<body>');
  return at < 0 ? banner + reportHtml : reportHtml.slice(0, at + 6) + '\n' + banner + reportHtml.slice(at + 6);
}
