/* The IOC wall: fills the tiles from /api/v1/ioc/summary, draws ECharts charts and Leaflet maps,
 * refreshes every few seconds without reloading, and rotates the screens in TV mode.
 * Every drawn chart/map marks its container with data-drawn="1" (the browser tests check it). */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("ioc-config").textContent);
  var figures = JSON.parse(document.getElementById("ioc-figures").textContent);
  var i18n = document.getElementById("ioc-i18n").dataset;
  var lang = document.documentElement.lang === "en" ? "en" : "vi";
  var locale = lang === "en" ? "en-GB" : "vi-VN";
  /* A unit's, agency's or category's name in the page's language (the English one when it has one). */
  function named(x) { return lang === "en" && x.name_en ? x.name_en : x.name; }
  function seriesLabel(s) { return lang === "en" && s.label_en ? s.label_en : s.label; }
  /* A plan's title in the page's language (never its code, an internal identifier). */
  function planTitle(plan) { return (lang === "en" && plan.title_en) || plan.title || plan.title_en || ""; }
  var fmtInt = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  var fmtNum = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
  var fmtPct = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 });
  var charts = {};
  var maps = {};
  var STATUS_COLORS = { achieved: "#2e9d5b", on_track: "#59b0e8", at_risk: "#e0a526", off_track: "#e0662b",
                        deteriorating: "#c8323b", insufficient_data: "#7b8794" };

  function get(obj, path) {
    return path.split(".").reduce(function (o, k) { return o == null ? o : o[k]; }, obj);
  }
  function format(value, kind) {
    if (value === null || value === undefined) { return "—"; }
    if (kind === "pct") { return fmtPct.format(value); }
    if (kind === "pp") { return (value > 0 ? "+" : "") + fmtNum.format(value * 100) + " " + (lang === "en" ? "pp" : "điểm %"); }
    if (kind === "int") { return fmtInt.format(value); }
    return fmtNum.format(value);
  }
  function text(el, value) { if (el.textContent !== value) { el.textContent = value; } }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { node.textContent = attrs[k]; } else if (k === "className") { node.className = attrs[k]; }
      else { node.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { node.appendChild(c); });
    return node;
  }

  /* ---- tiles ---- */
  function fillTiles() {
    document.querySelectorAll("[data-figure]").forEach(function (node) {
      var value = get(figures, node.dataset.figure);
      node.dataset.value = value === null || value === undefined ? "" : String(value);
      text(node, format(value, node.dataset.format));
      var tile = node.closest(".tile.alert");
      if (tile) { tile.classList.toggle("hot", typeof value === "number" && value > 0); }
    });
    document.querySelectorAll("[data-change]").forEach(function (node) {
      var value = get(figures, node.dataset.change);
      node.dataset.value = value === null || value === undefined ? "" : String(value);
      node.classList.toggle("up", value > 0);
      node.classList.toggle("down", value < 0);
      var shown = value === null || value === undefined ? "" : (node.dataset.format === "pp" ? format(value, "pp")
        : (value > 0 ? "+" : "") + format(value, node.dataset.format));
      text(node, shown);
    });
    var stamp = document.getElementById("updated-at");
    var at = new Date(figures.generated_at);
    stamp.setAttribute("datetime", figures.generated_at);
    text(stamp, at.toLocaleTimeString(locale, { timeZone: "Asia/Ho_Chi_Minh" }));
  }

  /* ---- charts ---- */
  function chart(id) {
    var node = document.getElementById(id);
    if (!node || typeof echarts === "undefined") { return null; }
    if (!charts[id]) {
      charts[id] = echarts.init(node, "dark", { locale: lang === "en" ? "EN" : "VI", renderer: "canvas" });
      charts[id].on("finished", function () { node.dataset.drawn = "1"; });
    }
    return charts[id];
  }
  function drawTrend() {
    var c = chart("chart-trend"), s = figures.reports.series;
    if (!c) { return; }
    c.setOption({
      backgroundColor: "transparent", tooltip: { trigger: "axis" }, legend: { top: 0, data: [i18n.received, i18n.resolved] },
      grid: { left: 48, right: 16, top: 40, bottom: 28 },
      xAxis: { type: "category", data: s.days.map(function (d) { return d.slice(8, 10) + "/" + d.slice(5, 7); }) },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ name: i18n.received, type: "line", smooth: false, data: s.received, areaStyle: { opacity: 0.15 } },
               { name: i18n.resolved, type: "line", smooth: false, data: s.resolved }]
    });
  }
  function statusLabel(key) {
    var plan = (figures.indicators.plans || [])[0], label = plan && plan.classes && plan.classes[key];
    return label ? label[lang] : key;
  }
  function drawPillars() {
    var c = chart("chart-pillars"), plans = figures.indicators.plans || [];
    if (!c) { return; }
    var plan = plans[0];
    if (!plan) { c.setOption({ title: { text: i18n.none, left: "center", top: "middle" } }); return; }
    var statuses = Object.keys(STATUS_COLORS);
    c.setOption({
      backgroundColor: "transparent", tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { type: "scroll", bottom: 0 }, grid: { left: 120, right: 16, top: 28, bottom: 48 },
      title: { text: planTitle(plan) + " · " + i18n.milestone + " " + plan.milestone,
               textStyle: { fontSize: 13, width: Math.max(200, c.getWidth() - 24), overflow: "truncate" } },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: plan.pillars.map(function (p) { return lang === "en" ? p.name_en : p.name; }) },
      series: statuses.map(function (st) {
        return { name: statusLabel(st), type: "bar", stack: "n", itemStyle: { color: STATUS_COLORS[st] },
                 data: plan.pillars.map(function (p) { return p.counts[st] || 0; }) };
      })
    });
  }
  function drawCategories() {
    var c = chart("chart-categories"), cats = (figures.reports.categories || []).slice(0, 10).reverse();
    if (!c) { return; }
    c.setOption({
      backgroundColor: "transparent", tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 140, right: 16, top: 8, bottom: 24 },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: cats.map(named) },
      series: [{ type: "bar", data: cats.map(function (r) { return r.received; }), itemStyle: { color: "#59b0e8" } }]
    });
  }

  /* ---- tables and lists ---- */
  function fillLeague() {
    var body = document.querySelector("#league tbody");
    if (!body) { return; }
    body.textContent = "";
    (figures.reports.units || []).forEach(function (u) {
      body.appendChild(el("tr", { className: u.overdue ? "late" : "" }, [
        el("th", { scope: "row", text: named(u) }), el("td", { text: format(u.received, "int") }),
        el("td", { text: format(u.on_time_rate, "pct") }), el("td", { text: format(u.overdue, "int") }),
        el("td", { text: format(u.median_handling_hours, "num") }), el("td", { text: format(u.satisfaction_rate, "pct") })
      ]));
    });
    var rising = document.getElementById("rising");
    rising.textContent = "";
    var rows = figures.reports.rising || [];
    if (!rows.length) { rising.appendChild(el("li", { text: i18n.none })); }
    rows.forEach(function (r) {
      rising.appendChild(el("li", { text: named(r) + ": " + format(r.this_week, "int") + " (" + format(r.baseline, "num") + ")" }));
    });
  }
  function fillRankings() {
    var r = figures.rankings || {};
    ["rankings-summary", "rankings-history"].forEach(function (id) {
      var box = document.getElementById(id);
      if (!box) { return; }
      box.textContent = "";
      var series = r.series || [];
      if (!series.length) { box.appendChild(el("p", { className: "empty", text: i18n.missing })); return; }
      series.forEach(function (s) {
        var items = s.points.map(function (p) {
          return el("li", { text: p.period + ": " + (p.rank === null ? "—" : i18n.rank + " " + p.rank + (p.of ? "/" + p.of : "")) });
        });
        box.appendChild(el("div", { className: "rank-series" }, [el("h4", { text: seriesLabel(s) }), el("ul", {}, items)]));
        s.points.forEach(function (p, k) { if (p.source) { items[k].title = p.source; } });
      });
      box.dataset.drawn = "1";
    });
  }
  var SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }
  /* Observed values (solid), the forecast to the milestone (dashed) and the target (a tick). */
  function sparkline(ind, milestone) {
    var pts = (ind.series || []).slice();
    var f = ind.forecast || {}, projected = null;
    ["weighted_regression", "cagr"].forEach(function (k) {
      if (projected === null && f[k] && typeof f[k].projected === "number" && isFinite(f[k].projected)) { projected = f[k].projected; }
    });
    var box = svg("svg", { viewBox: "0 0 120 32", width: 120, height: 32, "class": "spark", role: "img",
                           "aria-label": pts.map(function (p) { return p[0] + ": " + p[1]; }).join(", ") });
    if (!pts.length) { return box; }
    var xs = pts.map(function (p) { return p[0]; }).concat([milestone]);
    var ys = pts.map(function (p) { return p[1]; });
    if (projected !== null) { ys.push(projected); }
    if (typeof ind.target === "number") { ys.push(ind.target); }
    var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs), y0 = Math.min.apply(null, ys), y1 = Math.max.apply(null, ys);
    function X(x) { return 4 + (x1 === x0 ? 56 : (x - x0) / (x1 - x0) * 112); }
    function Y(y) { return 28 - (y1 === y0 ? 12 : (y - y0) / (y1 - y0) * 24); }
    box.appendChild(svg("polyline", { points: pts.map(function (p) { return X(p[0]) + "," + Y(p[1]); }).join(" "),
                                      fill: "none", stroke: "#59b0e8", "stroke-width": 2 }));
    var last = pts[pts.length - 1];
    if (projected !== null) {
      box.appendChild(svg("line", { x1: X(last[0]), y1: Y(last[1]), x2: X(milestone), y2: Y(projected),
                                    stroke: "#9aa7b4", "stroke-width": 1.5, "stroke-dasharray": "3 2" }));
    }
    if (typeof ind.target === "number") {
      box.appendChild(svg("line", { x1: X(milestone) - 4, y1: Y(ind.target), x2: X(milestone) + 4, y2: Y(ind.target),
                                    stroke: "#3dd68c", "stroke-width": 2 }));
    }
    pts.forEach(function (p) { box.appendChild(svg("circle", { cx: X(p[0]), cy: Y(p[1]), r: 2, fill: "#e6edf3" })); });
    return box;
  }
  function fillPlans() {
    var box = document.getElementById("plans-board");
    if (!box) { return; }
    box.textContent = "";
    if (!(figures.indicators.plans || []).length) { box.appendChild(el("p", { className: "empty", text: i18n.none })); }
    (figures.indicators.plans || []).forEach(function (plan) {
      var pillars = plan.pillars.map(function (p) {
        var chips = plan.indicators.filter(function (i) { return i.pillar === p.code; }).map(function (i) {
          var latest = i.latest !== null && i.latest !== undefined ? format(i.latest, "num") + " " + ((lang === "en" && i.unit_of_measure_en) || i.unit_of_measure || "") : "—";
          var target = typeof i.target === "number" ? " → " + format(i.target, "num") : "";
          return el("li", { className: "chip " + i.status }, [
            el("span", { className: "name", text: named(i) }),
            el("span", { className: "meta", text: statusLabel(i.status) + " · " + latest + target }),
            sparkline(i, plan.milestone)
          ]);
        });
        return el("div", { className: "pillar" }, [el("h4", { text: lang === "en" ? p.name_en : p.name }), el("ul", {}, chips)]);
      });
      box.appendChild(el("article", { className: "plan" }, [
        el("h3", {}, [el("a", { href: "/ke-hoach/" + plan.code, text: planTitle(plan) + " · " + i18n.milestone + " " + plan.milestone })]),
        el("div", { className: "pillars" }, pillars)
      ]));
    });
    box.dataset.drawn = "1";
    drawRankChart();
  }
  function drawRankChart() {
    var c = chart("chart-ranks"), series = (figures.rankings || {}).series || [];
    if (!c) { return; }
    var periods = [];
    series.forEach(function (s) { s.points.forEach(function (p) { if (periods.indexOf(p.period) < 0) { periods.push(p.period); } }); });
    periods.sort();
    c.setOption({
      backgroundColor: "transparent", tooltip: { trigger: "axis" }, legend: { type: "scroll", top: 0 },
      grid: { left: 40, right: 16, top: 40, bottom: 28 },
      xAxis: { type: "category", data: periods },
      yAxis: { type: "value", inverse: true, min: 1, name: i18n.rank,
               max: Math.max.apply(null, [10].concat(series.map(function (s) {
                 return Math.max.apply(null, s.points.map(function (p) { return p.of || p.rank || 1; })); }))) },
      series: series.map(function (s) {
        var byPeriod = {};
        s.points.forEach(function (p) { byPeriod[p.period] = p.rank; });
        return { name: seriesLabel(s), type: "line", connectNulls: false, symbolSize: 8,
                 data: periods.map(function (p) { return byPeriod[p] === undefined ? null : byPeriod[p]; }) };
      })
    }, true);
  }

  var GROUPS = ["transparency", "progress", "online_processing", "online_payment", "digitisation", "satisfaction"];
  function fillServices() {
    var d = figures.dossiers || {};
    if (!d.available) { return; }
    var c = chart("chart-groups");
    if (c) {
      var history = d.history || [];
      c.setOption({
        backgroundColor: "transparent", tooltip: { trigger: "axis" }, legend: { type: "scroll", top: 0 },
        grid: { left: 40, right: 16, top: 40, bottom: 28 },
        xAxis: { type: "category", data: history.map(function (h) { return h.period; }) },
        yAxis: { type: "value", max: 100 },
        series: GROUPS.map(function (g) {
          return { name: i18n["group" + g.charAt(0).toUpperCase() + g.slice(1)] || g, type: "bar", stack: "total",
                   data: history.map(function (h) { return h.groups[g]; }) };
        })
      }, true);
    }
    /* Departments and communes ranked; the wall's own agency (a unit's wall) highlighted. */
    [["#agency-league tbody", d.agencies], ["#commune-league tbody", d.communes]].forEach(function (pair) {
      var body = document.querySelector(pair[0]);
      if (!body) { return; }
      body.textContent = "";
      (pair[1] || []).forEach(function (a) {
        var own = d.scope && a.code === d.scope;
        body.appendChild(el("tr", own ? { className: "own", "aria-current": "true" } : {}, [el("td", { text: a.rank === null ? "—" : String(a.rank) }),
          el("th", { scope: "row" }, [el("a", { href: "/dich-vu-cong/co-quan/" + encodeURIComponent(a.code) + (d.basis_period ? "?period=" + encodeURIComponent(d.basis_period) : ""), text: named(a) })]),
          el("td", { text: format(a.total, "num") })]));
      });
      var mine = body.querySelector("tr.own");
      if (mine && mine.scrollIntoView && !body.dataset.scrolled) {
        body.dataset.scrolled = "1";
        var wrap = body.closest(".table-wrap");
        if (wrap) { wrap.scrollTop = Math.max(0, mine.offsetTop - wrap.clientHeight / 2); }
      }
    });
    var due = document.getElementById("due-soon");
    if (due) {
      due.textContent = "";
      if (!(d.due_soon_agencies || []).length) { due.appendChild(el("li", { text: i18n.none })); }
      (d.due_soon_agencies || []).forEach(function (a) { due.appendChild(el("li", { text: named(a) + ": " + format(a.count, "int") })); });
    }
  }

  /* ---- maps ---- */
  function colour(value, max) {
    if (value === null || value === undefined) { return "#2b3440"; }
    var t = max > 0 ? Math.min(1, value / max) : 0;
    var stops = [[26, 58, 92], [38, 120, 178], [240, 180, 41], [214, 62, 48]];
    var pos = t * (stops.length - 1), i = Math.min(stops.length - 2, Math.floor(pos)), f = pos - i;
    var c = stops[i].map(function (v, k) { return Math.round(v + (stops[i + 1][k] - v) * f); });
    return "rgb(" + c.join(",") + ")";
  }
  function baseMap(id) {
    var node = document.getElementById(id);
    if (!node || typeof L === "undefined") { return null; }
    if (maps[id]) { return maps[id]; }
    var base = config.basemap || { kind: "none" };
    var map = L.map(node, { attributionControl: base.kind !== "none", preferCanvas: true, minZoom: 5, maxZoom: 18 });
    map.setView([11.5, 108], 8);
    // The street layer comes from the shared module (tinhso/web/static/web/basemap.js).
    var drawn = window.tinhsoBasemap ? tinhsoBasemap.addTo(map, base, { flavor: "dark", lang: lang }) : "";
    if (drawn) {
      node.dataset.basemap = drawn;
      var note = document.getElementById("basemap-note");
      if (note) { note.hidden = true; }
    }
    maps[id] = { map: map, node: node };
    return maps[id];
  }
  var communesPromise = null;
  function communes() {
    if (!communesPromise) {
      communesPromise = fetch(config.communes_url, { credentials: "same-origin" }).then(function (r) { return r.json(); });
    }
    return communesPromise;
  }
  var choropleth = null, clusters = null, lastOpenReports = null;
  /* Where a commune's polygon leads: for staff, the commune's reports behind the figure the map is shaded
   * by (the tile's queue link — received on the wall's days, or overdue now — with commune=<code>);
   * on the public wall, the public list of that commune's reports (commune=<code>). */
  function communeLink(props) {
    var links = config.report_links;
    if (config.queue && links && props.code) {
      var base = document.getElementById("metric").value === "overdue" ? links.overdue : links.received;
      return base + (base.indexOf("?") < 0 ? "?" : "&") + "commune=" + encodeURIComponent(props.code);
    }
    return config.public && props.code ? "/phan-anh/cong-khai?commune=" + encodeURIComponent(props.code) : "";
  }
  /* A cluster takes the colour of the worst report inside it: overdue (red), else waiting for the IOC
   * (yellow), else in hand (green); its size only sets the number shown. */
  function clusterIcon(cluster) {
    var worst = 0;
    cluster.getAllChildMarkers().forEach(function (m) { worst = Math.max(worst, m.options.severity || 0); });
    var kind = ["ok", "waiting", "late"][worst];
    return L.divIcon({ html: "<div><span>" + cluster.getChildCount() + "</span></div>",
                       className: "marker-cluster wall-cluster wall-cluster-" + kind, iconSize: L.point(40, 40) });
  }
  function popupOpen(m) { return !!m.popups; }
  function drawReportsMap() {
    var m = baseMap("map-reports");
    if (!m) { return; }
    if (m.popups === undefined) {
      // The refresh updates the layers in place and leaves the markers alone while a popup is open.
      m.popups = 0;
      m.map.on("popupopen", function () { m.popups += 1; });
      m.map.on("popupclose", function () { m.popups = Math.max(0, m.popups - 1); });
      m.node.wall = { map: m.map, clusters: function () { return clusters; }, choropleth: function () { return choropleth; } };
    }
    var metric = document.getElementById("metric").value;
    var byCode = {};
    (figures.reports.communes || []).forEach(function (c) { byCode[c.code] = c; });
    var values = Object.keys(byCode).map(function (k) { return byCode[k][metric]; }).filter(function (v) { return v !== null; });
    var max = values.length ? Math.max.apply(null, values) : 0;
    communes().then(function (gj) {
      var street = !!m.node.dataset.basemap;
      if (!choropleth) {
        choropleth = L.geoJSON(gj, {
          onEachFeature: function (f, layer) {
            layer.bindTooltip("", { sticky: true });
            // The link is worked out on the click: it follows the shading chosen meanwhile.
            layer.on("click", function () { var href = communeLink(f.properties); if (href) { window.location.href = href; } });
          }
        }).addTo(m.map);
        choropleth.bringToBack();
      }
      choropleth.eachLayer(function (layer) {
        var f = layer.feature, row = byCode[f.properties.code];
        layer.setStyle({ color: street ? "#e6edf3" : "#0d1117", weight: street ? 1 : 0.6, fillOpacity: street ? 0.45 : 0.75,
                         fillColor: colour(row ? row[metric] : null, max) });
        layer.setTooltipContent(named(row || f.properties) + ": " + (row ? format(row[metric], metric === "on_time_rate" ? "pct" : "int") : "—"));
      });
      if (!m.fitted && choropleth.getBounds().isValid()) { m.map.fitBounds(choropleth.getBounds()); m.fitted = true; }
      var legend = document.getElementById("map-legend");
      legend.textContent = "0 – " + format(max, metric === "on_time_rate" ? "pct" : "int");
      m.node.dataset.drawn = "1";
    }).catch(function () { m.node.dataset.failed = "1"; });
    if (config.open_reports_url && typeof L.markerClusterGroup === "function") {
      var url = config.open_reports_url + (figures.unit ? "?unit=" + encodeURIComponent(figures.unit) : "");
      fetch(url, { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (body) {
        // Unchanged: nothing to redraw. Changed while a popup is open: redrawn after it closes (next refresh).
        if (body === lastOpenReports || popupOpen(m)) { return; }
        lastOpenReports = body;
        var gj = JSON.parse(body);
        if (!clusters) {
          clusters = L.markerClusterGroup({ chunkedLoading: true, iconCreateFunction: clusterIcon });
          clusters.addTo(m.map);
        }
        var markers = [];
        L.geoJSON(gj, {
          pointToLayer: function (f, latlng) {
            var late = f.properties.overdue, waiting = f.properties.state === "submitted";
            var category = lang === "en" && f.properties.category_en ? f.properties.category_en : f.properties.category;
            var text = f.properties.code + " · " + category + (late ? " · " + i18n.overdue : "");
            return L.circleMarker(latlng, { radius: 6, weight: 1, color: "#0d1117", fillOpacity: 0.95,
                                            severity: late ? 2 : (waiting ? 1 : 0),
                                            fillColor: late ? "#e5484d" : (waiting ? "#f5d90a" : "#3dd68c") })
              .bindPopup(config.queue ? el("a", { href: config.queue + "/" + f.properties.code, text: text })
                                      : el("span", { text: text }));
          }
        }).eachLayer(function (l) { markers.push(l); });
        clusters.clearLayers();
        clusters.addLayers(markers);
        m.node.dataset.reports = String(markers.length);
      });
    }
  }
  function drawCameras() {
    var m = baseMap("map-cameras"), list = document.getElementById("camera-list");
    if (!m) { return; }
    list.textContent = "";
    var cams = config.cameras || [];
    if (!cams.length) { list.appendChild(el("li", { text: i18n.noCameras })); }
    // The cameras draw in their own pane above the commune outlines (one shared canvas let the
    // outlines, drawn later, take every click).
    m.map.createPane("cameras").style.zIndex = 450;
    var markers = [];
    m.node.wall = { map: m.map, markers: markers };
    communes().then(function (gj) {
      var layer = L.geoJSON(gj, { interactive: false, style: { color: "#3b4756", weight: 0.6, fillColor: "#1b2330", fillOpacity: 0.8 } }).addTo(m.map);
      layer.bringToBack();
      if (!m.fitted && layer.getBounds().isValid()) { m.map.fitBounds(layer.getBounds()); m.fitted = true; }
      m.node.dataset.drawn = "1";
    });
    cams.forEach(function (cam) {
      var marker = L.circleMarker([cam.lat, cam.lon], { pane: "cameras", radius: 8, color: "#0d1117", weight: 1, fillOpacity: 1,
                                                       fillColor: cam.status === "online" ? "#3dd68c" : "#7b8794" }).addTo(m.map);
      marker.bindTooltip(cam.name);
      markers.push(marker);
      var item = el("li", {}, [el("button", { type: "button", text: cam.name + " · " + cam.status_label })]);
      function open() { play(cam); }
      marker.on("click", open);
      item.firstChild.addEventListener("click", open);
      list.appendChild(item);
    });
  }
  var hls = null;
  function play(cam) {
    var video = document.getElementById("camera-player"), info = document.getElementById("camera-info");
    document.getElementById("camera-title").textContent = cam.name;
    info.textContent = [cam.owner, cam.status_label].filter(Boolean).join(" · ");
    if (hls) { hls.destroy(); hls = null; }
    video.removeAttribute("src");
    if (!cam.url) { info.textContent += " · " + i18n.offline; return; }
    if (cam.kind === "link") { info.appendChild(el("a", { href: cam.url, target: "_blank", rel: "noopener", text: " " + i18n.openLink })); return; }
    if (video.canPlayType("application/vnd.apple.mpegurl")) { video.src = cam.url; }
    else if (window.Hls && Hls.isSupported()) { hls = new Hls(); hls.loadSource(cam.url); hls.attachMedia(video); }
    video.play().catch(function () {});
  }

  /* ---- screens, TV mode, refresh ---- */
  var order = ["summary", "reports", "services", "plans", "cameras"];
  var current = order.indexOf(config.screen) >= 0 ? config.screen : (location.hash.slice(1) || "summary");
  if (order.indexOf(current) < 0) { current = "summary"; }
  function show(name) {
    current = name;
    document.querySelectorAll("section.screen").forEach(function (s) { s.hidden = s.dataset.screen !== name; });
    document.querySelectorAll(".screens-nav button").forEach(function (b) {
      if (b.dataset.screen === name) { b.setAttribute("aria-current", "true"); } else { b.removeAttribute("aria-current"); }
    });
    drawScreen(name);
    relayout();
  }
  /* ---- TV mode: every screen fits the screen, lists show what fits and "+N more" ---- */
  // Per screen: the lists that may hold more rows than fit (box: the element that clips them).
  var FITS = {
    summary: [{ box: "#rankings-summary", items: "li" }],
    reports: [{ box: "#league", up: ".table-wrap", items: "tbody tr" }, { box: "#rising", items: "li" }],
    services: [{ box: "#agency-league", up: ".table-wrap", items: "tbody tr" },
               { box: "#commune-league", up: ".table-wrap", items: "tbody tr" }, { box: "#due-soon", items: "li" }],
    plans: [{ box: "#plans-board", items: ".chip", lowest: true }, { box: "#rankings-history", items: "li" }],
    cameras: [{ box: "#camera-list", items: "li" }]
  };
  function tvOn() { return document.body.classList.contains("tv"); }
  function moreRow(list) {
    var more = list.querySelector(":scope > .fit-more");
    if (!more) {
      if (list.tagName === "TBODY") {
        var head = list.closest("table").querySelector("thead tr");
        more = el("tr", { className: "fit-more" }, [el("td", { colspan: String(head ? head.children.length : 1) })]);
      } else {
        more = el("li", { className: "fit-more" });
      }
      list.appendChild(more);
    }
    var n = list.querySelectorAll(":scope > .fit-cut").length;
    (more.firstChild || more).textContent = i18n.more.replace("{n}", format(n, "int"));
  }
  /* Hides the rows of ``box`` that do not fit it (the last ones; ``lowest``: the lowest on the screen, so
   * that side-by-side columns are cut evenly), with a "+N more" row per list; outside TV mode, shows all. */
  function fit(box, items, lowest) {
    box.querySelectorAll(".fit-more").forEach(function (n) { n.remove(); });
    items.forEach(function (n) { n.classList.remove("fit-cut"); });
    if (!tvOn() || !box.clientHeight) { return; }
    box.scrollTop = 0;
    function over() { return box.scrollHeight > box.clientHeight + 1 || box.scrollWidth > box.clientWidth + 1; }
    var left = items.filter(function (n) { return !n.classList.contains("own"); });  // a unit's own row stays
    // First, in one pass, every row starting below the box (no layout between the reads).
    var limit = box.getBoundingClientRect().top + box.clientHeight;
    var below = left.filter(function (n) { return n.getBoundingClientRect().top >= limit; });
    below.forEach(function (n) { n.classList.add("fit-cut"); });
    left = left.filter(function (n) { return below.indexOf(n) < 0; });
    below.map(function (n) { return n.parentNode; }).filter(function (list, i, all) { return all.indexOf(list) === i; })
      .forEach(moreRow);
    // Then one row at a time, until the rows and their "+N more" fit.
    while (left.length && over()) {
      var k = left.length - 1;
      if (lowest) {
        var bottom = -Infinity;
        left.forEach(function (n, i) { var b = n.getBoundingClientRect().bottom; if (b >= bottom) { bottom = b; k = i; } });
      }
      var item = left.splice(k, 1)[0];
      item.classList.add("fit-cut");
      moreRow(item.parentNode);
    }
  }
  function fitScreen(name) {
    (FITS[name] || []).forEach(function (spec) {
      var node = document.querySelector(spec.box);
      if (!node) { return; }
      var box = spec.up ? node.closest(spec.up) : node;
      fit(box, Array.prototype.slice.call(node.querySelectorAll(spec.items)).filter(function (n) {
        return !n.classList.contains("fit-more");
      }), spec.lowest);
    });
  }
  function relayout() {
    fitScreen(current);
    Object.keys(charts).forEach(function (k) { charts[k].resize(); });
    Object.keys(maps).forEach(function (k) { maps[k].map.invalidateSize(); });
  }
  function drawScreen(name) {
    if (name === "summary") { drawTrend(); drawPillars(); fillRankings(); }
    if (name === "reports") { drawReportsMap(); fillLeague(); drawCategories(); }
    if (name === "plans") { fillPlans(); fillRankings(); }
    if (name === "services") { fillServices(); }
    if (name === "cameras" && !maps["map-cameras"]) { drawCameras(); }
  }
  document.querySelectorAll(".screens-nav button").forEach(function (b) {
    b.addEventListener("click", function () {
      show(b.dataset.screen);
      history.replaceState(null, "", "#" + b.dataset.screen);
      if (tvTimer) { rotate(); }  // a screen picked in TV mode stays its full time
    });
  });
  document.getElementById("metric").addEventListener("change", drawReportsMap);
  var tvTimer = null, awakeTimer = null;
  var tvButton = document.getElementById("tv-toggle"), exitButton = document.getElementById("tv-exit");
  function rotate() {
    if (tvTimer) { clearInterval(tvTimer); }
    tvTimer = setInterval(function () { show(order[(order.indexOf(current) + 1) % order.length]); }, config.tv_seconds * 1000);
  }
  function tv(on) {
    on = !!on;
    tvButton.setAttribute("aria-pressed", on ? "true" : "false");
    document.body.classList.toggle("tv", on);
    document.body.classList.remove("tv-awake");
    if (tvTimer) { clearInterval(tvTimer); tvTimer = null; }
    if (on) { rotate(); }
    // The address says whether the wall is in TV mode: a reload keeps the mode the wall is in.
    var url = new URL(location.href);
    if (on) { url.searchParams.set("tv", "1"); } else { url.searchParams.delete("tv"); }
    history.replaceState(null, "", url.pathname + url.search + url.hash);
    relayout();
    if (!on) { tvButton.focus(); }
  }
  /* Out of TV mode: Esc, or the exit button, which a mouse move, a touch or a key press shows for a few
   * seconds (a key press with nothing focused also focuses it, so that a remote's OK button leaves). */
  function wake() {
    if (!tvOn()) { return; }
    document.body.classList.add("tv-awake");
    if (awakeTimer) { clearTimeout(awakeTimer); }
    awakeTimer = setTimeout(function () { document.body.classList.remove("tv-awake"); }, 4000);
  }
  tvButton.addEventListener("click", function () { tv(!tvOn()); });
  exitButton.addEventListener("click", function () { tv(false); });
  document.addEventListener("mousemove", wake);
  document.addEventListener("touchstart", wake, { passive: true });
  document.addEventListener("keydown", function (e) {
    if (!tvOn()) { return; }
    if (e.key === "Escape" || e.key === "Esc") { e.preventDefault(); tv(false); return; }
    wake();
    var focused = document.activeElement;
    if (e.key !== "Tab" && (!focused || focused === document.body)) { exitButton.focus(); }
  });

  function refresh() {
    var params = new URLSearchParams({ period: config.period });
    if (figures.unit && !config.public) { params.set("unit", figures.unit); }
    fetch(config.summary_url + "?" + params.toString(), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) {
        var appeared = data.dossiers && data.dossiers.available && document.getElementById("no-dossiers");
        // A new day (a wall left on past midnight): the tiles' links name the days they count, so the
        // page is drawn again with the new days' links.
        var newDays = data.start !== figures.start || data.end !== figures.end;
        figures = data;
        if (appeared || newDays) { location.reload(); return; }  // the dossier tiles exist only once data does
        fillTiles(); drawScreen(current); fitScreen(current); document.body.classList.remove("stale");
      })
      .catch(function () { document.body.classList.add("stale"); });
  }
  fillTiles();
  show(current);
  if (config.tv) { tv(true); }
  setInterval(refresh, config.refresh_seconds * 1000);
  window.addEventListener("resize", relayout);
})();
