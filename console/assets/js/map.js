// map.js: the live picture on a canvas. An offline Natural Earth basemap
// (TopoJSON, decoded here), Web Mercator, pan and zoom; tracks coloured
// by party with heading and speed leaders (civilian traffic hollow and
// smaller); encounters as the two tracks' predicted paths to the closest
// point; zones with their time windows; labels placed without overlap
// (leader lines, decluttered by priority) in a layer of elements over the
// canvas; a scale bar, range rings, a bearing and range measure tool; a
// home view per channel; day and night themes.

import { api, partyColor, severityColor, unattributedColor, fmtDuration, SEVERITY_RANK } from "./api.js";

const TILE = 256; // pixels per world unit at zoom 0
const MIN_ZOOM = 1, MAX_ZOOM = 16;
const LEADER_S = { air: 60, sea: 360 }; // speed leader: distance covered in this many seconds
const STALE_S = { air: 60, sea: 480 };  // lost times of DESIGN.md, if the node does not say
const M_PER_DEG = 111320;
const M_PER_NM = 1852, M_PER_FT = 0.3048;

// project returns Web Mercator world coordinates in [0,1] of lat, lon (degrees).
export function project(lat, lon) {
  const phi = Math.max(-85.05, Math.min(85.05, lat)) * Math.PI / 180;
  return [(lon + 180) / 360, (1 - Math.log(Math.tan(phi) + 1 / Math.cos(phi)) / Math.PI) / 2];
}

function unproject(x, y) {
  const lon = x * 360 - 180;
  const lat = Math.atan(Math.sinh(Math.PI * (1 - 2 * y))) * 180 / Math.PI;
  return [lat, lon];
}

// decodeTopology turns a TopoJSON topology into projected arcs and the
// rings of one object's polygons, each with a bounding box, and tells
// which arcs are shared by two geometries (land borders) and which are
// not (coastlines).
export function decodeTopology(topo, objectName) {
  const [sx, sy] = topo.transform ? topo.transform.scale : [1, 1];
  const [tx, ty] = topo.transform ? topo.transform.translate : [0, 0];
  const arcs = topo.arcs.map((arc) => {
    const pts = new Float64Array(arc.length * 2);
    let x = 0, y = 0;
    const box = [Infinity, Infinity, -Infinity, -Infinity];
    arc.forEach((p, i) => {
      if (topo.transform) { x += p[0]; y += p[1]; } else { x = p[0]; y = p[1]; }
      const [wx, wy] = project(y * sy + ty, x * sx + tx);
      pts[2 * i] = wx; pts[2 * i + 1] = wy;
      if (wx < box[0]) box[0] = wx;
      if (wy < box[1]) box[1] = wy;
      if (wx > box[2]) box[2] = wx;
      if (wy > box[3]) box[3] = wy;
    });
    return { pts, box, uses: 0 };
  });
  const polygons = [];
  const ring = (indexes) => {
    const out = [];
    indexes.forEach((ai, k) => {
      const rev = ai < 0;
      const a = arcs[rev ? ~ai : ai];
      const n = a.pts.length / 2;
      for (let j = 0; j < n; j++) {
        if (k > 0 && j === 0) continue; // shared with the previous arc's end
        const idx = rev ? n - 1 - j : j;
        out.push(a.pts[2 * idx], a.pts[2 * idx + 1]);
      }
    });
    return Float64Array.from(out);
  };
  const obj = topo.objects[objectName];
  for (const g of obj.geometries) {
    const polys = g.type === "Polygon" ? [g.arcs] : g.type === "MultiPolygon" ? g.arcs : [];
    const used = new Set();
    for (const poly of polys) {
      const rings = poly.map(ring);
      const box = [Infinity, Infinity, -Infinity, -Infinity];
      for (const r of rings) {
        for (let i = 0; i < r.length; i += 2) {
          box[0] = Math.min(box[0], r[i]); box[1] = Math.min(box[1], r[i + 1]);
          box[2] = Math.max(box[2], r[i]); box[3] = Math.max(box[3], r[i + 1]);
        }
      }
      polygons.push({ rings, box });
      for (const rr of poly) for (const ai of rr) used.add(ai < 0 ? ~ai : ai);
    }
    for (const ai of used) arcs[ai].uses++;
  }
  return { arcs, polygons };
}

// destination returns the point d metres from lat, lon on course (deg),
// on a flat-earth approximation good for leader lines.
function destination(lat, lon, courseDeg, d) {
  const c = courseDeg * Math.PI / 180;
  return [lat + d * Math.cos(c) / M_PER_DEG, lon + d * Math.sin(c) / (M_PER_DEG * Math.cos(lat * Math.PI / 180))];
}

// Label placement. Every label is a box (w x h, in CSS pixels) that wants
// to sit next to its anchor (a marker on the map). placeLabels tries, for
// each label in order of priority (the most severe encounter first), the
// candidate positions around its anchor: eight directions on rings further
// and further out; a label placed off the first ring gets a leader line
// to its marker. A candidate must lie inside the bounds, off the
// obstacles (the boxes floating over the map) and off every label placed
// before it; covering another marker, or a leader line running under a
// label placed before, costs, but is allowed. A label with
// no free candidate is hidden: the lower priorities go first.
export const LABEL_RINGS = [6, 16, 28, 42, 58, 78, 100, 126];
const LABEL_DIRS = [[1, -1], [1, 1], [-1, -1], [-1, 1], [1, 0], [-1, 0], [0, -1], [0, 1]]; // NE SE NW SW E W N S
const LABEL_GAP = 2;

function overlaps(a, b, gap = 0) {
  return a[0] < b[2] + gap && b[0] < a[2] + gap && a[1] < b[3] + gap && b[1] < a[3] + gap;
}

// candidateBox returns the box of a w x h label in direction d at
// distance r from (ax, ay).
function candidateBox(ax, ay, w, h, [dx, dy], r) {
  const k = dx && dy ? Math.SQRT1_2 : 1;
  const ox = ax + dx * r * k, oy = ay + dy * r * k;
  const x0 = dx > 0 ? ox : dx < 0 ? ox - w : ox - w / 2;
  const y0 = dy > 0 ? oy : dy < 0 ? oy - h : oy - h / 2;
  return [x0, y0, x0 + w, y0 + h];
}

// placeLabels sets box (x0, y0, x1, y1), leader (bool) and hidden on
// each label of labels (sorted here by prio, highest first), within
// bounds [x0, y0, x1, y1], off obstacles (boxes), preferring not to
// cover markers ([x, y, radius]). prev maps a label's key to the
// candidate it took last time, which it keeps when it still fits.
export const MAX_LABELS = 400; // candidates beyond these (the least important) are hidden unplaced

