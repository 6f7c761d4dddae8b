/* Staff queue pages: "select all" for bulk actions, the searchable unit picker, the queue map.
 * Everything works without this script: the checkboxes one by one, the unit <select> as it is,
 * the list view instead of the map.
 *   [data-unit-picker]: a labelled search box filters the <select>'s options by a folded key
 *     (data-fold, computed by the server with tinhso.core.text.fold), so "phan thiet" finds
 *     "Phường Phan Thiết".
 *   [data-queue-map]: the same filtered list as markers, from the JSON in #<data-points>.
 */
(function () {
  "use strict";

  function fold(text) {
    return String(text || "").replace(/đ/g, "d").replace(/Đ/g, "D").normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/\s+/g, " ").trim();
  }

  // --- select all ---------------------------------------------------------------------------
  var all = document.getElementById("select-all");
  if (all) {
    var boxes = document.querySelectorAll('input[type=checkbox][name="codes"]');
    all.hidden = false;
    all.addEventListener("change", function () {
      boxes.forEach(function (b) { b.checked = all.checked; });
    });
  }

  // --- bulk bar: show the unit / officer choice only for the actions that use it -------------
  var action = document.getElementById("bulk-action");
  if (action) {
    var unitBox = document.querySelector(".bulk-bar [data-unit-picker]");
    var officer = document.getElementById("bulk-officer");
    var sync = function () {
      var a = action.value;
      if (unitBox) { unitBox.hidden = !(a === "forward" || a === "verify_forward"); }
      if (officer) {
        officer.hidden = a !== "assign";
        var label = document.querySelector('label[for="bulk-officer"]');
        if (label) { label.hidden = officer.hidden; }
      }
    };
    action.addEventListener("change", sync);
    sync();
  }

  // --- unit picker --------------------------------------------------------------------------
  document.querySelectorAll("[data-unit-picker]").forEach(function (box) {
    var input = box.querySelector(".unit-search");
    var select = box.querySelector("select");
    var status = box.querySelector(".unit-picker-status");
    if (!input || !select) { return; }
    input.hidden = false;
    input.addEventListener("input", function () {
      var key = fold(input.value), shown = 0, first = null;
      Array.prototype.forEach.call(select.options, function (opt) {
        if (!opt.value) { return; }  // the "by the routing rules" choice stays
        var match = !key || (opt.dataset.fold || fold(opt.text)).indexOf(key) !== -1;
        opt.hidden = !match;
        opt.disabled = !match;
        if (match) { shown += 1; if (!first) { first = opt; } }
      });
      var current = select.selectedOptions[0];
      // typing picks the first match unless the chosen unit still matches
      if (key && first && (!current || !current.value || current.disabled)) { select.value = first.value; }
      if (status) { status.textContent = key ? shown + " " + (status.dataset.msg || "") : ""; }
    });
  });

  // --- reply templates: insert the chosen text into the reply box ---------------------------
  document.querySelectorAll("[data-reply-templates]").forEach(function (box) {
    var select = box.querySelector("select");
    var target = document.getElementById(box.dataset.target);
    if (!select || !target) { return; }
    box.hidden = false;
    box.querySelector("[data-insert]").addEventListener("click", function () {
      var opt = select.selectedOptions[0];
      if (!opt || !opt.value) { return; }
      var text = opt.dataset.text || "";
      var start = target.selectionStart, end = target.selectionEnd, value = target.value;
      if (typeof start === "number" && document.activeElement === target) {
        target.value = value.slice(0, start) + text + value.slice(end);
      } else {
        target.value = value ? value.replace(/\s*$/, "") + "\n" + text : text;
      }
      target.focus();
    });
  });

  // --- queue map ----------------------------------------------------------------------------
  // The installation's street basemap, as on every other map (tinhso/web/static/web/basemap.js;
  // the older data-tiles setting only when none is configured), the commune outlines, and the
  // reports clustered when they crowd (Leaflet.markercluster). data-street: the street layer drawn.
  var COLORS = { overdue: "#b3261e", waiting: "#8a4b00", other: "#2f5d8a" };
  var OUTLINE = { color: "#7a8794", weight: 1, fillColor: "#eef1f5", fillOpacity: 0.7 };
  var OUTLINE_OVER_STREETS = { color: "#3b4756", weight: 1, fill: false, opacity: 0.7 };
  var lang = document.documentElement.lang === "en" ? "en" : "vi";
  document.querySelectorAll("[data-queue-map]").forEach(function (el) {
    if (typeof L === "undefined") { return; }
    var data = document.getElementById(el.dataset.points);
    var points = data ? JSON.parse(data.textContent) : [];
    // maxZoom on the map itself: without a street layer nothing sets one, and clustering needs it.
    var map = L.map(el, { attributionControl: false, maxZoom: 19 });
    map.setView([16, 107], 6);
    var base = window.tinhsoBasemap ? tinhsoBasemap.config() : { kind: "none" };
    if (base.kind === "none" && el.dataset.tiles) { base = { kind: "xyz", url: el.dataset.tiles, attribution: "" }; }
    var street = window.tinhsoBasemap ? tinhsoBasemap.addTo(map, base, { lang: lang }) : "";
    el.dataset.street = street || "none";
    var markers = typeof L.markerClusterGroup === "function"
      ? L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 40 })
      : L.featureGroup();
    points.forEach(function (p) {
      var m = L.circleMarker([p.lat, p.lon], {
        radius: 7, weight: 2, color: "#fff", fillColor: COLORS[p.group] || COLORS.other, fillOpacity: 0.9,
        className: "queue-marker"
      });
      var link = document.createElement("a");
      link.href = p.url;
      link.textContent = p.code;
      var pop = document.createElement("div");
      pop.appendChild(link);
      pop.appendChild(document.createTextNode(" — " + p.label));
      m.bindPopup(pop);
      markers.addLayer(m);
    });
    // The view first, then the clusters: clusters drawn at the first view and then re-clustered
    // for the fitted one would be counted twice until the redraw ends.
    if (points.length) { map.fitBounds(markers.getBounds(), { maxZoom: 15, padding: [20, 20], animate: false }); }
    markers.addTo(map);
    el.tinhsoMap = map;
    el.dataset.markers = String(points.length);
    fetch(el.dataset.basemap, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (gj) {
        L.geoJSON(gj, { style: street ? OUTLINE_OVER_STREETS : OUTLINE, interactive: false })
          .addTo(map).bringToBack();
        if (!points.length) {
          var b = L.geoJSON(gj).getBounds();
          if (b.isValid()) { map.fitBounds(b); }
        }
      })
      .catch(function (e) {
        el.dataset.error = "commune outlines";
        if (window.console) { console.error("tinhso queue map (commune outlines):", e); }
        return null;
      })
      .then(function () { el.dataset.ready = "1"; });
  });
})();
