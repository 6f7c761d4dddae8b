/* Maps of the report pages (Leaflet). The street basemap is the installation's setting, drawn by
 * the shared tinhso/web/static/web/basemap.js (XYZ tiles or the local PMTiles archive); without
 * one, the province's commune outlines from /phan-anh/ban-do/xa.geojson carry the names (shown
 * from zoom 11, in the page's language: name or name_en). Nothing is fetched from the internet.
 *   data-map="picker": click / drag a pin, the phone's GPS or a photo's EXIF position; says at once
 *                      where the pin is (or which province it is in, when outside ours) and lists
 *                      nearby open reports of the same category before sending.
 *   data-map="points": published reports from a GeoJSON URL (data-points), clustered, coloured
 *                      by state (the legend is the page's own list, #map-legend).
 *   data-map="point":  one report's position (data-lat, data-lon), framed with the nearest commune outline
 *                      and no deeper than the street basemap's tiles.
 * data-basemap is the outlines URL; the map sets data-street to the street layer drawn ("none").
 * A map that drew marks its element with data-ready="1"; the points map also data-drawn="1"
 * and data-count (the browser tests read them).
 */
(function () {
  "use strict";
  var OUTLINE = { color: "#7a8794", weight: 1, fillColor: "#eef1f5", fillOpacity: 0.7 };
  var OUTLINE_OVER_STREETS = { color: "#3b4756", weight: 1, fill: false, opacity: 0.7 };
  var LABEL_ZOOM = 11;
  var MAX_ZOOM = 19;
  var lang = document.documentElement.lang === "en" ? "en" : "vi";

  function localName(o) { // a commune's or province's name in the reader's language ({name, name_en})
    return (lang === "en" && o && o.name_en ? o.name_en : (o && o.name)) || "";
  }

  function half(label) { // "Mới tiếp nhận / Submitted" -> the reader's half
    var parts = String(label || "").split(" / ");
    return lang === "en" && parts[1] ? parts[1] : parts[0];
  }

  function makeMap(el) {
    // maxZoom on the map itself: without a street layer no layer sets one, and markercluster
    // refuses a map without it ("Map has no maxZoom specified").
    var map = L.map(el, { attributionControl: true, maxZoom: MAX_ZOOM });
    map.attributionControl.setPrefix(false);
    map.setView([11.9, 108.2], 8); // the province's area until its outlines arrive
    var base = window.tinhsoBasemap ? tinhsoBasemap.config() : { kind: "none" };
    if (base.kind === "none" && el.dataset.tiles) { // the older REPORTS_MAP_TILE_URL setting
      base = { kind: "xyz", url: el.dataset.tiles, attribution: "" };
    }
    var street = window.tinhsoBasemap ? tinhsoBasemap.addTo(map, base, { lang: lang }) : "";
    el.dataset.street = street || "none";
    function labels() { el.classList.toggle("show-labels", map.getZoom() >= LABEL_ZOOM); }
    map.on("zoomend", labels);
    labels();
    var ready = fetch(el.dataset.basemap, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (gj) {
        var layer = L.geoJSON(gj, {
          style: street ? OUTLINE_OVER_STREETS : OUTLINE,
          interactive: !street,
          onEachFeature: function (f, l) {
            if (!street) { l.bindTooltip(localName(f.properties), { permanent: true, direction: "center", className: "commune-label" }); }
          }
        }).addTo(map);
        // No animation: a zoom animation in progress makes Leaflet ignore the next setView.
        if (layer.getBounds().isValid()) { map.fitBounds(layer.getBounds(), { animate: false }); }
        return layer;
      })
      .catch(function (e) { failed(el, "commune outlines", e); return null; })
      .then(function (layer) { el.dataset.ready = "1"; return layer; });
    el.tinhsoMap = map;
    // The deepest zoom the street basemap has tiles for (a local archive stops at its max_zoom; deeper,
    // its tiles are only stretched).
    var deepest = base.kind === "pmtiles" && base.max_zoom ? Number(base.max_zoom) : MAX_ZOOM;
    return { map: map, ready: ready, deepest: deepest };
  }

  // A map that could not draw says so on the console and on its element (data-error), never silently.
  function failed(el, what, e) {
    el.dataset.error = what;
    if (window.console) { console.error("tinhso map (" + what + "):", e); }
  }

  function number(text) {
    var n = parseFloat(String(text || "").trim().replace(",", "."));
    return isFinite(n) ? n : null;
  }
  function node(tag, attrs, children) {
    var n = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { n.textContent = attrs[k]; } else { n.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { n.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return n;
  }
  function errorText(body) {
    var e = body && body.error;
    return e ? (lang === "en" ? e.message_en : e.message) : "";
  }

  /* ---- the citizen form's pin ---- */
  function picker(el) {
    var m = makeMap(el), map = m.map, d = el.dataset;
    var latInput = document.getElementById(d.lat);
    var lonInput = document.getElementById(d.lon);
    var status = d.status ? document.getElementById(d.status) : null;
    var nearbyBox = d.nearby ? document.getElementById(d.nearby) : null;
    var category = d.category ? document.getElementById(d.category) : null;
    var marker = null, lookup = 0, nearLookup = 0;

    function say(text, bad) {
      if (!status) { return; }
      status.textContent = text;
      status.className = bad ? "error" : "muted";
      status.setAttribute("role", bad ? "alert" : "status");
      el.dataset.outside = bad ? "1" : "";
    }
    function describe(lat, lon) {
      var mine = ++lookup;
      say(d.msgLocating || "…");
      fetch("/api/v1/reports/place?lat=" + lat + "&lon=" + lon, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (body) {
          if (mine !== lookup) { return; }
          if (body.error) { say(errorText(body), true); return; }
          say((d.msgIn || "") + " " + localName(body.commune) + ", " + localName(body.province));
        })
        .catch(function () { if (mine === lookup) { say(""); } });
    }
    function nearby() {
      if (!nearbyBox) { return; }
      var lat = number(latInput.value), lon = number(lonInput.value), cat = category ? category.value : "";
      var mine = ++nearLookup;
      if (lat === null || lon === null || !cat) { nearbyBox.hidden = true; return; }
      fetch("/api/v1/reports/nearby?category=" + encodeURIComponent(cat) + "&lat=" + lat + "&lon=" + lon,
            { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (rows) {
          if (mine !== nearLookup) { return; }
          var list = nearbyBox.querySelector("ul");
          // The citizen's choice survives a refreshed list (read before the list is emptied); the
          // form's own value after a refused submission otherwise.
          var checked = nearbyBox.querySelector("input[name=same_as]:checked");
          var chosen = checked ? checked.value : (d.sameAs || "");
          list.textContent = "";
          (rows || []).forEach(function (r) {
            var name = lang === "en" && r.category_name_en ? r.category_name_en : r.category_name;
            var link = node("a", { href: r.url, target: "_blank", rel: "noopener", text: r.code });
            // "Someone already reported this — add yours to it": joined on submit (reports/support.py).
            var id = "same-as-" + r.code;
            var radio = node("input", { type: "radio", name: "same_as", value: r.code, id: id });
            radio.checked = r.code === chosen;
            list.appendChild(node("li", { "data-code": r.code }, [
              link, " · " + name + " · " + (lang === "en" && r.state_label_en ? r.state_label_en : half(r.state_label)) + " · " + Math.round(r.distance_m) + " m",
              node("br"), node("span", { "class": "muted", text: r.description || "" }),
              node("br"), node("a", { href: r.url, target: "_blank", rel: "noopener", "class": "follow",
                                      text: d.msgFollow || "→" }),
              node("label", { "class": "check same-as", "for": id }, [radio, " " + (d.msgSame || "") + " " + r.code])
            ]));
          });
          var none = document.getElementById("same-as-none");
          if (none && !nearbyBox.querySelector("input[name=same_as]:checked")) { none.checked = true; }
          nearbyBox.hidden = !(rows && rows.length);
          nearbyBox.dataset.count = String((rows || []).length);
        })
        .catch(function (e) { failed(el, "nearby reports", e); });
    }
    function place(lat, lon, pan) {
      if (!marker) {
        marker = L.marker([lat, lon], { draggable: true, keyboard: true, title: d.msgPin || "" }).addTo(map);
        marker.on("dragend", function () { var p = marker.getLatLng(); set(p.lat, p.lng, false); });
      } else {
        marker.setLatLng([lat, lon]);
      }
      if (pan) { map.setView([lat, lon], Math.max(map.getZoom(), 14)); }
    }
    function set(lat, lon, pan) {
      latInput.value = lat.toFixed(6);
      lonInput.value = lon.toFixed(6);
      place(lat, lon, pan);
      describe(lat.toFixed(6), lon.toFixed(6));
      nearby();
    }
    map.on("click", function (e) { set(e.latlng.lat, e.latlng.lng, false); });
    [latInput, lonInput].forEach(function (input) {
      input.addEventListener("change", function () {
        var lat = number(latInput.value), lon = number(lonInput.value);
        if (lat !== null && lon !== null) { place(lat, lon, true); describe(lat, lon); nearby(); }
      });
    });
    if (category) { category.addEventListener("change", nearby); }
    m.ready.then(function (outlines) {
      var lat = number(latInput.value), lon = number(lonInput.value);
      if (lat !== null && lon !== null) { place(lat, lon, false); frame(m, marker.getLatLng(), outlines); nearby(); }
    });
    var gps = d.gps ? document.getElementById(d.gps) : null;
    if (gps) {
      if (!navigator.geolocation) { gps.disabled = true; }
      gps.addEventListener("click", function () {
        say(d.msgLocating || "…");
        navigator.geolocation.getCurrentPosition(
          function (pos) { set(pos.coords.latitude, pos.coords.longitude, true); },
          function () { say(d.msgGpsError || "GPS error", true); },
          { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
        );
      });
    }
    photoPosition(d, set);
  }

  /* A photo's EXIF GPS position, read in the browser before upload (the server strips all
   * metadata when it stores the photo): offered as the pin, never used without a click. */
  function photoPosition(d, set) {
    var input = d.photos ? document.getElementById(d.photos) : null;
    var box = d.photoBox ? document.getElementById(d.photoBox) : null;
    if (!input || !box || !window.exifr) { return; }
    var button = box.querySelector("button"), text = box.querySelector("[data-where]"), found = null;
    button.addEventListener("click", function () { if (found) { set(found.lat, found.lon, true); } });
    input.addEventListener("change", function () {
      found = null;
      box.hidden = true;
      var files = Array.prototype.slice.call(input.files || []);
      var next = function (i) {
        if (i >= files.length) { return; }
        exifr.gps(files[i]).then(function (gps) {
          if (gps && isFinite(gps.latitude) && isFinite(gps.longitude) && (gps.latitude || gps.longitude)) {
            found = { lat: gps.latitude, lon: gps.longitude };
            text.textContent = (files[i].name ? files[i].name + ": " : "") + found.lat.toFixed(5) + ", " + found.lon.toFixed(5);
            box.hidden = false;
          } else { next(i + 1); }
        }).catch(function () { next(i + 1); });
      };
      next(0);
    });
  }

  /* ---- the public map ---- */
  function points(el) {
    var m = makeMap(el), map = m.map;
    var colours = {};
    document.querySelectorAll("#map-legend [data-state]").forEach(function (item) {
      colours[item.dataset.state] = item.dataset.colour;
      var swatch = item.querySelector(".swatch");
      if (swatch) { swatch.style.backgroundColor = item.dataset.colour; } // CSSOM: allowed by the CSP
    });
    var clusters = typeof L.markerClusterGroup === "function"
      ? L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 50, chunkedLoading: true })
      : L.featureGroup();
    m.ready.then(function () { return fetch(el.dataset.points, { credentials: "same-origin" }); })
      .then(function (r) { return r.json(); })
      .then(function (gj) {
        var layer = L.geoJSON(gj, {
          pointToLayer: function (f, latlng) {
            var colour = colours[f.properties.state] || "#4d5b67";
            return L.circleMarker(latlng, { radius: 7, weight: 2, color: "#fff", fillColor: colour, fillOpacity: 0.95 });
          },
          onEachFeature: function (f, layer) {
            var p = f.properties;
            var item = document.querySelector('#map-legend [data-state="' + p.state + '"]');
            layer.bindPopup(node("div", {}, [
              node("a", { href: "/phan-anh/cong-khai/" + encodeURIComponent(p.code), text: p.code }), node("br"),
              (lang === "en" && p.category_name_en ? p.category_name_en : p.category_name) || "", node("br"),
              item ? item.textContent.trim() : p.state
            ]));
          }
        });
        clusters.addLayer(layer);
        clusters.addTo(map);
        var features = (gj.features || []).length;
        if (features && clusters.getBounds().isValid()) { map.fitBounds(clusters.getBounds(), { maxZoom: 14, padding: [20, 20], animate: false }); }
        el.dataset.count = String(features);
        el.dataset.drawn = "1";
      })
      .catch(function (e) { failed(el, "reports", e); });
  }

  // The outline vertex nearest to ``pin`` (degrees of longitude shrunk by the latitude's cosine), or null.
  function nearestVertex(outlines, pin) {
    var best = null, bestDistance = Infinity, shrink = Math.cos(pin.lat * Math.PI / 180);
    function visit(points) {
      points.forEach(function (p) {
        if (Array.isArray(p)) { visit(p); return; }
        var dLat = p.lat - pin.lat, dLon = (p.lng - pin.lng) * shrink, d = dLat * dLat + dLon * dLon;
        if (d < bestDistance) { bestDistance = d; best = p; }
      });
    }
    if (outlines) { outlines.eachLayer(function (l) { if (l.getLatLngs) { visit(l.getLatLngs()); } }); }
    return best;
  }

  // A report's position as a map opens on it: the pin in the middle, zoomed in as far as the street
  // basemap has tiles (POINT_ZOOM at most) while the nearest commune outline stays in view, so the map
  // never opens on an empty area (a commune larger than the view draws no line and no name).
  var POINT_ZOOM = 15;
  function frame(m, pin, outlines) {
    var most = Math.min(POINT_ZOOM, m.deepest), near = nearestVertex(outlines, pin);
    if (near) {
      var dLat = Math.abs(near.lat - pin.lat), dLon = Math.abs(near.lng - pin.lng);
      var around = L.latLngBounds([pin.lat - dLat, pin.lng - dLon], [pin.lat + dLat, pin.lng + dLon]);
      m.map.fitBounds(around, { maxZoom: most, padding: [24, 24], animate: false });
    } else {
      m.map.setView(pin, most, { animate: false });
    }
  }

  function point(el) {
    var m = makeMap(el);
    var lat = number(el.dataset.lat), lon = number(el.dataset.lon);
    if (lat === null || lon === null) { return; }
    var marker = L.marker([lat, lon]).addTo(m.map);
    m.ready.then(function (outlines) { frame(m, marker.getLatLng(), outlines); el.dataset.drawn = "1"; });
  }

  var kinds = { picker: picker, points: points, point: point };
  document.querySelectorAll("[data-map]").forEach(function (el) {
    var make = kinds[el.dataset.map];
    if (make && window.L) { make(el); }
  });
})();
