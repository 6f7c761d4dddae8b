// Draws the dataset page's chart from the JSON data block (no inline script: CSP).
(function () {
  "use strict";
  var holder = document.getElementById("opendata-chart");
  var data = document.getElementById("opendata-chart-data");
  if (!holder || !data || !window.echarts) { return; }
  var chart = JSON.parse(data.textContent);
  var plot = window.echarts.init(holder, null, { renderer: "svg" });
  plot.setOption({
    tooltip: { trigger: "axis" },
    grid: { left: 60, right: 20, bottom: 80, top: 20 },
    xAxis: { type: "category", data: chart.labels, axisLabel: { rotate: 45 } },
    yAxis: { type: "value", name: chart.measure },
    series: [{ type: "bar", name: chart.measure, data: chart.values }]
  });
  window.addEventListener("resize", function () { plot.resize(); });
}());
