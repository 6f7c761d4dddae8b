// Copies the browser builds tinhso serves from node_modules into tinhso/web/static/vendor/
// (git-ignored). Run by `make install` after `npm ci`; nothing is fetched at run time.
import { cpSync, mkdirSync, rmSync, existsSync, writeFileSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "tinhso", "web", "static", "vendor");

// package -> files (relative to the package folder) the pages load.
const FILES = {
  "echarts": ["dist/echarts.min.js", "i18n/langVI.js", "LICENSE"],
  "leaflet": ["dist/leaflet.js", "dist/leaflet.css", "dist/images", "LICENSE"],
  "leaflet.markercluster": ["dist/leaflet.markercluster.js", "dist/MarkerCluster.css",
                            "dist/MarkerCluster.Default.css", "MIT-LICENCE.txt"],
  "hls.js": ["dist/hls.min.js", "LICENSE"],
  "pmtiles": ["dist/pmtiles.js", "LICENSE"],
  "protomaps-leaflet": ["dist/protomaps-leaflet.js", "LICENSE"],
  "axe-core": ["axe.min.js", "LICENSE"],
  "exifr": ["dist/lite.umd.js", "LICENSE"],
  "flatpickr": ["dist/flatpickr.min.js", "dist/flatpickr.min.css", "dist/l10n/vn.js", "LICENSE.md"],
};

rmSync(out, { recursive: true, force: true });
const versions = {};
for (const [pkg, files] of Object.entries(FILES)) {
  const src = join(here, "node_modules", pkg);
  versions[pkg] = JSON.parse(readFileSync(join(src, "package.json"), "utf8")).version;
  for (const file of files) {
    const from = join(src, file);
    if (!existsSync(from)) {
      if (/licen[cs]e/i.test(file)) continue;  // a missing licence file is not fatal
      console.error(`frontend/assets.mjs: ${pkg}/${file} is missing (npm ci first)`);
      process.exit(1);
    }
    const to = join(out, pkg, file.replace(/^dist\//, ""));
    mkdirSync(dirname(to), { recursive: true });
    cpSync(from, to, { recursive: true });
  }
}
writeFileSync(join(out, "versions.json"), JSON.stringify(versions, null, 2) + "\n");
console.log(`front-end assets → ${out}: ${Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(", ")}`);
