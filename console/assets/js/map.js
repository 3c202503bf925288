// map.js: the live picture on a canvas. An offline Natural Earth basemap
// (TopoJSON, decoded here), Web Mercator, pan and zoom; tracks coloured
// by party with heading and speed leaders; encounters as the two tracks'
// predicted paths to the closest point; zones with their time windows.

import { partyColor, severityColor, fmtDateTime, fmtDuration, SEVERITY_RANK } from "./api.js";

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

export class MapView {
  constructor(canvas, tooltip) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.tooltip = tooltip;
    this.base = null;
    this.tracks = new Map();     // id -> track
    this.encounters = new Map(); // id -> encounter
    this.zones = [];
    this.center = [0.5, 0.5];
    this.zoom = 5;
    this.hover = null;
    this.pending = false;
    this.onChange = () => {};
    // Hooks for other modules: layers draw over the zones, under the
    // encounters and tracks ({render(view, ctx, w, h)}: trails.js,
    // target.js, the incident replay); pickBase returns the decoded
    // basemap for the view's zoom (basemap.js).
    this.layers = [];
    this.pickBase = null;
    this.fitBounds(53, 9, 61, 31);
    this.bind();
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  async loadBasemap(url) {
    const topo = await (await fetch(url)).json();
    this.base = decodeTopology(topo, "countries");
    this.draw();
  }

  // fitBounds shows the box from (lat0, lon0) to (lat1, lon1).
  fitBounds(lat0, lon0, lat1, lon1) {
    const [x0, y1] = project(lat0, lon0), [x1, y0] = project(lat1, lon1);
    this.center = [(x0 + x1) / 2, (y0 + y1) / 2];
    const w = this.canvas.clientWidth || 800, h = this.canvas.clientHeight || 600;
    const z = Math.log2(Math.min(w / ((x1 - x0) * TILE), h / ((y1 - y0) * TILE)));
    this.zoom = Math.max(MIN_ZOOM, Math.min(MAX_ZOOM, z));
    this.viewChanged();
  }

  get scale() { return TILE * Math.pow(2, this.zoom); }

  // viewChanged forgets the hovered track: it is no longer under the pointer.
  viewChanged() {
    this.hover = null;
    if (this.tooltip) this.tooltip.hidden = true;
    this.draw();
  }

  toScreen(wx, wy) {
    const s = this.scale;
    return [(wx - this.center[0]) * s + this.canvas.clientWidth / 2, (wy - this.center[1]) * s + this.canvas.clientHeight / 2];
  }

  latLonToScreen(lat, lon) { return this.toScreen(...project(lat, lon)); }

  screenToWorld(px, py) {
    const s = this.scale;
    return [(px - this.canvas.clientWidth / 2) / s + this.center[0], (py - this.canvas.clientHeight / 2) / s + this.center[1]];
  }

  panBy(dx, dy) {
    const s = this.scale;
    this.center = [this.center[0] - dx / s, Math.max(0, Math.min(1, this.center[1] - dy / s))];
    this.viewChanged();
  }

  zoomBy(dz, px, py) {
    const w = this.canvas.clientWidth, h = this.canvas.clientHeight;
    if (px == null) { px = w / 2; py = h / 2; }
    const before = this.screenToWorld(px, py);
    this.zoom = Math.max(MIN_ZOOM, Math.min(MAX_ZOOM, this.zoom + dz));
    const after = this.screenToWorld(px, py);
    this.center = [this.center[0] + before[0] - after[0], this.center[1] + before[1] - after[1]];
    this.viewChanged();
  }

  // focusEncounter shows an encounter's two tracks and their predicted
  // closest points.
  focusEncounter(e) {
    const pts = [];
    for (const t of [this.tracks.get(e.a), this.tracks.get(e.b)]) if (t && t.lat != null) pts.push([t.lat, t.lon]);
    const p = e.prediction || {};
    for (const q of [p.pos_a, p.pos_b]) if (q && q.lat != null) pts.push([q.lat, q.lon]);
    if (!pts.length) return;
    const lats = pts.map((q) => q[0]), lons = pts.map((q) => q[1]);
    const pad = 0.02 + 0.6 * Math.max(Math.max(...lats) - Math.min(...lats), Math.max(...lons) - Math.min(...lons));
    this.fitBounds(Math.min(...lats) - pad, Math.min(...lons) - pad, Math.max(...lats) + pad, Math.max(...lons) + pad);
    this.zoom = Math.min(this.zoom, 13);
  }

  centerOn(lat, lon) {
    this.center = project(lat, lon);
    this.viewChanged();
  }

