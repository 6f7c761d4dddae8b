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
  var series = [{
    name: data.labels.total, type: "line", smooth: false, connectNulls: false, symbolSize: 7,
    data: data.series.map(function (s) { return s.total; }),
    label: { show: true, formatter: function (p) { return p.value === null ? "" : oneDecimal.format(p.value); } }
  }];
  var yAxis = [{ type: "value", min: 0, max: 100, name: data.labels.total }];
  if (hasRank) {
    yAxis.push({ type: "value", inverse: true, minInterval: 1, min: 1, name: data.labels.rank });
    series.push({ name: data.labels.rank, type: "line", yAxisIndex: 1, step: "middle",
                  data: data.series.map(function (s) { return s.rank; }) });
  }
  var chart = echarts.init(holder, null, { renderer: "canvas" });
  chart.on("finished", function () { holder.setAttribute("data-drawn", "1"); });
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 44, right: hasRank ? 44 : 16, top: 36, bottom: 28, containLabel: true },
    xAxis: { type: "category", data: periods },
    yAxis: yAxis,
    series: series
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
