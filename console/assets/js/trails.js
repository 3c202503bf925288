// trails.js: track trails on the map. Each track's positions of the last
// minutes come from the node's history ring (GET /v1/picture?trail=MIN,
// points at least 30 s apart), read again every few seconds; the trail
// ends at the track's live position. Drawn under the tracks as a line in
// the party's colour, fading with age; a button in the map's controls
// turns them off and on, a choice gives the minutes.

import { api, el, partyColor } from "./api.js";

export const TRAIL_MINUTES = [5, 10, 30];
const REFRESH_MS = 5000;

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

  async refresh() {
    if (!this.on) return;
    try {
      const pic = await api.get(`/v1/picture?trail=${this.minutes}`);
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