  bind() {
    const c = this.canvas;
    let drag = null;
    c.addEventListener("pointerdown", (e) => {
      drag = { x: e.clientX, y: e.clientY };
      c.setPointerCapture(e.pointerId);
      c.classList.add("dragging");
    });
    c.addEventListener("pointermove", (e) => {
      if (drag) {
        this.panBy(e.clientX - drag.x, e.clientY - drag.y);
        drag = { x: e.clientX, y: e.clientY };
        return;
      }
      const r = c.getBoundingClientRect();
      this.hoverAt(e.clientX - r.left, e.clientY - r.top);
    });
    const end = () => { drag = null; c.classList.remove("dragging"); };
    c.addEventListener("pointerup", end);
    c.addEventListener("pointercancel", end);
    c.addEventListener("pointerleave", () => { this.hover = null; this.tooltip.hidden = true; this.draw(); });
    c.addEventListener("wheel", (e) => {
      e.preventDefault();
      const r = c.getBoundingClientRect();
      this.zoomBy(e.deltaY < 0 ? 0.5 : -0.5, e.clientX - r.left, e.clientY - r.top);
    }, { passive: false });
    c.addEventListener("keydown", (e) => {
      const step = 80;
      const keys = {
        ArrowLeft: () => this.panBy(step, 0), ArrowRight: () => this.panBy(-step, 0),
        ArrowUp: () => this.panBy(0, step), ArrowDown: () => this.panBy(0, -step),
        "+": () => this.zoomBy(0.5), "=": () => this.zoomBy(0.5), "-": () => this.zoomBy(-0.5),
      };
      if (keys[e.key]) { e.preventDefault(); keys[e.key](); }
    });
  }

  hoverAt(px, py) {
    let best = null, bestD = 12;
    for (const t of this.tracks.values()) {
      if (t.lat == null || t.lon == null) continue;
      const [x, y] = this.latLonToScreen(t.lat, t.lon);
      const d = Math.hypot(x - px, y - py);
      if (d < bestD) { best = t; bestD = d; }
    }
    if (best !== this.hover) { this.hover = best; this.draw(); }
    const tip = this.tooltip;
    if (!best) { tip.hidden = true; return; }
    tip.hidden = false;
    tip.replaceChildren();
    const lines = [
      [best.callsign || best.name || best.id, "strong"],
      [`${best.party || "unattributed"} · ${best.domain} · ${best.id}`],
      [`${best.speed_ms == null ? "?" : Math.round(best.speed_ms * 1.94384)} kn · ${best.course_deg == null ? "?" : Math.round(best.course_deg)}°` +
        (best.domain === "air" && best.alt_m != null ? ` · FL${String(Math.round(best.alt_m / M_PER_FT / 100)).padStart(3, "0")}` : "")],
    ];
    if (best.name && best.callsign) lines.push([best.name]);
    if (this.isStale(best)) lines.push(["stale: no recent report", "stale"]);
    for (const [text, cls] of lines) {
      const d = document.createElement("div");
      d.textContent = text;
      if (cls) d.className = cls;
      tip.append(d);
    }
    tip.style.left = `${px + 14}px`;
    tip.style.top = `${py + 14}px`;
  }

  isStale(t) {
    if (t.stale) return true;
    const age = (Date.now() - Date.parse(t.time)) / 1000;
    return age > (STALE_S[t.domain] || 60);
  }

