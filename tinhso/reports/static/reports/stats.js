// /phan-anh/thong-ke: the chart of received / resolved / on time per category (ECharts, from the JSON
// block #stats-chart-data; sets data-drawn="1" on the chart once drawn), and the unit table made usable
// on a phone: the first units only with a "show all" button, and a filter box (accents optional).
// Without script the table shows every unit and there is no chart (the table below has the figures).
(function () {
  "use strict";
  var holder = document.getElementById("stats-chart");
  var source = document.getElementById("stats-chart-data");
  if (!holder || !source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var rows = data.rows.slice().reverse();  // horizontal bars are drawn bottom up: the busiest on top
  var names = rows.map(function (r) { return r.name || "—"; });
  var numbers = new Intl.NumberFormat(document.documentElement.lang === "en" ? "en-GB" : "vi-VN");
  holder.style.height = Math.max(220, 70 + rows.length * 54) + "px";
  function series(key, name) {
    return { name: name, type: "bar", data: rows.map(function (r) { return r[key]; }), barMaxWidth: 14,
             label: { show: true, position: "right", fontSize: 11,
                      formatter: function (p) { return numbers.format(p.value); } } };
  }
  function options() {
    var narrow = holder.clientWidth < 480;
    return {
      animation: false,
      color: ["#1f5fa8", "#5b9bd5", "#2e8b57"],
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, confine: true },
      legend: { top: 0 },
      grid: { left: 4, right: 36, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1, axisLabel: { hideOverlap: true } },
      yAxis: { type: "category", data: names,
               axisLabel: { width: narrow ? 104 : 220, overflow: narrow ? "break" : "truncate",
                            fontSize: narrow ? 11 : 12, lineHeight: narrow ? 13 : 16 } },
      series: [series("received", data.labels.received), series("resolved", data.labels.resolved),
               series("on_time", data.labels.on_time)]
    };
  }
  var chart = echarts.init(holder, null, { renderer: "canvas" });
  chart.on("finished", function () { holder.setAttribute("data-drawn", "1"); });
  chart.setOption(options());
  window.addEventListener("resize", function () { chart.setOption(options()); chart.resize(); });
})();
(function () {
  "use strict";
  var tools = document.getElementById("unit-tools");
  if (!tools) { return; }
  var table = document.getElementById(tools.getAttribute("data-table"));
  var input = document.getElementById("unit-filter");
  var count = document.getElementById("unit-count");
  var button = document.getElementById("unit-show-all");
  if (!table || !input || !count) { return; }
  var limit = parseInt(tools.getAttribute("data-shown"), 10) || 20;
  var showAll = false;
  // "Hòa", "hoa", "HOA" and "Hoà" all match "Phường Hòa Hiệp": accents, case and đ/d do not matter.
  function fold(text) {
    return String(text).normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[đĐ]/g, "d")
      .toLowerCase().replace(/\s+/g, " ").trim();
  }
  var rows = Array.prototype.map.call(table.tBodies[0].rows, function (tr) {
    var head = tr.querySelector("th");
    return { tr: tr, key: fold(head ? head.textContent : tr.textContent) };
  });
  function say(name, values) {
    return tools.getAttribute("data-msg-" + name).replace(/\{(\w+)\}/g, function (_m, k) { return values[k]; });
  }
  function update() {
    var query = fold(input.value);
    var shown = 0;
    rows.forEach(function (row, i) {
      var visible = query ? row.key.indexOf(query) >= 0 : (showAll || i < limit);
      row.tr.hidden = !visible;
      if (visible) { shown += 1; }
    });
    var values = { shown: shown, total: rows.length, query: input.value.trim() };
    if (query) { count.textContent = say(shown ? "found" : "none", values); }
    else { count.textContent = say(shown < rows.length ? "some" : "all", values); }
    if (button) { button.hidden = !!query || showAll; }
  }
  if (button) {
    button.addEventListener("click", function () {
      showAll = true;
      update();
      var next = rows[limit];
      if (next) {  // the first unit that was hidden: where the reader goes on
        var head = next.tr.querySelector("th");
        if (head) { head.setAttribute("tabindex", "-1"); head.focus(); }
      }
    });
  }
  input.addEventListener("input", update);
  tools.hidden = false;
  update();
})();
