/* Maps of the report pages. No external tiles by default: the basemap is the province's commune
 * polygons served by /phan-anh/ban-do/xa.geojson (the IOC may run on a closed network).
 *   data-map="picker": click / drag a pin, or use the phone's GPS; fills the lat/lon inputs.
 *   data-map="points": published reports from a GeoJSON URL (data-points).
 *   data-map="point":  one report's position (data-lat, data-lon).
 */
(function () {
  "use strict";
  var BASE_STYLE = { color: "#7a8794", weight: 1, fillColor: "#eef1f5", fillOpacity: 0.7 };

  function makeMap(el) {
    var map = L.map(el, { attributionControl: false });
    map.setView([16, 107], 6); // Việt Nam until the province's polygons arrive
    if (el.dataset.tiles) { L.tileLayer(el.dataset.tiles, { maxZoom: 19 }).addTo(map); }
    var ready = fetch(el.dataset.basemap, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (gj) {
        var layer = L.geoJSON(gj, {
          style: BASE_STYLE,
          onEachFeature: function (f, l) { l.bindTooltip(f.properties.name, { sticky: true }); }
        }).addTo(map);
        if (layer.getBounds().isValid()) { map.fitBounds(layer.getBounds()); }
        return layer;
      })
      .catch(function () { return null; })
      .then(function (layer) { el.dataset.ready = "1"; return layer; });
    el.tinhsoMap = map;
    return { map: map, ready: ready };
  }

  function number(text) {
    var n = parseFloat(String(text || "").trim().replace(",", "."));
    return isFinite(n) ? n : null;
  }

  function picker(el) {
    var m = makeMap(el), map = m.map;
    var latInput = document.getElementById(el.dataset.lat);
    var lonInput = document.getElementById(el.dataset.lon);
    var status = el.dataset.status ? document.getElementById(el.dataset.status) : null;
    var marker = null, lookup = 0;

    function say(text, bad) {
      if (!status) { return; }
      status.textContent = text;
      status.className = bad ? "error" : "muted";
    }
    function describe(lat, lon) {
      var mine = ++lookup;
      say(el.dataset.msgLocating || "…");
      fetch("/api/v1/geo/locate?lat=" + lat + "&lon=" + lon)
        .then(function (r) { return r.json(); })
        .then(function (body) {
          if (mine !== lookup) { return; }
          if (body.error) { say(body.error[document.documentElement.lang === "en" ? "message_en" : "message"], true); }
          else if (body.status !== "ok" || !body.commune) { say(el.dataset.msgOutside || "outside", true); }
          else { say((el.dataset.msgIn || "") + " " + body.commune.name + ", " + body.province.name); }
        })
        .catch(function () { say(""); });
    }
    function place(lat, lon, pan) {
      if (!marker) {
        marker = L.marker([lat, lon], { draggable: true, keyboard: true }).addTo(map);
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
    }
    map.on("click", function (e) { set(e.latlng.lat, e.latlng.lng, false); });
    [latInput, lonInput].forEach(function (input) {
      input.addEventListener("change", function () {
        var lat = number(latInput.value), lon = number(lonInput.value);
        if (lat !== null && lon !== null) { place(lat, lon, true); describe(lat, lon); }
      });
    });
    m.ready.then(function () {
      var lat = number(latInput.value), lon = number(lonInput.value);
      if (lat !== null && lon !== null) { place(lat, lon, true); }
    });
    var gps = el.dataset.gps ? document.getElementById(el.dataset.gps) : null;
    if (gps) {
      if (!navigator.geolocation) { gps.disabled = true; }
      gps.addEventListener("click", function () {
        say(el.dataset.msgLocating || "…");
        navigator.geolocation.getCurrentPosition(
          function (pos) { set(pos.coords.latitude, pos.coords.longitude, true); },
          function () { say(el.dataset.msgGpsError || "GPS error", true); },
          { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
        );
      });
    }
  }

  function points(el) {
    var m = makeMap(el), map = m.map;
    m.ready.then(function () { return fetch(el.dataset.points, { credentials: "same-origin" }); })
      .then(function (r) { return r.json(); })
      .then(function (gj) {
        L.geoJSON(gj, {
          pointToLayer: function (f, latlng) {
            var open = f.properties.status === "open";
            return L.circleMarker(latlng, { radius: 5, weight: 1, color: open ? "#b26a00" : "#1e7b34",
                                            fillOpacity: 0.8 });
          },
          onEachFeature: function (f, layer) {
            var box = document.createElement("div");
            var link = document.createElement("a");
            link.href = "/phan-anh/cong-khai/" + encodeURIComponent(f.properties.code);
            link.textContent = f.properties.code;
            box.appendChild(link);
            box.appendChild(document.createElement("br"));
            box.appendChild(document.createTextNode(f.properties.category_name || ""));
            layer.bindPopup(box);
          }
        }).addTo(map);
        el.dataset.points_ready = "1";
      })
      .catch(function () {});
  }

  function point(el) {
    var m = makeMap(el);
    var lat = number(el.dataset.lat), lon = number(el.dataset.lon);
    if (lat === null || lon === null) { return; }
    var marker = L.marker([lat, lon]).addTo(m.map);
    m.ready.then(function () { m.map.setView(marker.getLatLng(), 14); });
  }

  var kinds = { picker: picker, points: points, point: point };
  document.querySelectorAll("[data-map]").forEach(function (el) {
    var make = kinds[el.dataset.map];
    if (make && window.L) { make(el); }
  });
})();