  setTracks(list) { this.tracks = new Map(list.map((t) => [t.id, t])); this.changed(); }
  upsertTrack(t) { this.tracks.set(t.id, t); this.changed(); }
  removeTrack(id) { this.tracks.delete(id); this.changed(); }
  setEncounters(list) { this.encounters = new Map(list.map((e) => [String(e.id), e])); this.changed(); }
  // upsertEncounter applies an encounter event (opened, escalated,
  // updated, closed) of the picture stream.
  upsertEncounter(e, event) {
    if (event === "closed" || isClosed(e)) this.encounters.delete(String(e.id));
    else this.encounters.set(String(e.id), e);
    this.changed();
  }
  setZones(list) { this.zones = list || []; this.changed(); }
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
    ctx.fillStyle = "#c9d8e6";
    ctx.fillRect(0, 0, w, h);
    if (this.pickBase) this.base = this.pickBase(this) || this.base;
    this.renderBase(w, h);
    this.renderGraticule(w, h);
    this.renderZones();
    for (const l of this.layers) l.render(this, ctx, w, h);
    this.renderEncounters();
    this.renderTracks();
    this.renderEncounterLabels(w);
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
    ctx.fillStyle = "#f3f1ea";
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
    strokeArcs(false, "#7f93a6", 1, []);
    strokeArcs(true, "#a48f9e", 1, [4, 3]);
  }

  renderGraticule(w, h) {
    const ctx = this.ctx;
    const [latTop, lonLeft] = unproject(...this.screenToWorld(0, 0));
    const [latBottom, lonRight] = unproject(...this.screenToWorld(w, h));
    const span = lonRight - lonLeft;
    const step = span > 60 ? 10 : span > 20 ? 5 : span > 6 ? 1 : 0.5;
    ctx.strokeStyle = "rgba(60,80,100,0.12)";
    ctx.lineWidth = 1;
    ctx.fillStyle = "rgba(40,60,80,0.55)";
    ctx.font = "10px system-ui, sans-serif";
    ctx.beginPath();
    for (let lon = Math.ceil(lonLeft / step) * step; lon <= lonRight; lon += step) {
      const [x] = this.latLonToScreen(0, lon);
      ctx.moveTo(x, 0); ctx.lineTo(x, h);
      if (x < w - 90) ctx.fillText(`${+lon.toFixed(1)}°E`, x + 2, h - 4);
    }
    for (let lat = Math.ceil(latBottom / step) * step; lat <= latTop; lat += step) {
      const [, y] = this.latLonToScreen(lat, 0);
      ctx.moveTo(0, y); ctx.lineTo(w, y);
      ctx.fillText(`${+lat.toFixed(1)}°N`, 2, y - 2);
    }
    ctx.stroke();
  }

  renderZones() {
    const ctx = this.ctx, now = Date.now();
    for (const z of this.zones) {
      let pts = z.polygon && z.polygon.length ? z.polygon : null;
      if (!pts && z.center && z.radius_m) {
        pts = [];
        for (let i = 0; i < 64; i++) pts.push(destination(z.center[0], z.center[1], i * 360 / 64, z.radius_m));
      }
      if (!pts) continue;
      const from = Date.parse(z.from), until = Date.parse(z.until);
      const unbounded = (t) => isNaN(t) || new Date(t).getUTCFullYear() < 1971;
      const active = (unbounded(from) || now >= from) && (unbounded(until) || now <= until);
      const color = zoneColor(z.kind);
      ctx.beginPath();
      pts.forEach(([lat, lon], i) => {
        const [x, y] = this.latLonToScreen(lat, lon);
        if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
      });
      ctx.closePath();
      ctx.globalAlpha = active ? 0.18 : 0.07;
      ctx.fillStyle = color;
      ctx.fill();
      ctx.globalAlpha = active ? 0.9 : 0.45;
      ctx.strokeStyle = color; ctx.lineWidth = 1.5; ctx.setLineDash([6, 4]);
      ctx.stroke();
      ctx.setLineDash([]);
      // label at the northernmost point
      let top = pts[0];
      for (const p of pts) if (p[0] > top[0]) top = p;
      const [lx, ly] = this.latLonToScreen(top[0], top[1]);
      ctx.globalAlpha = active ? 1 : 0.6;
      ctx.fillStyle = "#202a33";
      ctx.font = "600 11px system-ui, sans-serif";
      const name = `${z.name || z.id}${z.owner ? " (" + z.owner + ")" : ""}`;
      ctx.fillText(name, lx + 4, ly - 16);
      ctx.font = "10px system-ui, sans-serif";
      const span = `${fmtDateTime(z.from) || "…"} – ${fmtDateTime(z.until) || "…"}${active ? "" : " (inactive)"}`;
      ctx.fillText(span, lx + 4, ly - 4);
      ctx.globalAlpha = 1;
    }
  }

  renderEncounters() {
    const ctx = this.ctx, now = Date.now();
    const list = this.openEncounters().sort((a, b) => (SEVERITY_RANK[a.severity] || 0) - (SEVERITY_RANK[b.severity] || 0));
    const labels = [];
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
      if (!p.pos_a || p.pos_a.lat == null) continue;
      const [ax, ay] = this.latLonToScreen(p.pos_a.lat, p.pos_a.lon);
      const [bx, by] = p.pos_b && p.pos_b.lat != null ? this.latLonToScreen(p.pos_b.lat, p.pos_b.lon) : [ax, ay];
      ctx.lineWidth = 3;
      ctx.beginPath(); ctx.moveTo(ax, ay); ctx.lineTo(bx, by); ctx.stroke();
      const mx = (ax + bx) / 2, my = (ay + by) / 2;
      ctx.beginPath(); ctx.arc(mx, my, 9, 0, 2 * Math.PI);
      ctx.lineWidth = 3; ctx.stroke();
      ctx.beginPath();
      ctx.moveTo(mx - 5, my - 5); ctx.lineTo(mx + 5, my + 5); ctx.moveTo(mx + 5, my - 5); ctx.lineTo(mx - 5, my + 5);
      ctx.lineWidth = 2; ctx.stroke();
      const cpaAt = cpaTime(e);
      labels.unshift({ e, mx, my, color, text: `${(e.severity || "").toUpperCase()}  CPA ${fmtCPA(p)}  ${cpaAt == null ? "" : cpaAt > now ? fmtIn(cpaAt - now) : "now"}` });
    }
    this.encounterLabels = labels;
  }

  // renderEncounterLabels draws the labels over everything, the most
  // severe first; one that would cover a more severe one's is left out
  // (the encounter list names them all).
  renderEncounterLabels(w) {
    const ctx = this.ctx;
    ctx.font = "700 12px system-ui, sans-serif";
    const drawn = [];
    for (const { mx, my, color, text } of this.encounterLabels || []) {
      const tw = ctx.measureText(text).width;
      let box = [mx + 12, my + 10, mx + 22 + tw, my + 28];
      if (box[2] > w - 4) box = [mx - 22 - tw, my + 10, mx - 12, my + 28]; // flip at the right edge
      if (drawn.some((b) => box[0] < b[2] && b[0] < box[2] && box[1] < b[3] && b[1] < box[3])) continue;
      drawn.push(box);
      ctx.fillStyle = "rgba(255,255,255,0.92)";
      ctx.fillRect(box[0], box[1], box[2] - box[0], 18);
      ctx.strokeStyle = color; ctx.lineWidth = 2; ctx.strokeRect(box[0], box[1], box[2] - box[0], 18);
      ctx.fillStyle = "#111";
      ctx.fillText(text, box[0] + 5, my + 23);
    }
  }

  renderTracks() {
    const ctx = this.ctx;
    const inEncounter = new Set();
    for (const e of this.openEncounters()) { inEncounter.add(e.a); inEncounter.add(e.b); }
    for (const t of this.tracks.values()) {
      if (t.lat == null || t.lon == null) continue;
      const stale = this.isStale(t);
      const color = partyColor(t.party);
      const [x, y] = this.latLonToScreen(t.lat, t.lon);
      ctx.globalAlpha = stale ? 0.35 : 1;
      // speed leader
      if (t.speed_ms > 0.5 && t.course_deg != null) {
        const [la, lo] = destination(t.lat, t.lon, t.course_deg, t.speed_ms * (LEADER_S[t.domain] || 60));
        const [lx, ly] = this.latLonToScreen(la, lo);
        ctx.strokeStyle = color; ctx.lineWidth = 1.5;
        ctx.beginPath(); ctx.moveTo(x, y); ctx.lineTo(lx, ly); ctx.stroke();
      }
      ctx.save();
      ctx.translate(x, y);
      ctx.rotate((t.course_deg || 0) * Math.PI / 180);
      ctx.beginPath();
      if (t.domain === "air") {
        ctx.moveTo(0, -8); ctx.lineTo(6, 6); ctx.lineTo(0, 3); ctx.lineTo(-6, 6); ctx.closePath();
      } else {
        ctx.moveTo(0, -8); ctx.lineTo(5, 0); ctx.lineTo(4, 6); ctx.lineTo(-4, 6); ctx.lineTo(-5, 0); ctx.closePath();
      }
      if (t.asset) {
        // A state asset: filled in its party's colour.
        ctx.fillStyle = color; ctx.fill();
        ctx.strokeStyle = "#fff"; ctx.lineWidth = 1.2; ctx.stroke();
      } else {
        // Civilian traffic: hollow, outlined in its affiliation's colour.
        ctx.fillStyle = "#fff"; ctx.fill();
        ctx.strokeStyle = color; ctx.lineWidth = 1.5; ctx.stroke();
      }
      ctx.restore();
      if (t === this.hover || (inEncounter.has(t.id) && this.zoom >= 8)) {
        ctx.font = "600 11px system-ui, sans-serif";
        ctx.fillStyle = "#111";
        ctx.fillText(t.callsign || t.name || t.id, x + 10, y - 8);
      }
      if (t === this.hover) {
        ctx.beginPath(); ctx.arc(x, y, 12, 0, 2 * Math.PI);
        ctx.strokeStyle = "#111"; ctx.lineWidth = 1; ctx.stroke();
      }
      ctx.globalAlpha = 1;
    }
  }
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
// "in 3 min 20 s", "in 25 min", "in 1 h 5 min".
export function fmtIn(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `in ${s} s`;
  if (s < 600) return `in ${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ""}`;
  if (s < 3600) return `in ${Math.round(s / 60)} min`;
  return `in ${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
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
