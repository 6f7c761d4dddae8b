// Plan pages (tinhso.indicators): the indicator chart (observed values, targets per milestone, the
// forecast band) from #ind-chart-data, and the pillar overview from #pillar-chart-data, drawn with
// ECharts (vendored, no CDN; CSP forbids inline scripts). Sets data-drawn="1" on a chart once drawn
// (the browser test reads it).
(function () {
  "use strict";
  if (typeof echarts === "undefined") { return; }
  var lang = (document.documentElement.lang || "vi").slice(0, 2) === "en" ? "EN" : "VI";
  var fmt = new Intl.NumberFormat(lang === "EN" ? "en-GB" : "vi-VN", { maximumFractionDigits: 2 });
  var STATUS_COLOURS = {
    achieved: "#1e7b34", on_track: "#5aa469", at_risk: "#b26a00",
    off_track: "#d9534f", deteriorating: "#8b1a14", insufficient_data: "#9aa3ae"
  };
  function read(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }
  function start(holder) {
    var chart = echarts.init(holder, null, { renderer: "canvas", locale: lang });
    chart.on("finished", function () { holder.setAttribute("data-drawn", "1"); });
    window.addEventListener("resize", function () { chart.resize(); });
    return chart;
  }
  function show(v) { return v === null || v === undefined ? "—" : fmt.format(v); }

  var indHolder = document.getElementById("ind-chart");
  var ind = read("ind-chart-data");
  if (indHolder && ind) {
    var L = ind.labels;
    var series = ind.has_band ? [
      { name: L.band, type: "line", stack: "band", data: ind.band_low, symbol: "none", lineStyle: { opacity: 0 },
        silent: true, tooltip: { show: false }, legendHoverLink: false },
      { name: L.band, type: "line", stack: "band", data: ind.band_width, symbol: "none", lineStyle: { opacity: 0 },
        areaStyle: { color: "rgba(29, 78, 216, 0.18)" }, color: "rgba(29, 78, 216, 0.5)", silent: true,
        tooltip: { show: false } },
      { name: L.cagr, type: "line", data: ind.cagr, symbol: "none", lineStyle: { type: "dashed", width: 1.5 },
        color: "#1d4ed8", connectNulls: false },
      { name: L.regression, type: "line", data: ind.regression, symbol: "none",
        lineStyle: { type: "dotted", width: 1.5 }, color: "#6b21a8", connectNulls: false }
    ] : [];
    series = series.concat([
      { name: L.observed, type: "line", data: ind.observed, connectNulls: true, symbolSize: 8, color: "#a3161a",
        label: { show: true, position: "top", formatter: function (p) { return show(p.value); } } },
      { name: L.target, type: "scatter", data: ind.targets, symbol: "diamond", symbolSize: 14, color: "#1e7b34",
        label: { show: true, position: "right", formatter: function (p) {
          return p.value === null ? "" : (ind.target_notes[String(ind.years[p.dataIndex])] || show(p.value)); } } }
    ]);
    var legend = [L.observed, L.target].concat(ind.has_band ? [L.band, L.cagr, L.regression] : []);
    start(indHolder).setOption({
      animation: false,
      tooltip: { trigger: "axis", valueFormatter: show },
      legend: { top: 0, type: "scroll", data: legend },
      grid: { left: 8, right: 40, top: 48, bottom: 24, containLabel: true },
      xAxis: { type: "category", data: ind.years.map(String), name: L.year, nameLocation: "middle", nameGap: 28 },
      yAxis: { type: "value", name: ind.unit_label || ind.unit, scale: true, inverse: ind.direction === "lower" && ind.unit === "hạng" },
      series: series
    });
  }

  var pillarHolder = document.getElementById("pillar-chart");
  var pil = read("pillar-chart-data");
  if (pillarHolder && pil) {
    start(pillarHolder).setOption({
      animation: false,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0, type: "scroll" },
      grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1, name: pil.labels.count },
      yAxis: { type: "category", data: pil.pillars, inverse: true,
               axisLabel: { width: 140, overflow: "break" } },
      series: pil.series.map(function (s) {
        return { name: s.name, type: "bar", stack: "n", data: s.data.map(function (v) { return v || null; }),
                 color: STATUS_COLOURS[s.status], label: { show: true } };
      })
    });
  }
})();
