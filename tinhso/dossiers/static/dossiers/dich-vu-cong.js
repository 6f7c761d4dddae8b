// /dich-vu-cong: the score (and rank, on an agency's page) over time, drawn with ECharts from the
// JSON block #dvc-data. Sets data-drawn="1" on the chart once drawn (the browser test reads it).
(function () {
  "use strict";
  // Long lists (124 commune committees, the agencies with dossiers falling due) start folded on a
  // phone, open elsewhere; without script they are open everywhere.
  if (window.matchMedia && window.matchMedia("(max-width: 480px)").matches) {
    document.querySelectorAll("details.dvc-fold").forEach(function (d) { d.removeAttribute("open"); });
  }
})();
(function () {
  "use strict";
  var holder = document.getElementById("dvc-chart");
  var source = document.getElementById("dvc-data");
  if (!holder || !source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  // Point labels in the page's language (84,0 on a Vietnamese page, 84.0 on an English one).
  var oneDecimal = new Intl.NumberFormat(document.documentElement.lang === "en" ? "en-GB" : "vi-VN",
                                         { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  // The axis names each period as a reader writes it ("12/2026", "Dec 2026"), the tooltip in full.
  var periods = data.series.map(function (s) { return s.axis || s.period; });
  var hasRank = data.series.some(function (s) { return s.rank !== null; });
  var totals = data.series.map(function (s) { return s.total; });
  var last = -1;
  totals.forEach(function (v, i) { if (v !== null) { last = i; } });
  // A period not over yet (the month in progress) is drawn apart: its point hollow (the others are filled), reached by a dashed
  // segment from the last complete one (its score will still move), and the tooltip says so.
  var partial = data.series.map(function (s) { return !!s.partial; });
  var firstPartial = partial.indexOf(true);
  var solid = totals.map(function (v, i) { return partial[i] ? null : v; });
  var dashed = totals.map(function (v, i) {
    if (partial[i]) { return { value: v, symbol: "emptyCircle", symbolSize: 9 }; }
    return i === firstPartial - 1 ? { value: v, symbol: "none" } : null;
  });
  function escapeText(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function tooltip(params) {
    var i = (params[0] || params).dataIndex;
    var point = data.series[i];
    var lines = [escapeText(point.label || point.period)];
    if (point.total !== null) { lines.push(escapeText(data.labels.total) + ": <b>" + oneDecimal.format(point.total) + "</b>"); }
    if (point.rank !== null) { lines.push(escapeText(data.labels.rank) + ": <b>" + point.rank + "</b>"); }
    if (point.partial) { lines.push("<i>" + escapeText(data.labels.partial) + "</i>"); }
    return lines.join("<br>");
  }
  // On a phone (a chart narrower than 480 px) the legend goes under the chart and names the lines, the
  // axes keep their numbers without names (the total's name ran into the legend), and only the latest
  // point is labelled (twelve labels in 300 px overlapped); the tooltip still gives every value.
  function options() {
    var narrow = holder.clientWidth < 480;
    var pointLabel = { show: true, formatter: function (p) {
      return p.value === null || p.value === undefined || (narrow && p.dataIndex !== last) ? "" : oneDecimal.format(p.value);
    } };
    var series = [{
      name: data.labels.total, type: "line", smooth: false, connectNulls: false, symbol: "circle", symbolSize: 7, data: solid,
      label: pointLabel, labelLayout: { hideOverlap: true }
    }];
    if (firstPartial >= 0) {  // the same name: one legend entry toggles both
      series.push({ name: data.labels.total, type: "line", smooth: false, connectNulls: true, data: dashed,
                    lineStyle: { type: "dashed" }, z: 1,
                    label: { show: true, formatter: function (p) {  // the partial points only (the other is the solid line's)
                      return partial[p.dataIndex] ? pointLabel.formatter(p) : "";
                    } } });
    }
    var yAxis = [{ type: "value", min: 0, max: 100, name: narrow ? "" : data.labels.total }];
    if (hasRank) {
      yAxis.push({ type: "value", inverse: true, minInterval: 1, min: 1, name: narrow ? "" : data.labels.rank });
      series.push({ name: data.labels.rank, type: "line", yAxisIndex: 1, step: "middle", symbol: "circle",
                    data: data.series.map(function (s) {
                      return s.partial ? { value: s.rank, symbol: "emptyCircle", symbolSize: 9 } : s.rank;
                    }) });
    }
    return {
      animation: false,
      tooltip: { trigger: "axis", confine: true, formatter: tooltip },
      legend: narrow ? { bottom: 0, data: [data.labels.total].concat(hasRank ? [data.labels.rank] : []) }
                     : { top: 0, data: [data.labels.total].concat(hasRank ? [data.labels.rank] : []) },
      grid: narrow ? { left: 4, right: 4, top: 16, bottom: 32, containLabel: true }
                   : { left: 44, right: hasRank ? 44 : 16, top: 36, bottom: 28, containLabel: true },
      xAxis: { type: "category", data: periods, axisLabel: { hideOverlap: true } },
      yAxis: yAxis,
      series: series
    };
  }
  var chart = echarts.init(holder, null, { renderer: "canvas" });
  chart.on("finished", function () { holder.setAttribute("data-drawn", "1"); });
  chart.setOption(options());
  window.addEventListener("resize", function () { chart.setOption(options(), { replaceMerge: ["yAxis", "series"] }); chart.resize(); });
})();

