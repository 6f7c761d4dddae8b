/* The street basemap every Leaflet map of tinhso shares (docs/maps.md, tinhso/web/basemap.py).
 *
 *   tinhsoBasemap.config()            the installation's setting, from <script id="basemap-config">
 *                                     (json_script of the ``basemap`` context), or {kind: "none"}
 *   tinhsoBasemap.layer(base, opts)   a Leaflet layer for it, or null when there is no street map
 *                                     (kind "none", or the PMTiles scripts are not on the page)
 *   tinhsoBasemap.addTo(map, base, opts)  adds that layer; returns "xyz", "pmtiles-vector",
 *                                     "pmtiles-raster" or "" (then the page draws commune outlines)
 *
 * opts: flavor ("light" | "dark", vector archives), lang ("vi" | "en", vector labels).
 * Nothing here fetches from the internet: the URL is the province's tile server or tinhso's own
 * /ban-do/nen.pmtiles (HTTP Range requests).
 */
(function () {
  "use strict";

  function config() {
    var node = document.getElementById("basemap-config");
    if (!node) { return { kind: "none" }; }
    try { return JSON.parse(node.textContent) || { kind: "none" }; } catch (e) { return { kind: "none" }; }
  }

  function layer(base, opts) {
    base = base || { kind: "none" };
    opts = opts || {};
    if (base.kind === "xyz" && base.url) {
      return L.tileLayer(base.url, { maxZoom: 19, attribution: base.attribution });
    }
    if (base.kind === "pmtiles" && base.tiles === "raster" && window.pmtiles) {
      return pmtiles.leafletRasterLayer(new pmtiles.PMTiles(base.url),
        { maxNativeZoom: base.max_zoom, maxZoom: 19, attribution: base.attribution });
    }
    if (base.kind === "pmtiles" && base.tiles === "vector" && window.protomapsL) {
      return protomapsL.leafletLayer({ url: base.url, flavor: opts.flavor || "light",
                                       lang: opts.lang || "vi", attribution: base.attribution });
    }
    return null;
  }

  function addTo(map, base, opts) {
    var street = layer(base, opts);
    if (!street) { return ""; }
    // Tiles are decoration (the page says what the map shows): an empty alt keeps screen readers quiet.
    street.on("tileloadstart tileload", function (e) { if (e.tile && e.tile.tagName === "IMG") { e.tile.alt = ""; } });
    street.addTo(map);
    if (!map.attributionControl) {
      map.attributionControl = L.control.attribution().addTo(map);
      map.attributionControl.addAttribution(base.attribution || "");
    }
    map.attributionControl.setPrefix("Leaflet");
    return base.kind + (base.tiles ? "-" + base.tiles : "");
  }

  window.tinhsoBasemap = { config: config, layer: layer, addTo: addTo };
})();
