// trails.js: track trails on the map. Each track's positions of the last
// minutes come from the node's history ring (GET
// /v1/picture?trail=MIN&bbox=..., points at least 30 s apart, for the
// area around the view), read again every few seconds and when the view
// leaves that area; the trail ends at the track's live position. Drawn under the tracks as a line in
// the party's colour, fading with age; a button in the map's controls
// turns them off and on, a choice gives the minutes.

import { api, el, partyColor } from "./api.js";

export const TRAIL_MINUTES = [5, 10, 30];
const REFRESH_MS = 15000; // stored points are 30 s apart; the live position comes with the picture stream

export class Trails {
  constructor(map, controls) {
    this.map = map;
    this.on = sessionStorage.getItem("deconflict-trails") !== "off";
    this.minutes = Number(sessionStorage.getItem("deconflict-trail-minutes")) || 10;
    this.trails = new Map(); // track id -> [[lat, lon, unix s], ...]
    this.drawn = new Map();  // track id -> screen points of the last render (for tests)
    this.button = el("button", {
      type: "button", id: "trails-toggle", class: "trails-toggle", "aria-pressed": String(this.on),
      "aria-label": "Track trails", title: "Track trails", onclick: () => this.toggle(),
    }, "≋");
    this.select = el("select", { id: "trail-minutes", class: "trail-minutes", "aria-label": "Trail length, minutes", title: "Trail length",
      onchange: () => { this.minutes = Number(this.select.value); sessionStorage.setItem("deconflict-trail-minutes", String(this.minutes)); this.refresh(); } },
    TRAIL_MINUTES.map((m) => el("option", { value: String(m), selected: m === this.minutes, "aria-label": `${m} minutes` }, `${m}′`)));
    this.select.hidden = !this.on;
    controls.append(this.button, this.select);
    map.layers.push(this);
    this.refresh();
    this.timer = setInterval(() => this.refresh(), REFRESH_MS);
  }

  toggle() {
    this.on = !this.on;
    sessionStorage.setItem("deconflict-trails", this.on ? "on" : "off");
    this.button.setAttribute("aria-pressed", String(this.on));
    this.select.hidden = !this.on;
    if (this.on) this.refresh();
    this.map.draw();
  }

  // viewBox returns the area shown, widened by half its size each way
  // (so that a short pan needs no new request), as [W, S, E, N] degrees;
  // null when it spans the world.
  viewBox() {
    const m = this.map, w = m.canvas.clientWidth, h = m.canvas.clientHeight;
    if (!m.screenToLatLon || !w || !h) return null;
    const [n, wl] = m.screenToLatLon(-w / 2, -h / 2), [s, e] = m.screenToLatLon(1.5 * w, 1.5 * h);
    if (e - wl >= 360) return null;
    const lon = (x) => ((x + 540) % 360) - 180;
    return [lon(wl), Math.max(-90, s), lon(e), Math.min(90, n)];
  }

  // covers reports whether the trails fetched last cover the view.
  covers() {
    const b = this.fetched, v = this.viewBox();
    if (b === undefined) return false;
    if (b === null) return true;
    if (!v) return false;
    const inLon = (x) => (b[0] <= b[2] ? x >= b[0] && x <= b[2] : x >= b[0] || x <= b[2]);
    const m = this.map, w = m.canvas.clientWidth, h = m.canvas.clientHeight;
    const [n, wl] = m.screenToLatLon(0, 0), [s, e] = m.screenToLatLon(w, h);
    return s >= b[1] && n <= b[3] && inLon(((wl + 540) % 360) - 180) && inLon(((e + 540) % 360) - 180);
  }

  async refresh() {
    if (!this.on) return;
    const box = this.viewBox();
    this.fetched = box; // a view moved meanwhile asks again (render)
    const seq = this.seq = (this.seq || 0) + 1;
    try {
      const pic = await api.get(`/v1/picture?trail=${this.minutes}${box ? `&bbox=${box.map((x) => x.toFixed(4)).join(",")}` : ""}`);
      if (seq !== this.seq) return; // a later read (another view, or newer) answers instead
      this.trails = new Map((pic.tracks || []).filter((t) => t.trail?.length).map((t) => [t.id, t.trail]));
      this.map.draw();
    } catch (_) { /* the picture's status line tells when the node is away */ }
  }

  // points returns a track's trail: the stored positions of the last
  // minutes and its live position (newer than the last stored one).
  points(t) {
    const stored = this.trails.get(t.id) || [];
    const out = stored.slice();
    const at = Date.parse(t.time) / 1000;
    if (t.lat != null && (!out.length || at > out[out.length - 1][2])) out.push([t.lat, t.lon, at]);
    const from = (out.length ? out[out.length - 1][2] : 0) - this.minutes * 60;
    return out.filter((p) => p[2] >= from);
  }

  render(view, ctx) {
    this.drawn = new Map();
    if (!this.on) return;
    // the view left the area fetched: ask again soon (once per pan)
    if (!this.covers() && !this.pending) {
      this.pending = setTimeout(() => { this.pending = null; this.refresh(); }, 300);
    }
    ctx.save();
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    for (const t of view.tracks.values()) {
      const pts = this.points(t);
      if (pts.length < 2) continue;
      const xy = pts.map(([lat, lon]) => view.latLonToScreen(lat, lon));
      this.drawn.set(t.id, xy);
      const color = partyColor(t.party);
      const newest = pts[pts.length - 1][2], span = this.minutes * 60;
      ctx.strokeStyle = color;
      ctx.fillStyle = color;
      ctx.lineWidth = 2;
      for (let i = 1; i < xy.length; i++) {
        // older segments fainter
        ctx.globalAlpha = 0.45 + 0.45 * Math.max(0, 1 - (newest - pts[i][2]) / span);
        ctx.beginPath();
        ctx.moveTo(xy[i - 1][0], xy[i - 1][1]);
        ctx.lineTo(xy[i][0], xy[i][1]);
        ctx.stroke();
      }
      ctx.globalAlpha = 0.6;
      for (let i = 0; i < xy.length - 1; i++) {
        ctx.beginPath();
        ctx.arc(xy[i][0], xy[i][1], 1.8, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
    ctx.restore();
  }
}
