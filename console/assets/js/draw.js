// draw.js: drawing an area on the map for a form (a notification's area,
// a zone measure's area). start() puts the map in a drawing mode: clicks
// add polygon vertices (a click on the last vertex, a double-click or
// Enter closes the polygon, Backspace removes the last vertex, Escape
// cancels), or a drag from an empty start draws a circle (centre and
// radius shown in NM and km). The area is drawn on the map while it is
// drawn and afterwards, and handed to the form as {"polygon": [[lat, lon],
// ...]} or {"circle": {"lat", "lon", "radius_m"}}, degrees rounded to 4
// decimals and the radius to the metre.
//
// The pointer events of the canvas are taken in the capture phase while
// drawing, before the map's own handlers (pan, select, measure) see them.

import { el } from "./api.js";
import { haversine, fmtNM, EARTH_R } from "./map.js";

const CLOSE_PX = 6; // a click this near the last vertex closes the polygon
const DRAG_PX = 4;  // a press that moves further is a drag (a circle)

const r4 = (x) => Math.round(x * 1e4) / 1e4;
const wrapLon = (lon) => ((lon + 540) % 360) - 180;

// circlePoints gives the circle of radius m around lat, lon as points on
// the sphere, for drawing.
function circlePoints(lat, lon, m, n = 96) {
  const d = m / EARTH_R, p1 = lat * Math.PI / 180, l1 = lon * Math.PI / 180, out = [];
  for (let i = 0; i <= n; i++) {
    const b = 2 * Math.PI * i / n;
    const p2 = Math.asin(Math.sin(p1) * Math.cos(d) + Math.cos(p1) * Math.sin(d) * Math.cos(b));
    const l2 = l1 + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(p1), Math.cos(d) - Math.sin(p1) * Math.sin(p2));
    out.push([p2 * 180 / Math.PI, l2 * 180 / Math.PI]);
  }
  return out;
}

// fmtLatLon writes a point as "55.1234 N 18.5000 E".
export function fmtLatLon(lat, lon) {
  return `${Math.abs(lat).toFixed(4)} ${lat < 0 ? "S" : "N"} ${Math.abs(lon).toFixed(4)} ${lon < 0 ? "W" : "E"}`;
}

export class Draw {
  constructor(map) {
    this.map = map;
    this.active = null; // {vertices: [[lat, lon]], circle: {c, edge}, down, hover, done, cancel}
    this.shape = null;  // the area shown: {polygon} or {circle}
    this.readout = el("div", { class: "draw-readout", id: "draw-readout", role: "status", "aria-live": "polite" });
    this.readout.hidden = true;
    map.pane.append(this.readout);
    map.layers.push(this);
    this.bind();
  }

  // start begins drawing; done(area) is called with the area drawn, or
  // nothing happens when the officer cancels (onCancel then).
  start(done, onCancel = () => {}) {
    if (this.active) this.active.cancel();
    if (this.map.measuring) this.map.setMeasuring(false);
    this.map.moved(); // the view stays where the officer draws
    this.active = { vertices: [], circle: null, down: null, hover: null, done, cancel: () => { this.stop(); onCancel(); } };
    this.map.canvas.classList.add("drawing");
    this.map.canvas.focus();
    this.update();
  }

  stop() {
    this.active = null;
    this.map.canvas.classList.remove("drawing");
    this.readout.hidden = true;
    this.map.draw();
  }

  // show displays an area (from a form edited by hand), or none.
  show(area) {
    const ok = area && ((Array.isArray(area.polygon) && area.polygon.length >= 2 && area.polygon.every((p) => Array.isArray(p) && p.length === 2 && p.every(Number.isFinite))) ||
      (area.circle && [area.circle.lat, area.circle.lon, area.circle.radius_m].every(Number.isFinite)));
    this.shape = ok ? (area.polygon ? { polygon: area.polygon } : { circle: area.circle }) : null;
    this.map.draw();
  }

  finish(area) {
    const a = this.active;
    this.shape = area;
    this.stop();
    a.done(area);
  }

  closePolygon() {
    const a = this.active;
    if (!a || a.vertices.length < 3) return;
    this.finish({ polygon: a.vertices.map(([lat, lon]) => [r4(lat), r4(wrapLon(lon))]) });
  }

  circleArea() {
    const { c, edge } = this.active.circle;
    return { circle: { lat: r4(c[0]), lon: r4(wrapLon(c[1])), radius_m: Math.max(1, Math.round(haversine(c[0], c[1], edge[0], edge[1]))) } };
  }

