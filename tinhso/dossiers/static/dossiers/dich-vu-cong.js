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
  var periods = data.series.map(function (s) { return s.period; });
  var hasRank = data.series.some(function (s) { return s.rank !== null; });
  var totals = data.series.map(function (s) { return s.total; });
  var last = -1;
  totals.forEach(function (v, i) { if (v !== null) { last = i; } });
  // On a phone (a chart narrower than 480 px) the legend goes under the chart and names the lines, the
  // axes keep their numbers without names (the total's name ran into the legend), and only the latest
  // point is labelled (twelve labels in 300 px overlapped); the tooltip still gives every value.
  function options() {
    var narrow = holder.clientWidth < 480;
    var series = [{
      name: data.labels.total, type: "line", smooth: false, connectNulls: false, symbolSize: 7, data: totals,
      label: { show: true, formatter: function (p) {
        return p.value === null || (narrow && p.dataIndex !== last) ? "" : oneDecimal.format(p.value);
      } },
      labelLayout: { hideOverlap: true }
    }];
    var yAxis = [{ type: "value", min: 0, max: 100, name: narrow ? "" : data.labels.total }];
    if (hasRank) {
      yAxis.push({ type: "value", inverse: true, minInterval: 1, min: 1, name: narrow ? "" : data.labels.rank });
      series.push({ name: data.labels.rank, type: "line", yAxisIndex: 1, step: "middle",
                    data: data.series.map(function (s) { return s.rank; }) });
    }
    return {
      animation: false,
      tooltip: { trigger: "axis", confine: true },
      legend: narrow ? { bottom: 0 } : { top: 0 },
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