export function placeLabels(labels, bounds, obstacles = [], markers = [], prev = new Map()) {
  labels.sort((a, b) => b.prio - a.prio || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const placed = [];
  for (const [i, l] of labels.entries()) {
    l.hidden = true; l.box = null; l.leader = false;
    if (i >= MAX_LABELS) continue;
    let best = null, bestScore = Infinity, bestCand = -1;
    LABEL_RINGS.forEach((r, ri) => {
      LABEL_DIRS.forEach((d, di) => {
        const box = candidateBox(l.ax, l.ay, l.w, l.h, d, r);
        if (box[0] < bounds[0] || box[1] < bounds[1] || box[2] > bounds[2] || box[3] > bounds[3]) return;
        if (obstacles.some((o) => overlaps(box, o, LABEL_GAP))) return;
        if (placed.some((p) => overlaps(box, p.box, LABEL_GAP))) return;
        let score = ri * 100 + di;
        if (ri > 0) {
          // a leader line running under a label placed before costs
          const [px, py] = nearestOnBox(box, l.ax, l.ay);
          for (const p of placed) if (segmentHitsBox(l.ax, l.ay, px, py, p.box)) score += 80;
        }
        for (const [mx, my, mr] of markers) {
          if (Math.abs(mx - l.ax) < 0.5 && Math.abs(my - l.ay) < 0.5) continue; // its own marker
          if (overlaps(box, [mx - mr, my - mr, mx + mr, my + mr])) score += 60;
        }
        const cand = ri * LABEL_DIRS.length + di;
        if (prev.get(l.key) === cand) score -= 30; // stay put while it fits
        if (score < bestScore) { best = box; bestScore = score; bestCand = cand; }
      });
    });
    if (!best) continue;
    l.box = best; l.hidden = false; l.leader = bestCand >= LABEL_DIRS.length; l.cand = bestCand;
    placed.push(l);
  }
  return labels;
}

// segmentHitsBox reports whether the segment from (x0, y0) to (x1, y1)
// crosses box (Liang-Barsky clipping).
function segmentHitsBox(x0, y0, x1, y1, box) {
  let t0 = 0, t1 = 1;
  const dx = x1 - x0, dy = y1 - y0;
  for (const [p, q] of [[-dx, x0 - box[0]], [dx, box[2] - x0], [-dy, y0 - box[1]], [dy, box[3] - y0]]) {
    if (p === 0) { if (q < 0) return false; continue; }
    const r = q / p;
    if (p < 0) { if (r > t1) return false; if (r > t0) t0 = r; } else { if (r < t0) return false; if (r < t1) t1 = r; }
  }
  return t0 < t1;
}

// nearestOnBox returns the point of box closest to (x, y).
function nearestOnBox(box, x, y) {
  return [Math.max(box[0], Math.min(box[2], x)), Math.max(box[1], Math.min(box[3], y))];
}

// Geodesy on the sphere of geo.MeanEarthRadiusM, for the measure tool,
// range rings and the scale bar.
export const EARTH_R = 6371008.8;
const rad = (d) => d * Math.PI / 180, deg = (r) => r * 180 / Math.PI;

// haversine returns the great-circle distance in metres.
export function haversine(lat1, lon1, lat2, lon2) {
  const a = Math.sin(rad(lat2 - lat1) / 2) ** 2 + Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(rad(lon2 - lon1) / 2) ** 2;
  return 2 * EARTH_R * Math.asin(Math.min(1, Math.sqrt(a)));
}

// bearing returns the initial true bearing from 1 to 2, degrees [0, 360).
export function bearing(lat1, lon1, lat2, lon2) {
  const y = Math.sin(rad(lon2 - lon1)) * Math.cos(rad(lat2));
  const x = Math.cos(rad(lat1)) * Math.sin(rad(lat2)) - Math.sin(rad(lat1)) * Math.cos(rad(lat2)) * Math.cos(rad(lon2 - lon1));
  return (deg(Math.atan2(y, x)) + 360) % 360;
}

// gcDestination returns the point d metres from lat, lon on initial
// bearing brg (great circle).
function gcDestination(lat, lon, brg, d) {
  const δ = d / EARTH_R, θ = rad(brg), φ1 = rad(lat), λ1 = rad(lon);
  const φ2 = Math.asin(Math.sin(φ1) * Math.cos(δ) + Math.cos(φ1) * Math.sin(δ) * Math.cos(θ));
  const λ2 = λ1 + Math.atan2(Math.sin(θ) * Math.sin(δ) * Math.cos(φ1), Math.cos(δ) - Math.sin(φ1) * Math.sin(φ2));
  return [deg(φ2), deg(λ2)];
}

// niceStep returns the largest of 1, 2, 5 x 10^k not above v.
function niceStep(v) {
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  return [5, 2, 1].map((m) => m * p).find((s) => s <= v) || p;
}

// fmtNM formats a distance in metres as NM, "0.25 NM", "3.2 NM", "120 NM".
export function fmtNM(m) {
  const nm = m / M_PER_NM;
  return `${nm < 1 ? nm.toFixed(2) : nm < 10 ? nm.toFixed(1) : Math.round(nm)} NM`;
}

// flightLevel gives an aircraft's flight level from its barometric
// altitude (metres): "FL350", "FL005"; "" when unknown.
export function flightLevel(altM) {
  if (altM == null || !isFinite(altM)) return "";
  return `FL${String(Math.max(0, Math.round(altM / M_PER_FT / 100))).padStart(3, "0")}`;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

// fmtWhen gives a date and time in UTC as an officer reads a window:
// "3 Jun 14:00Z", with the year when it is not the current one.
export function fmtWhen(t) {
  const d = new Date(t);
  if (isNaN(d) || d.getUTCFullYear() < 1971) return "";
  const year = d.getUTCFullYear() !== new Date().getUTCFullYear() ? ` ${d.getUTCFullYear()}` : "";
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}${year} ${d.toISOString().slice(11, 16)}Z`;
}

// fmtWindow gives a zone's time window: "3 Jun 14:00Z – 4 Jun 02:00Z",
// "from 3 Jun 14:00Z", "until 4 Jun 02:00Z", or "no time limit".
export function fmtWindow(from, until) {
  const f = fmtWhen(from), u = fmtWhen(until);
  if (f && u) return `${f} – ${u}`;
  if (f) return `from ${f}`;
  if (u) return `until ${u}`;
  return "no time limit";
}

// Colours of the map in the day and night themes.
const THEMES = {
  day: { sea: "#c9d8e6", land: "#f3f1ea", coast: "#7f93a6", border: "#a48f9e", grid: "rgba(60,80,100,0.12)", gridText: "rgba(40,60,80,0.6)",
    ink: "#111", halo: "#fff", civil: "#ffffff", ring: "rgba(20,40,60,0.55)", measure: "#111" },
  night: { sea: "#0a141d", land: "#1b2229", coast: "#3f5568", border: "#4d4450", grid: "rgba(150,170,190,0.10)", gridText: "rgba(160,178,196,0.65)",
    ink: "#d7dee6", halo: "#0a141d", civil: "#0a141d", ring: "rgba(170,200,225,0.55)", measure: "#e6edf3" },
};

// storage returns localStorage or sessionStorage, or a stand-in when the
// browser refuses them.
function storage(kind) {
  try { const s = window[kind]; s.getItem("x"); return s; } catch (_) { return { getItem: () => null, setItem: () => {} }; }
}

const HOME_DEFAULT = [53, 9, 61, 31]; // the Baltic, when a channel's picture has nothing yet
const MEET_M = 100 * M_PER_NM;      // a member's asset this close to another member's is where they meet

export class MapView {
  constructor(canvas, tooltip) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.tooltip = tooltip;
    this.pane = canvas.parentElement;
    this.base = null;
    this.tracks = new Map();     // id -> track
    this.encounters = new Map(); // id -> encounter
    this.zones = [];
    this.drawnZones = [];        // ids of the zones drawn in the last frame
    this.center = [0.5, 0.5];
    this.zoom = 5;
    this.hover = null;
    this.selected = null;        // id of the selected track
    this.ringsAt = null;         // [lat, lon] of the range rings without a selected track
    this.rings = false;
    this.measure = null;         // {mode, a: [lat, lon], b: [lat, lon], done}
    this.measuring = false;
    this.channel = null;
    this.homeAuto = false;       // refit to the channel's home as its picture arrives, until the officer moves the map
    this.pending = false;
    this.labels = [];
    this.labelPrev = new Map();
    this.onChange = () => {};
    this.onSelect = () => {};    // (track or null) when a track is selected or deselected
    // Hooks for other modules: layers draw over the zones, under the
    // encounters and tracks ({render(view, ctx, w, h)}: trails.js,
    // target.js, the incident replay); pickBase returns the decoded
    // basemap for the view's zoom (basemap.js).
    this.layers = [];
    this.pickBase = null;
    this.theme = storage("localStorage").getItem("deconflict-theme") === "night" ? "night" : "day";
    this.buildOverlays();
    this.applyTheme();
    this.fit(...HOME_DEFAULT);
    this.bind();
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  get colors() { return THEMES[this.theme]; }

  // buildOverlays adds to the map pane what floats over the canvas: the
  // label layer, the scale bar, the measure readout, the extra map
  // buttons, and the encounter box's collapse button and remembered size.
  buildOverlays() {
    const pane = this.pane;
    const div = (cls, attrs = {}) => { const d = document.createElement("div"); d.className = cls; for (const [k, v] of Object.entries(attrs)) d.setAttribute(k, v); return d; };
    this.labelLayer = div("map-labels", { id: "map-labels", "aria-hidden": "true" });
    this.canvas.after(this.labelLayer);
    this.scaleBar = div("scale-bar", { id: "scale-bar", "aria-label": "Scale" });
    this.scaleBar.innerHTML = `<div class="sb-row sb-nm"><span class="sb-bar"></span><span class="sb-label"></span></div><div class="sb-row sb-km"><span class="sb-bar"></span><span class="sb-label"></span></div>`;
    pane.append(this.scaleBar);
    this.readout = div("measure-readout", { id: "measure-readout", role: "status", "aria-live": "polite" });
    this.readout.hidden = true;
    pane.append(this.readout);
    const controls = pane.querySelector(".map-controls");
    if (controls) {
      const button = (id, text, label, onclick) => {
        const b = document.createElement("button");
        b.type = "button"; b.id = id; b.textContent = text; b.setAttribute("aria-label", label); b.title = label;
        b.addEventListener("click", onclick);
        controls.append(b);
        return b;
      };
      this.measureButton = button("measure-tool", "⟷", "Measure bearing and range: drag, or click two points", () => this.setMeasuring(!this.measuring));
      this.measureButton.setAttribute("aria-pressed", "false");
      this.ringsButton = button("range-rings", "◎", "Range rings around the selected track, or a point you click", () => this.setRings(!this.rings));
      this.ringsButton.setAttribute("aria-pressed", "false");
      this.themeButton = button("theme-toggle", "☾", "Night theme", () => this.setTheme(this.theme === "night" ? "day" : "night"));
    }
    this.setupEncounterBox(pane.querySelector(".encounter-box"));
  }

  // setupEncounterBox makes the encounter list collapsible (its state kept
  // for the browser session) and keeps the size the officer dragged it to.
  setupEncounterBox(box) {
    if (!box) return;
    this.encounterBox = box;
    const ss = storage("sessionStorage");
    const head = box.querySelector("h2");
    const list = box.querySelector("ul");
    if (!head || !list) return;
    const toggle = document.createElement("button");
    toggle.type = "button"; toggle.id = "encounters-toggle"; toggle.className = "box-toggle";
    toggle.setAttribute("aria-controls", list.id || "encounters");
    head.prepend(toggle);
    const set = (collapsed) => {
      box.classList.toggle("collapsed", collapsed);
      list.hidden = collapsed;
      toggle.setAttribute("aria-expanded", String(!collapsed));
      toggle.setAttribute("aria-label", collapsed ? "Show the encounter list" : "Hide the encounter list");
      toggle.textContent = collapsed ? "▸" : "▾";
      ss.setItem("deconflict-encounters-collapsed", collapsed ? "1" : "0");
      this.draw();
    };
    toggle.addEventListener("click", () => set(!box.classList.contains("collapsed")));
    set(ss.getItem("deconflict-encounters-collapsed") === "1");
    const size = (ss.getItem("deconflict-encounters-size") || "").split("x").map(Number);
    if (size.length === 2 && size[0] > 0) { box.style.width = `${size[0]}px`; box.style.height = `${size[1]}px`; }
    let first = true;
    new ResizeObserver(() => {
      if (first) { first = false; return; }
      if (!box.classList.contains("collapsed") && box.style.width) ss.setItem("deconflict-encounters-size", `${box.offsetWidth}x${box.offsetHeight}`);
      this.draw();
    }).observe(box);
  }

  setTheme(theme) {
    this.theme = theme;
    storage("localStorage").setItem("deconflict-theme", theme);
    this.applyTheme();
    this.draw();
  }

  applyTheme() {
    document.body.classList.toggle("night", this.theme === "night");
    if (this.themeButton) {
      this.themeButton.textContent = this.theme === "night" ? "☀" : "☾";
      const label = this.theme === "night" ? "Day theme" : "Night theme";
      this.themeButton.setAttribute("aria-label", label); this.themeButton.title = label;
    }
  }

  setMeasuring(on) {
    this.measuring = on;
    if (!on) { this.measure = null; this.readout.hidden = true; }
    this.measureButton?.setAttribute("aria-pressed", String(on));
    this.canvas.classList.toggle("measuring", on);
    this.draw();
  }

  setRings(on) {
    this.rings = on;
    if (on && !this.ringsAt && !this.selected) this.ringsAt = unproject(...this.center);
    this.ringsButton?.setAttribute("aria-pressed", String(on));
    this.draw();
  }

  // select makes track id the selected one (null: none).
  select(id) {
    this.selected = id && this.tracks.has(id) ? id : null;
    this.onSelect(this.selected ? this.tracks.get(this.selected) : null);
    this.draw();
  }

  async loadBasemap(url) {
    const topo = await (await fetch(url)).json();
    this.base = decodeTopology(topo, "countries");
    this.draw();
  }

  // freeInsets returns how much of the canvas each edge loses to the boxes
  // floating over it (the open encounter list), so that a fitted view is
  // framed in what the officer can see.
  freeInsets() {
    const ins = { left: 10, right: 54, top: 10, bottom: 40 };
    const box = this.encounterBox;
    if (box && !box.hidden && !box.classList.contains("collapsed")) {
      const r = box.getBoundingClientRect(), c = this.canvas.getBoundingClientRect();
      // at most a third of the width: a wide list over a small map is
      // better partly covering the frame than shrinking it to a strip
      if (r.width > 0 && r.right - c.left < c.width / 2) ins.left = Math.min(r.right - c.left + 10, c.width / 3);
    }
    return ins;
  }

  // fitBounds shows the box from (lat0, lon0) to (lat1, lon1) in the free
  // part of the canvas, at most at maxZoom: a view the officer (or another
  // module, such as the incident replay) chose, which the channel's home
  // view no longer replaces as the picture loads.
  fitBounds(lat0, lon0, lat1, lon1, maxZoom = MAX_ZOOM) {
    this.moved();
    this.fit(lat0, lon0, lat1, lon1, maxZoom);
  }

  fit(lat0, lon0, lat1, lon1, maxZoom = MAX_ZOOM) {
    const [x0, y1] = project(lat0, lon0), [x1, y0] = project(lat1, lon1);
    const w = this.canvas.clientWidth || 800, h = this.canvas.clientHeight || 600;
    const ins = this.freeInsets();
    const fw = Math.max(100, w - ins.left - ins.right), fh = Math.max(100, h - ins.top - ins.bottom);
    const z = Math.log2(Math.min(fw / (Math.max(x1 - x0, 1e-9) * TILE), fh / (Math.max(y1 - y0, 1e-9) * TILE)));
    this.zoom = Math.max(MIN_ZOOM, Math.min(maxZoom, MAX_ZOOM, z));
    const s = this.scale;
    // the box's centre at the free area's centre
    const cx = ins.left + fw / 2, cy = ins.top + fh / 2;
    this.center = [(x0 + x1) / 2 - (cx - w / 2) / s, (y0 + y1) / 2 - (cy - h / 2) / s];
    this.viewChanged();
  }

  // fitPoints fits [lat, lon] points with a margin (a fraction of their
  // span, at least minSpanDeg in all) at most at maxZoom.
  fitPoints(pts, { margin = 0.15, minSpanDeg = 0.05, maxZoom = 12 } = {}) {
    if (!pts.length) return false;
    const lats = pts.map((q) => q[0]), lons = pts.map((q) => q[1]);
    let [la0, la1, lo0, lo1] = [Math.min(...lats), Math.max(...lats), Math.min(...lons), Math.max(...lons)];
    const padLat = Math.max((la1 - la0) * margin, (minSpanDeg - (la1 - la0)) / 2, 0);
    const cos = Math.max(0.2, Math.cos(rad((la0 + la1) / 2)));
    const padLon = Math.max((lo1 - lo0) * margin, (minSpanDeg / cos - (lo1 - lo0)) / 2, 0);
    this.fit(la0 - padLat, lo0 - padLon, la1 + padLat, lo1 + padLon, maxZoom);
    return true;
  }

  get scale() { return TILE * Math.pow(2, this.zoom); }

  // viewChanged forgets the hovered track: it is no longer under the pointer.
  viewChanged() {
    this.hover = null;
    if (this.tooltip) this.tooltip.hidden = true;
    this.draw();
  }

  // moved is a view change the officer made: the channel's home no longer
  // follows the picture as it arrives.
  moved() { this.homeAuto = false; }

  toScreen(wx, wy) {
    const s = this.scale;
    return [(wx - this.center[0]) * s + this.canvas.clientWidth / 2, (wy - this.center[1]) * s + this.canvas.clientHeight / 2];
  }

  latLonToScreen(lat, lon) { return this.toScreen(...project(lat, lon)); }

  screenToWorld(px, py) {
    const s = this.scale;
    return [(px - this.canvas.clientWidth / 2) / s + this.center[0], (py - this.canvas.clientHeight / 2) / s + this.center[1]];
  }

  screenToLatLon(px, py) { return unproject(...this.screenToWorld(px, py)); }

  panBy(dx, dy) {
    const s = this.scale;
    this.center = [this.center[0] - dx / s, Math.max(0, Math.min(1, this.center[1] - dy / s))];
    this.moved();
    this.viewChanged();
  }

  zoomBy(dz, px, py) {
    const w = this.canvas.clientWidth, h = this.canvas.clientHeight;
    if (px == null) { px = w / 2; py = h / 2; }
    const before = this.screenToWorld(px, py);
    this.zoom = Math.max(MIN_ZOOM, Math.min(MAX_ZOOM, this.zoom + dz));
    const after = this.screenToWorld(px, py);
    this.center = [this.center[0] + before[0] - after[0], this.center[1] + before[1] - after[1]];
    this.moved();
    this.viewChanged();
  }

  // zonePoints returns a zone's outline as [lat, lon] points.
  zonePoints(z) {
    if (z.polygon && z.polygon.length) return z.polygon;
    if (z.center && z.radius_m) {
      const pts = [];
      for (let i = 0; i < 64; i++) pts.push(gcDestination(z.center[0], z.center[1], i * 360 / 64, z.radius_m));
      return pts;
    }
    return [];
  }

  // focusEncounter frames an encounter: both tracks, their predicted
  // closest points and, for a zone entry, the zone, with room around so
  // that a zone does not fill the screen.
  focusEncounter(e) {
    const pts = [];
    for (const t of [this.tracks.get(e.a), this.tracks.get(e.b)]) if (t && t.lat != null) pts.push([t.lat, t.lon]);
    const p = e.prediction || {};
    for (const q of [p.pos_a, p.pos_b]) if (q && q.lat != null) pts.push([q.lat, q.lon]);
    const z = e.zone && this.zones.find((zz) => zz.id === e.zone);
    if (z) pts.push(...this.zonePoints(z));
    this.moved();
    // 2 NM at least across, and a margin of half the span on each side:
    // what is framed takes at most half of the free view.
    this.fitPoints(pts, { margin: 0.5, minSpanDeg: 2 / 60, maxZoom: 12 });
  }

  centerOn(lat, lon) {
    this.center = project(lat, lon);
    this.moved();
    this.viewChanged();
  }

  // setChannel shows the home view of a channel ({id, members}): where its
  // parties meet.
  setChannel(ch) {
    if (!ch || (this.channel && this.channel.id === ch.id)) return;
    this.channel = ch;
    this.homeAuto = true;
    this.goHome();
  }

  // homePoints returns the points that make a channel's home view: the
  // zones agreed on the channel (its binding zone measures), the open
  // encounters between its members, and the members' assets within
  // 100 NM of another member's asset. Without any of those: the members'
  // assets, then every track.
  homePoints(ch) {
    const members = new Set(ch ? ch.members || [] : []);
    const pts = [];
    if (ch) {
      for (const z of this.zones) if (String(z.id).startsWith(`measure:${ch.id}:`)) pts.push(...this.zonePoints(z));
      for (const e of this.openEncounters()) {
        if (!members.has(e.party_a) || !members.has(e.party_b)) continue;
        for (const t of [this.tracks.get(e.a), this.tracks.get(e.b)]) if (t && t.lat != null) pts.push([t.lat, t.lon]);
      }
    }
    const assets = [...this.tracks.values()].filter((t) => t.asset && members.has(t.party) && t.lat != null && t.lon != null);
    if (assets.length <= 3000) {
      for (const t of assets) {
        if (assets.some((u) => u.party !== t.party && Math.abs(u.lat - t.lat) < 2 && haversine(t.lat, t.lon, u.lat, u.lon) < MEET_M)) pts.push([t.lat, t.lon]);
      }
    }
    if (!pts.length) for (const t of assets) pts.push([t.lat, t.lon]);
    return pts;
  }

  // goHome shows the selected channel's home view (see homePoints), or the
  // Baltic when its picture is empty.
  goHome() {
    const pts = this.homePoints(this.channel);
    if (!pts.length) {
      for (const t of this.tracks.values()) if (t.lat != null && t.lon != null) pts.push([t.lat, t.lon]);
    }
    if (!this.fitPoints(pts, { margin: 0.1, minSpanDeg: 4, maxZoom: 10 })) this.fit(...HOME_DEFAULT);
  }

  // refitHome follows the picture's arrival with the home view until the
  // officer moves the map.
  refitHome() { if (this.homeAuto) this.goHome(); }

  bind() {
    const c = this.canvas;
    let drag = null;
    const at = (e) => { const r = c.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; };
    c.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      const [px, py] = at(e);
      drag = { x: e.clientX, y: e.clientY, x0: e.clientX, y0: e.clientY, moved: false };
      try { c.setPointerCapture(e.pointerId); } catch (_) { /* a synthetic pointer */ }
      if (this.measuring) {
        // start a measurement, unless one waits for its second click
        if (!this.measure || this.measure.done) this.measure = { a: this.screenToLatLon(px, py), b: this.screenToLatLon(px, py), done: false, pressed: true };
        else this.measure.pressed = true;
        this.updateMeasure();
        return;
      }
      c.classList.add("dragging");
    });
    c.addEventListener("pointermove", (e) => {
      const [px, py] = at(e);
      if (this.measuring && this.measure && !this.measure.done) {
        this.measure.b = this.screenToLatLon(px, py);
        if (drag && Math.hypot(e.clientX - drag.x0, e.clientY - drag.y0) > 4) drag.moved = true;
        this.updateMeasure();
        return;
      }
      if (drag) {
        if (Math.hypot(e.clientX - drag.x0, e.clientY - drag.y0) > 4) drag.moved = true;
        if (drag.moved) {
          this.panBy(e.clientX - drag.x, e.clientY - drag.y);
          drag.x = e.clientX; drag.y = e.clientY;
        }
        return;
      }
      this.hoverAt(px, py);
    });
    c.addEventListener("pointerup", (e) => {
      const d = drag;
      drag = null;
      c.classList.remove("dragging");
      if (!d) return;
      const [px, py] = at(e);
      if (this.measuring && this.measure) {
        e.stopImmediatePropagation(); // a measuring click selects nothing (target.js listens after)
        const m = this.measure;
        m.b = this.screenToLatLon(px, py);
        // a drag ends the measurement; a click ends it when it is the second
        if (d.moved || (m.pressed && m.clicked)) m.done = true;
        else m.clicked = true;
        m.pressed = false;
        this.updateMeasure();
        return;
      }
      if (!d.moved) this.clickAt(px, py);
    });
    c.addEventListener("pointercancel", () => { drag = null; c.classList.remove("dragging"); });
    c.addEventListener("pointerleave", () => { this.hover = null; if (this.tooltip) this.tooltip.hidden = true; this.draw(); });
    c.addEventListener("wheel", (e) => {
      e.preventDefault();
      const [px, py] = at(e);
      this.zoomBy(e.deltaY < 0 ? 0.5 : -0.5, px, py);
    }, { passive: false });
    c.addEventListener("keydown", (e) => {
      const step = 80;
      const keys = {
        ArrowLeft: () => this.panBy(step, 0), ArrowRight: () => this.panBy(-step, 0),
        ArrowUp: () => this.panBy(0, step), ArrowDown: () => this.panBy(0, -step),
        "+": () => this.zoomBy(0.5), "=": () => this.zoomBy(0.5), "-": () => this.zoomBy(-0.5),
        Escape: () => { if (this.measuring) this.setMeasuring(false); else this.select(null); },
      };
      if (keys[e.key]) { e.preventDefault(); keys[e.key](); }
    });
  }

  // clickAt selects the track under the pointer, or, with range rings on
  // and no track there, centres the rings on the point.
  clickAt(px, py) {
    const t = this.trackAt(px, py);
    if (t) { this.select(t.id); return; }
    if (this.rings) { this.ringsAt = this.screenToLatLon(px, py); this.select(null); return; }
    if (this.selected) this.select(null);
  }

  // updateMeasure shows the measurement's true bearing and range.
  updateMeasure() {
    const m = this.measure;
    if (!m) { this.readout.hidden = true; return; }
    const [la1, lo1] = m.a, [la2, lo2] = m.b;
    const d = haversine(la1, lo1, la2, lo2), b = bearing(la1, lo1, la2, lo2);
    m.range = d; m.bearing = b;
    this.readout.hidden = false;
    this.readout.dataset.bearing = b.toFixed(2);
    this.readout.dataset.rangeNm = (d / M_PER_NM).toFixed(4);
    this.readout.textContent = `${String(Math.round(b) % 360).padStart(3, "0")}° T · ${fmtNM(d)} (${(d / 1000).toFixed(d < 10000 ? 2 : 1)} km)${m.done ? "" : " …"}`;
    this.draw();
  }

  trackAt(px, py) {
    let best = null, bestD = 12;
    for (const t of this.tracks.values()) {
      if (t.lat == null || t.lon == null) continue;
      const [x, y] = this.latLonToScreen(t.lat, t.lon);
      const d = Math.hypot(x - px, y - py);
      if (d < bestD) { best = t; bestD = d; }
    }
    return best;
  }

  hoverAt(px, py) {
    const best = this.trackAt(px, py);
    if (best !== this.hover) { this.hover = best; this.draw(); }
    const tip = this.tooltip;
    if (!tip) return;
    if (!best) { tip.hidden = true; return; }
    tip.hidden = false;
    tip.replaceChildren();
    const fl = best.domain === "air" ? flightLevel(best.alt_m) : "";
    const lines = [
      [best.callsign || best.name || best.id, "strong"],
      [`${best.asset ? `${best.party} asset` : best.party ? `civilian (flag: ${best.party})` : "civilian, unattributed"} · ${best.domain} · ${best.id}`],
      [`${best.speed_ms == null ? "?" : Math.round(best.speed_ms * 1.94384)} kn · ${best.course_deg == null ? "?" : String(Math.round(best.course_deg)).padStart(3, "0")}°` +
        (fl ? ` · ${fl} (${Math.round(best.alt_m / M_PER_FT).toLocaleString("en")} ft)` : "")],
    ];
    if (best.name && best.callsign) lines.push([best.name]);
    if (this.isStale(best)) lines.push(["stale: no recent report", "stale"]);
    for (const [text, cls] of lines) {
      const d = document.createElement("div");
      d.textContent = text;
      if (cls) d.className = cls;
      tip.append(d);
    }
    tip.style.left = `${Math.min(px + 14, this.canvas.clientWidth - tip.offsetWidth - 4)}px`;
    tip.style.top = `${Math.min(py + 14, this.canvas.clientHeight - tip.offsetHeight - 4)}px`;
  }

  isStale(t) {
    if (t.stale) return true;
    const age = (Date.now() - Date.parse(t.time)) / 1000;
    return age > (STALE_S[t.domain] || 60);
  }

  setTracks(list) { this.tracks = new Map(list.map((t) => [t.id, t])); this.refitHome(); this.changed(); }
  upsertTrack(t) { this.tracks.set(t.id, t); this.changed(); }
  removeTrack(id) { this.tracks.delete(id); if (this.selected === id) this.select(null); this.changed(); }
  setEncounters(list) { this.encounters = new Map(list.map((e) => [String(e.id), e])); this.refitHome(); this.changed(); }
  // upsertEncounter applies an encounter event (opened, escalated,
  // updated, closed) of the picture stream.
  upsertEncounter(e, event) {
    if (event === "closed" || isClosed(e)) this.encounters.delete(String(e.id));
    else this.encounters.set(String(e.id), e);
    this.changed();
  }
  setZones(list) { this.zoneSeq = (this.zoneSeq || 0) + 1; this.zones = list || []; this.refitHome(); this.changed(); }
  // reloadZones reads the zones again (GET /v1/zones): on the picture
  // stream's zone events (a zone measure binding or lapsing, a launch or
  // INCSEA notice's zone: app.js) and on a measure signed or withdrawn.
  // Calls while a read is under way make one more read after it; an
  // answer that comes after the zones were set otherwise is dropped.
  async reloadZones() {
    if (this.zoneRead) { this.zoneAgain = true; return this.zoneRead; }
    this.zoneRead = (async () => {
      do {
        this.zoneAgain = false;
        const seq = this.zoneSeq;
        let zs;
        try { zs = await api.zones(); } catch (_) { break; }
        if (seq === this.zoneSeq) this.setZones(zs);
      } while (this.zoneAgain);
      this.zoneReads = (this.zoneReads || 0) + 1; // for tests
    })();
    try { await this.zoneRead; } finally { this.zoneRead = null; }
  }
  // trackLabel names a track by callsign or name when the picture has it.
  trackLabel(id) {
    const t = this.tracks.get(id);
    return (t && (t.callsign || t.name)) || id;
  }
  openEncounters() {
    return [...this.encounters.values()].filter((e) => !isClosed(e));
  }
  changed() { this.draw(); this.onChange(); }

  // draw schedules one render at the next animation frame.
  draw() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => { this.pending = false; this.render(); });
  }

  render() {
    const c = this.canvas, ctx = this.ctx;
    const dpr = window.devicePixelRatio || 1;
    const w = c.clientWidth, h = c.clientHeight;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
      c.width = Math.round(w * dpr); c.height = Math.round(h * dpr);
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = this.colors.sea;
    ctx.fillRect(0, 0, w, h);
    this.labels = [];
    this.markers = [];
    if (this.pickBase) this.base = this.pickBase(this) || this.base;
    this.renderBase(w, h);
    this.renderGraticule(w, h);
    this.renderZones(w, h);
    for (const l of this.layers) l.render(this, ctx, w, h);
    this.renderRings(w, h);
    this.renderEncounters(w, h);
    this.renderTracks(w, h);
    this.renderMeasure();
    this.renderLabels(w, h);
    this.renderScaleBar(w, h);
  }

  visible(box, w, h) {
    const [x0, y0] = this.toScreen(box[0], box[1]), [x1, y1] = this.toScreen(box[2], box[3]);
    return x1 >= 0 && x0 <= w && y1 >= 0 && y0 <= h;
  }

  renderBase(w, h) {
    if (!this.base) return;
    const ctx = this.ctx, s = this.scale, cx = this.center[0], cy = this.center[1], hw = w / 2, hh = h / 2;
    ctx.beginPath();
    for (const p of this.base.polygons) {
      if (!this.visible(p.box, w, h)) continue;
      for (const r of p.rings) {
        for (let i = 0; i < r.length; i += 2) {
          const x = (r[i] - cx) * s + hw, y = (r[i + 1] - cy) * s + hh;
          if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
        }
        ctx.closePath();
      }
    }
    ctx.fillStyle = this.colors.land;
    ctx.fill("evenodd");
    const strokeArcs = (shared, style, width, dash) => {
      ctx.beginPath();
      for (const a of this.base.arcs) {
        if ((a.uses > 1) !== shared || !this.visible(a.box, w, h)) continue;
        for (let i = 0; i < a.pts.length; i += 2) {
          const x = (a.pts[i] - cx) * s + hw, y = (a.pts[i + 1] - cy) * s + hh;
          if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
        }
      }
      ctx.strokeStyle = style; ctx.lineWidth = width; ctx.setLineDash(dash);
      ctx.stroke();
      ctx.setLineDash([]);
    };
    strokeArcs(false, this.colors.coast, 1, []);
    strokeArcs(true, this.colors.border, 1, [4, 3]);
  }

  renderGraticule(w, h) {
    const ctx = this.ctx;
    const [latTop, lonLeft] = unproject(...this.screenToWorld(0, 0));
    const [latBottom, lonRight] = unproject(...this.screenToWorld(w, h));
    const span = lonRight - lonLeft;
    const step = span > 60 ? 10 : span > 20 ? 5 : span > 6 ? 1 : span > 2 ? 0.5 : span > 0.6 ? 10 / 60 : span > 0.2 ? 5 / 60 : 1 / 60;
    const fmt = (v, pos, neg) => {
      const a = Math.abs(v), d = Math.floor(a + 1e-9), m = Math.round((a - d) * 60);
      return `${d}°${m ? String(m).padStart(2, "0") + "′" : ""}${v >= 0 ? pos : neg}`;
    };
    ctx.strokeStyle = this.colors.grid;
    ctx.lineWidth = 1;
    ctx.fillStyle = this.colors.gridText;
    ctx.font = "10px system-ui, sans-serif";
    ctx.beginPath();
    for (let lon = Math.ceil(lonLeft / step) * step; lon <= lonRight; lon += step) {
      const [x] = this.latLonToScreen(0, lon);
      ctx.moveTo(x, 0); ctx.lineTo(x, h);
      if (x > 30 && x < w - 60) ctx.fillText(fmt(lon, "E", "W"), x + 2, 12);
    }
    for (let lat = Math.ceil(latBottom / step) * step; lat <= latTop; lat += step) {
      const [, y] = this.latLonToScreen(lat, 0);
      ctx.moveTo(0, y); ctx.lineTo(w, y);
      if (y > 24 && y < h - 30) ctx.fillText(fmt(lat, "N", "S"), w - 46 - 48, y - 2);
    }
    ctx.stroke();
  }

  // label adds a label request: kind ("encounter", "zone", "track"), key,
  // priority, anchor, colour and lines ([text, bold]).
  label(kind, key, prio, ax, ay, color, lines) {
    const ctx = this.ctx;
    let tw = 0;
    for (const [text, bold] of lines) {
      ctx.font = labelFont(kind, bold);
      tw = Math.max(tw, ctx.measureText(text).width);
    }
    const lh = LABEL_LINE[kind];
    this.labels.push({ kind, key, prio, ax, ay, color, lines, w: Math.ceil(tw) + 2 * LABEL_PAD_X + 2 * LABEL_BORDER + 2, h: lines.length * lh + 2 * LABEL_PAD_Y + 2 * LABEL_BORDER });
  }

  // renderZones draws the zones, but those a layer draws itself (the
  // notified areas that are zones: notified.js) so that none is drawn
  // twice; drawnZones keeps the ids drawn (for tests).
  renderZones(w, h) {
    const ctx = this.ctx, now = Date.now();
    this.drawnZones = [];
    for (const z of this.zones) {
      if (this.layers.some((l) => l.coversZone?.(z))) continue;
      const pts = this.zonePoints(z);
      if (!pts.length) continue;
      this.drawnZones.push(z.id);
      const from = Date.parse(z.from), until = Date.parse(z.until);
      const unbounded = (t) => isNaN(t) || new Date(t).getUTCFullYear() < 1971;
      const active = (unbounded(from) || now >= from) && (unbounded(until) || now <= until);
      const color = zoneColor(z.kind);
      ctx.beginPath();
      const screen = pts.map(([lat, lon]) => this.latLonToScreen(lat, lon));
      screen.forEach(([x, y], i) => { if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y); });
      ctx.closePath();
      ctx.globalAlpha = active ? 0.18 : 0.07;
      ctx.fillStyle = color;
      ctx.fill();
      ctx.globalAlpha = active ? 0.9 : 0.45;
      ctx.strokeStyle = color; ctx.lineWidth = 1.5; ctx.setLineDash([6, 4]);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.globalAlpha = 1;
      // the label's anchor: the northernmost point on screen, else the
      // centre of what is on screen
      const on = screen.filter(([x, y]) => x >= 0 && x <= w && y >= 0 && y <= h);
      let anchor = null;
      if (on.length) anchor = on.reduce((a, b) => (b[1] < a[1] ? b : a));
      else {
        const xs = screen.map((p) => p[0]), ys = screen.map((p) => p[1]);
        const bx = [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
        if (bx[2] < 0 || bx[0] > w || bx[3] < 0 || bx[1] > h) continue;
        anchor = [Math.max(20, Math.min(w - 20, (bx[0] + bx[2]) / 2)), Math.max(20, Math.min(h - 20, (bx[1] + bx[3]) / 2))];
      }
      const name = `${z.name || z.id}${z.owner ? " (" + z.owner + ")" : ""}`;
      this.label("zone", `zone:${z.id}`, active ? 500 : 400, anchor[0], anchor[1], color,
        [[name, true], [`${fmtWindow(z.from, z.until)}${active ? "" : " · not active now"}`, false]]);
    }
  }

  // renderRings draws range rings around the selected track, or the
  // clicked point, every "nice" number of NM, labelled.
  renderRings(w, h) {
    if (!this.rings) return;
    const t = this.selected && this.tracks.get(this.selected);
    const c = t && t.lat != null ? [t.lat, t.lon] : this.ringsAt;
    if (!c) return;
    const ctx = this.ctx;
    const mpp = this.metresPerPixel(c[0]);
    const step = niceStep(Math.max(w, h) / 8 * mpp / M_PER_NM) * M_PER_NM;
    ctx.strokeStyle = this.colors.ring; ctx.lineWidth = 1; ctx.setLineDash([2, 3]);
    ctx.fillStyle = this.colors.ring; ctx.font = "600 10px system-ui, sans-serif";
    for (let i = 1; i <= 5; i++) {
      ctx.beginPath();
      for (let k = 0; k <= 72; k++) {
        const [la, lo] = gcDestination(c[0], c[1], k * 5, i * step);
        const [x, y] = this.latLonToScreen(la, lo);
        if (k === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
      }
      ctx.stroke();
      const [lx, ly] = this.latLonToScreen(...gcDestination(c[0], c[1], 0, i * step));
      ctx.fillText(fmtNM(i * step), lx + 3, ly + 11);
    }
    ctx.setLineDash([]);
    const [x, y] = this.latLonToScreen(c[0], c[1]);
    ctx.beginPath(); ctx.moveTo(x - 5, y); ctx.lineTo(x + 5, y); ctx.moveTo(x, y - 5); ctx.lineTo(x, y + 5); ctx.stroke();
    this.ringStep = step;
  }

  renderMeasure() {
    const m = this.measure;
    if (!m) return;
    const ctx = this.ctx;
    const [x0, y0] = this.latLonToScreen(...m.a), [x1, y1] = this.latLonToScreen(...m.b);
    ctx.beginPath();
    // the great circle, in steps, dashed over a halo
    const n = 24;
    for (let i = 0; i <= n; i++) {
      const [la, lo] = m.range > 0 ? gcDestination(m.a[0], m.a[1], m.bearing, m.range * i / n) : m.a;
      const [x, y] = this.latLonToScreen(la, lo);
      if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    }
    ctx.strokeStyle = this.colors.halo; ctx.lineWidth = 5; ctx.stroke();
    ctx.strokeStyle = this.colors.measure; ctx.lineWidth = 2; ctx.setLineDash([8, 4]);
    ctx.stroke(); ctx.setLineDash([]);
    for (const [x, y] of [[x0, y0], [x1, y1]]) { ctx.beginPath(); ctx.arc(x, y, 4, 0, 2 * Math.PI); ctx.stroke(); }
    // the readout sits by the end point, inside the canvas
    const r = this.readout;
    if (r && !r.hidden) {
      const w = this.canvas.clientWidth, h = this.canvas.clientHeight;
      r.style.left = `${Math.max(4, Math.min(w - r.offsetWidth - 4, x1 + 12))}px`;
      r.style.top = `${Math.max(4, Math.min(h - r.offsetHeight - 4, y1 + 12))}px`;
    }
  }

  renderEncounters() {
    const ctx = this.ctx, now = Date.now();
    const list = this.openEncounters().sort((a, b) => (SEVERITY_RANK[a.severity] || 0) - (SEVERITY_RANK[b.severity] || 0));
    // the geometry, the most severe drawn last (on top)
    for (const e of list) {
      const p = e.prediction || {};
      const color = severityColor(e.severity);
      const ta = this.tracks.get(e.a), tb = this.tracks.get(e.b);
      ctx.strokeStyle = color; ctx.lineWidth = 2.5;
      ctx.setLineDash([7, 5]);
      for (const [t, pos] of [[ta, p.pos_a], [tb, p.pos_b]]) {
        if (!t || t.lat == null || !pos || pos.lat == null) continue;
        const [x0, y0] = this.latLonToScreen(t.lat, t.lon), [x1, y1] = this.latLonToScreen(pos.lat, pos.lon);
        ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(x1, y1); ctx.stroke();
      }
      ctx.setLineDash([]);
      let ax, ay, bx, by;
      if (p.pos_a && p.pos_a.lat != null) {
        [ax, ay] = this.latLonToScreen(p.pos_a.lat, p.pos_a.lon);
        [bx, by] = p.pos_b && p.pos_b.lat != null ? this.latLonToScreen(p.pos_b.lat, p.pos_b.lon) : [ax, ay];
      } else if (ta && ta.lat != null) {
        [ax, ay] = this.latLonToScreen(ta.lat, ta.lon); [bx, by] = [ax, ay];
      } else continue;
      ctx.lineWidth = 3;
      ctx.beginPath(); ctx.moveTo(ax, ay); ctx.lineTo(bx, by); ctx.stroke();
      const mx = (ax + bx) / 2, my = (ay + by) / 2;
      ctx.beginPath(); ctx.arc(mx, my, 9, 0, 2 * Math.PI);
      ctx.lineWidth = 3; ctx.stroke();
      ctx.beginPath();
      ctx.moveTo(mx - 5, my - 5); ctx.lineTo(mx + 5, my + 5); ctx.moveTo(mx + 5, my - 5); ctx.lineTo(mx - 5, my + 5);
      ctx.lineWidth = 2; ctx.stroke();
      this.markers.push([mx, my, 10]);
      const cpaAt = cpaTime(e);
      const when = e.kind === "shadowing" ? "shadowing" : cpaAt == null ? "" : cpaAt > now ? fmtIn(cpaAt - now) : "now";
      const first = e.zone && !e.b
        ? `${(e.severity || "").toUpperCase()}  ${p.severity === "intrusion" || e.severity === "intrusion" ? "in" : "entering"} ${this.zoneName(e.zone)}`
        : `${(e.severity || "").toUpperCase()}  CPA ${fmtCPAShort(p)}`;
      const second = `${this.trackLabel(e.a)}${e.b ? " ↔ " + this.trackLabel(e.b) : ""}${when ? " · " + when : ""}`;
      this.label("encounter", `enc:${e.id}`, 1000 + 100 * (SEVERITY_RANK[e.severity] || 0) - Math.min(99, Math.max(0, ((cpaAt || now) - now) / 60000)),
        mx, my, color, [[first, true], [second, false]]);
    }
  }

  zoneName(id) {
    const z = this.zones.find((zz) => zz.id === id);
    return (z && z.name) || id;
  }

  renderTracks(w, h) {
    const ctx = this.ctx;
    const inEncounter = new Set();
    for (const e of this.openEncounters()) { inEncounter.add(e.a); inEncounter.add(e.b); }
    const col = this.colors;
    for (const t of this.tracks.values()) {
      if (t.lat == null || t.lon == null) continue;
      const [x, y] = this.latLonToScreen(t.lat, t.lon);
      if (x < -50 || y < -50 || x > w + 50 || y > h + 50) continue;
      const stale = this.isStale(t);
      const color = partyColor(t.party);
      const civil = !t.asset;
      ctx.globalAlpha = stale ? 0.35 : civil ? 0.8 : 1;
      // speed leader
      if (t.speed_ms > 0.5 && t.course_deg != null) {
        const [la, lo] = destination(t.lat, t.lon, t.course_deg, t.speed_ms * (LEADER_S[t.domain] || 60));
        const [lx, ly] = this.latLonToScreen(la, lo);
        ctx.strokeStyle = color; ctx.lineWidth = civil ? 1 : 1.5;
        ctx.beginPath(); ctx.moveTo(x, y); ctx.lineTo(lx, ly); ctx.stroke();
      }
      ctx.save();
      ctx.translate(x, y);
      ctx.rotate((t.course_deg || 0) * Math.PI / 180);
      if (civil) ctx.scale(0.75, 0.75); // civilian traffic: smaller
      ctx.beginPath();
      if (t.domain === "air") {
        ctx.moveTo(0, -8); ctx.lineTo(6, 6); ctx.lineTo(0, 3); ctx.lineTo(-6, 6); ctx.closePath();
      } else {
        ctx.moveTo(0, -8); ctx.lineTo(5, 0); ctx.lineTo(4, 6); ctx.lineTo(-4, 6); ctx.lineTo(-5, 0); ctx.closePath();
      }
      if (!civil) {
        // A state asset: filled in its party's colour.
        ctx.fillStyle = color; ctx.fill();
        ctx.strokeStyle = col.halo; ctx.lineWidth = 1.2; ctx.stroke();
      } else {
        // Civilian traffic: hollow, outlined in its affiliation's colour.
        ctx.fillStyle = col.civil; ctx.fill();
        ctx.strokeStyle = color; ctx.lineWidth = 1.8; ctx.stroke();
      }
      ctx.restore();
      this.markers.push([x, y, 7]);
      if (t === this.hover || t.id === this.selected) {
        ctx.beginPath(); ctx.arc(x, y, 12, 0, 2 * Math.PI);
        ctx.strokeStyle = col.ink; ctx.lineWidth = t.id === this.selected ? 2 : 1; ctx.stroke();
      }
      ctx.globalAlpha = 1;
      // labels: the selected track, tracks in encounters, assets from
      // zoom 7, civilian traffic from zoom 9
      const sel = t.id === this.selected, enc = inEncounter.has(t.id);
      if (!(sel || enc || (!civil && this.zoom >= 7) || this.zoom >= 9)) continue;
      if (x < 0 || y < 0 || x > w || y > h) continue;
      const lines = [[t.callsign || t.name || t.id, true]];
      const kn = t.speed_ms == null ? "" : `${Math.round(t.speed_ms * 1.94384)} kn`;
      if (t.domain === "air") lines.push([[flightLevel(t.alt_m), kn].filter(Boolean).join(" "), false]);
      else if (sel || enc) lines.push([kn, false]);
      this.label("track", `track:${t.id}`, sel ? 950 : enc ? 300 : civil ? 100 : 200, x, y, civil ? unattributedColor : color,
        lines.filter((l) => l[0]));
    }
  }

  // obstacles returns the boxes floating over the canvas (encounter list,
  // buttons, legend, scale bar, readout), in canvas pixels.
  obstacles() {
    const c = this.canvas.getBoundingClientRect();
    const out = [];
    for (const n of this.pane.children) {
      if (n === this.canvas || n === this.labelLayer || n === this.tooltip || n.hidden) continue;
      const r = n.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      out.push([r.left - c.left, r.top - c.top, r.right - c.left, r.bottom - c.top]);
    }
    return out;
  }

  // renderLabels places the frame's labels (placeLabels), draws the leader
  // lines of those set off from their markers and shows the labels as
  // elements of the label layer, reusing them from frame to frame.
  renderLabels(w, h) {
    const ctx = this.ctx;
    const m = 3;
    placeLabels(this.labels, [m, m, w - m, h - m], this.obstacles(), this.markers, this.labelPrev);
    this.labelPrev = new Map(this.labels.filter((l) => !l.hidden).map((l) => [l.key, l.cand]));
    for (const l of this.labels) {
      if (l.hidden || !l.leader) continue;
      const [px, py] = nearestOnBox(l.box, l.ax, l.ay);
      ctx.strokeStyle = l.color; ctx.lineWidth = 1.5;
      ctx.beginPath(); ctx.moveTo(l.ax, l.ay); ctx.lineTo(px, py); ctx.stroke();
      ctx.beginPath(); ctx.arc(l.ax, l.ay, 2.5, 0, 2 * Math.PI); ctx.fillStyle = l.color; ctx.fill();
    }
    const layer = this.labelLayer;
    const old = new Map([...layer.children].map((n) => [n.dataset.key, n]));
    let hidden = 0;
    for (const l of this.labels) {
      if (l.hidden) { hidden++; continue; }
      let n = old.get(l.key);
      if (n) old.delete(l.key);
      else {
        n = document.createElement("div");
        n.dataset.key = l.key;
        layer.append(n);
      }
      n.className = `map-label map-label-${l.kind}${l.leader ? " led" : ""}`;
      n.dataset.kind = l.kind;
      n.dataset.prio = String(Math.round(l.prio));
      const s = n.style;
      s.left = `${l.box[0]}px`; s.top = `${l.box[1]}px`; s.width = `${l.w}px`; s.height = `${l.h}px`;
      s.borderColor = l.color;
      const text = l.lines.map((x) => x[0]).join("\n");
      if (n.dataset.text !== text) {
        n.dataset.text = text;
        n.replaceChildren(...l.lines.map(([t, bold]) => { const d = document.createElement("div"); d.textContent = t; if (bold) d.className = "b"; return d; }));
      }
    }
    for (const n of old.values()) n.remove();
    layer.dataset.hidden = String(hidden);
    layer.dataset.placed = String(this.labels.length - hidden);
  }

  // metresPerPixel is the ground distance of one CSS pixel east-west at
  // latitude lat (Web Mercator on the sphere).
  metresPerPixel(lat) {
    return 2 * Math.PI * EARTH_R * Math.cos(rad(lat)) / this.scale;
  }

  // renderScaleBar sizes the scale bar's NM and km rows for the latitude of
  // the canvas's centre: a round distance no longer than 120 pixels.
  renderScaleBar(w, h) {
    const [lat] = this.screenToLatLon(w / 2, h / 2);
    const mpp = this.metresPerPixel(lat);
    const rows = [[".sb-nm", M_PER_NM, "NM"], [".sb-km", 1000, "km"]];
    for (const [sel, unit, name] of rows) {
      const v = niceStep(120 * mpp / unit);
      const px = v * unit / mpp;
      const row = this.scaleBar.querySelector(sel);
      row.querySelector(".sb-bar").style.width = `${px.toFixed(1)}px`;
      row.querySelector(".sb-label").textContent = `${+v.toPrecision(3)} ${name}`;
      row.dataset.px = px.toFixed(2);
      row.dataset.value = String(v);
    }
    this.scaleBar.dataset.lat = lat.toFixed(3);
  }
}

const LABEL_LINE = { encounter: 14, zone: 13, track: 12 };
const LABEL_PAD_X = 4, LABEL_PAD_Y = 1, LABEL_BORDER = 1.5;
const LABEL_FAMILY = "system-ui, sans-serif";
function labelFont(kind, bold) {
  const size = kind === "encounter" ? 11 : kind === "zone" ? 10.5 : 10;
  return `${bold ? 700 : 400} ${size}px ${LABEL_FAMILY}`;
}

// fmtCPAShort gives the closest point for a label: "0.05 NM / 100 ft".
function fmtCPAShort(p) {
  const hm = p.cpa_m ?? p.distance_m;
  let s = hm == null ? "?" : `${(hm / M_PER_NM).toFixed(hm < M_PER_NM ? 2 : 1)} NM`;
  const v = p.cpa_vertical_m ?? p.vertical_m;
  if (v != null && Math.abs(v) > 0) s += ` / ${(Math.round(Math.abs(v) / M_PER_FT / 10) * 10).toLocaleString("en")} ft`;
  return s;
}

export function isClosed(e) {
  return !!e.reason || (e.closed && !String(e.closed).startsWith("0001-"));
}

// cpaTime returns the time (ms since epoch) of an encounter's predicted
// closest point, or null.
export function cpaTime(e) {
  const p = e.prediction;
  if (!p || p.time == null || p.tcpa_s == null) return null;
  const t = Date.parse(p.time);
  return isNaN(t) ? null : t + p.tcpa_s * 1000;
}

export function fmtCPA(p) {
  if (!p) return "";
  const h = p.cpa_m ?? p.distance_m;
  const nm = (m) => (m / M_PER_NM).toFixed(m < M_PER_NM ? 2 : 1);
  let s = h == null ? "?" : `${nm(h)} NM (${Math.round(h).toLocaleString("en")} m)`;
  const v = p.cpa_vertical_m ?? p.vertical_m;
  if (v != null && Math.abs(v) > 0) s += ` / ${(Math.round(Math.abs(v) / M_PER_FT / 10) * 10).toLocaleString("en")} ft (${Math.round(Math.abs(v))} m)`;
  return s;
}

// fmtIn says how far ahead a time is, as an officer reads it: "in 45 s",
// "in 3 min 20 s", "in 25 min", "in 2 h 05 min", "in 1 d 23 h".
export function fmtIn(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `in ${s} s`;
  if (s < 600) return `in ${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ""}`;
  if (s < 3600) return `in ${Math.round(s / 60)} min`;
  return `in ${fmtDuration(s * 1000)}`;
}

// fmtUTC gives a time of day in UTC, "10:14:00 UTC".
export function fmtUTC(t) { return new Date(t).toISOString().slice(11, 19) + " UTC"; }

function zoneColor(kind) {
  return {
    "exercise-area": "#6a1b9a",
    "missile-hazard-area": "#c62828",
    "special-caution-area": "#ef6c00",
    "deconfliction-zone": "#00796b",
  }[kind] || "#5d4037";
}