  bind() {
    const c = this.map.canvas;
    const at = (e) => { const r = c.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; };
    const take = (e) => { if (!this.active) return false; e.stopImmediatePropagation(); e.preventDefault(); return true; };
    c.addEventListener("pointerdown", (e) => {
      if (!take(e) || e.button !== 0) return;
      try { c.setPointerCapture(e.pointerId); } catch (_) { /* a synthetic pointer */ }
      const [px, py] = at(e);
      this.active.down = [px, py];
    }, true);
    c.addEventListener("pointermove", (e) => {
      if (!take(e)) return;
      const a = this.active, [px, py] = at(e);
      a.hover = this.map.screenToLatLon(px, py);
      if (a.down && !a.vertices.length && (a.circle || Math.hypot(px - a.down[0], py - a.down[1]) > DRAG_PX)) {
        a.circle = { c: this.map.screenToLatLon(...a.down), edge: a.hover };
      }
      this.update();
    }, true);
    c.addEventListener("pointerup", (e) => {
      if (!take(e)) return;
      const a = this.active, [px, py] = at(e);
      const down = a.down;
      a.down = null;
      if (!down) return;
      if (a.circle) {
        a.circle.edge = this.map.screenToLatLon(px, py);
        this.finish(this.circleArea());
        return;
      }
      const last = a.vertices[a.vertices.length - 1];
      if (last) {
        const [lx, ly] = this.map.latLonToScreen(...last);
        if (Math.hypot(px - lx, py - ly) <= CLOSE_PX) { this.closePolygon(); return; }
      }
      a.vertices.push(this.map.screenToLatLon(px, py));
      this.update();
    }, true);
    c.addEventListener("pointercancel", (e) => { if (take(e)) { this.active.down = null; this.active.circle = null; this.update(); } }, true);
    c.addEventListener("dblclick", (e) => { if (take(e)) this.closePolygon(); }, true);
    document.addEventListener("keydown", (e) => {
      const a = this.active;
      if (!a) return;
      const t = document.activeElement;
      if (t && (t.tagName === "TEXTAREA" || t.tagName === "INPUT")) return;
      const keys = {
        Enter: () => this.closePolygon(),
        Escape: () => a.cancel(),
        Backspace: () => { a.vertices.pop(); this.update(); },
      };
      if (!keys[e.key]) return;
      e.preventDefault();
      e.stopImmediatePropagation();
      keys[e.key]();
    }, true);
  }

  // update writes the readout and redraws.
  update() {
    const a = this.active;
    if (!a) return;
    const o = this.readout;
    o.hidden = false;
    o.dataset.vertices = String(a.vertices.length);
    if (a.circle) {
      const { circle } = this.circleArea();
      o.dataset.radiusM = String(circle.radius_m);
      o.textContent = `Circle: centre ${fmtLatLon(circle.lat, circle.lon)}, radius ${fmtNM(circle.radius_m)} (${(circle.radius_m / 1000).toFixed(circle.radius_m < 10000 ? 2 : 1)} km)`;
    } else if (a.vertices.length) {
      o.textContent = `Polygon: ${a.vertices.length} vertices. Click to add, double-click or Enter closes, Backspace removes the last, Escape cancels.`;
    } else {
      o.textContent = "Draw the area: click the vertices of a polygon, or drag from the centre for a circle. Escape cancels.";
    }
    this.map.draw();
  }

  render(view, ctx) {
    const a = this.active;
    const line = (pts, close, dash) => {
      if (pts.length < 2) return;
      ctx.beginPath();
      // unwrap longitudes so that a shape across the antimeridian stays whole
      let prev = pts[0][1];
      pts.forEach(([lat, lon], i) => {
        while (lon - prev > 180) lon -= 360;
        while (prev - lon > 180) lon += 360;
        prev = lon;
        const [x, y] = view.latLonToScreen(lat, lon);
        if (i) ctx.lineTo(x, y); else ctx.moveTo(x, y);
      });
      if (close) ctx.closePath();
      ctx.setLineDash(dash ? [6, 4] : []);
      if (close) ctx.fill();
      ctx.stroke();
    };
    ctx.save();
    ctx.strokeStyle = "#c2185b";
    ctx.fillStyle = "rgba(194, 24, 91, 0.15)";
    ctx.lineWidth = 2;
    const shape = a ? null : this.shape;
    if (shape?.polygon) line(shape.polygon, true, false);
    if (shape?.circle) line(circlePoints(shape.circle.lat, shape.circle.lon, shape.circle.radius_m), true, false);
    if (a?.circle) {
      const { circle } = this.circleArea();
      line(circlePoints(a.circle.c[0], a.circle.c[1], circle.radius_m), true, true);
      const [cx, cy] = view.latLonToScreen(...a.circle.c), [ex, ey] = view.latLonToScreen(...a.circle.edge);
      ctx.setLineDash([2, 3]);
      ctx.beginPath(); ctx.moveTo(cx, cy); ctx.lineTo(ex, ey); ctx.stroke();
    } else if (a?.vertices.length) {
      line(a.hover ? [...a.vertices, a.hover] : a.vertices, false, true);
      ctx.setLineDash([]);
      ctx.fillStyle = "#c2185b";
      for (const v of a.vertices) {
        const [x, y] = view.latLonToScreen(...v);
        ctx.fillRect(x - 3, y - 3, 6, 6);
      }
    }
    ctx.restore();
  }
}
