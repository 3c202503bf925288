// basemap.js: the basemap's level of detail. Natural Earth 1:50m for wide
// views; 1:10m from DETAIL_ZOOM in (encounter and harbour scale), fetched
// from the node the first time the officer zooms in that far and kept.
// Both files are embedded in the node's binary: nothing comes from
// elsewhere. map.js asks pickBase for the basemap of each frame.

import { decodeTopology } from "./map.js";

// DETAIL_ZOOM is the zoom from which the 1:10m coastline is drawn: about
// 1:4,000,000 on a screen, where 1:50m's points (several km apart) show
// as corners and ships moored in a harbour fall on land.
export const DETAIL_ZOOM = 7;

export class Basemaps {
  constructor(map, fineURL = "/console/assets/map/countries-10m.json") {
    this.map = map;
    this.fineURL = fineURL;
    this.coarse = null; // the 1:50m map.js loaded (loadBasemap)
    this.fine = null;
    this.loading = null;
    this.error = null;
    this.level = "50m"; // what the last frame drew
    map.pickBase = (view) => this.pick(view);
  }

  pick(view) {
    if (view.base && view.base !== this.fine) this.coarse = view.base;
    if (view.zoom >= DETAIL_ZOOM) {
      if (this.fine) { this.level = "10m"; return this.fine; }
      this.load();
    }
    this.level = "50m";
    return this.coarse;
  }

  load() {
    if (this.loading || this.error) return this.loading;
    this.loading = fetch(this.fineURL)
      .then((r) => { if (!r.ok) throw new Error(`${this.fineURL}: ${r.status}`); return r.json(); })
      .then((topo) => {
        const t0 = performance.now();
        this.fine = decodeTopology(topo, "countries");
        this.decodeMS = performance.now() - t0;
        this.map.draw();
      })
      .catch((e) => { this.error = e; }); // the 1:50m coastline stays
    return this.loading;
  }
}
