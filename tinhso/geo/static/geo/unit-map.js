/* A unit's page: its outline (or point) with the units it came from and went into. Data from the
 * page itself (json_script #unit-map-data); street tiles only when the installation set some. */
(function () {
  "use strict";
  var el = document.getElementById("unit-map");
  var data = document.getElementById("unit-map-data");
  if (!el || !data || typeof L === "undefined") { return; }
  var gj = JSON.parse(data.textContent);
  var STYLES = {
    self: { color: "#a3161a", weight: 3, fillColor: "#a3161a", fillOpacity: 0.15 },
    predecessor: { color: "#1d4f91", weight: 2, dashArray: "6 4", fillColor: "#1d4f91", fillOpacity: 0.08 },
    successor: { color: "#1e7b34", weight: 2, dashArray: "2 4", fillColor: "#1e7b34", fillOpacity: 0.08 }
  };
  var map = L.map(el, { attributionControl: !!el.dataset.tiles });
  if (el.dataset.tiles) { L.tileLayer(el.dataset.tiles, { maxZoom: 19 }).addTo(map); }
  var order = { successor: 0, predecessor: 1, self: 2 };
  gj.features.sort(function (a, b) { return order[a.properties.role] - order[b.properties.role]; });
  var layer = L.geoJSON(gj, {
    style: function (f) { return STYLES[f.properties.role]; },
    pointToLayer: function (f, latlng) {
      var s = STYLES[f.properties.role];
      return L.circleMarker(latlng, { radius: f.properties.role === "self" ? 9 : 6, color: s.color, weight: 2,
                                      fillColor: s.color, fillOpacity: 0.5 });
    },
    onEachFeature: function (f, l) {
      l.bindTooltip(f.properties.name, { sticky: true });
      if (f.properties.role !== "self") { l.on("click", function () { window.location = f.properties.url; }); }
    }
  }).addTo(map);
  if (layer.getBounds().isValid()) { map.fitBounds(layer.getBounds(), { maxZoom: 12, padding: [12, 12] }); }
  else { map.setView([16, 107], 5); }
  el.dataset.ready = "1";
})();
