// notified.js: the notified areas of the selected channel on the map.
// Every area a notification of the channel names (GET
// /v1/channels/{id}/notifications, as the Notices tab reads them): a
// Vienna Document activity's area and its phases' areas, an annual
// calendar's entries, an alert activity, a launch's launch and impact
// areas, an INCSEA notice's area, a voluntary intention's area. Each is
// drawn once, as a hatched outline in the notifying party's colour with
// the label "DESIGNATION · regime · window" (the window on a line of its
// own) and a line naming the notifying party and the notification
// ("RU · ru-nato:12"). The areas the
// node also makes zones (a launch's areas and an INCSEA hazard area: other
// parties' assets predicted to enter are alerted) have a solid outline and
// say "alerting as a zone"; the map does not draw those zones again
// (coversZone). The others are dashed. Areas active now are drawn stronger
// than future or past ones. A button in the map's controls turns the layer
// off and on (remembered in localStorage); while it is off the zones are
// drawn by the map as any zone. The notifications (and the zones) are read
// again when the map shows another channel and when a notification
// arrives (refresh), the zones also on the picture stream's zone events.

import { api, el, partyColor } from "./api.js";
import { fmtWindow } from "./map.js";

const KEY = "deconflict-notified";

function store() {
  try { const s = window.localStorage; s.getItem("x"); return s; } catch (_) { return { getItem: () => null, setItem: () => {} }; }
}

// ZONE_REGIMES are the regimes whose areas the node makes zones owned by
// the notifying party (docs/regimes.md, "In the live picture").
export const ZONE_REGIMES = ["launch-1988", "incsea-notice"];

// LAUNCH_WINDOW is the window of a launch notification without an end:
// the node's too (regime.LaunchWindow), 24 hours from the planned launch.
const LAUNCH_WINDOW = 24 * 3600e3;

// notifiedAreas returns the areas of a notification view
// ({index, regime, state, form}) as [{key, index, state, name (the
// notification's designation), designation (the area's), regime, area,
// from, until, zone}]; from and until are the form's times
// as written (RFC 3339 or a date); zone says the node makes the area a
// zone. Requests for explanation and hazard reports notify no area (an
// area they carry is the one asked about).
export function notifiedAreas(n) {
  const f = n.form || {}, out = [];
  if (n.regime === "vd11-explanation" || n.regime === "vd11-hazard") return out;
  const zone = ZONE_REGIMES.includes(n.regime);
  const add = (key, designation, regime, area, from, until) => {
    if (area && ((area.polygon && area.polygon.length) || area.circle)) out.push({ key: `${n.index}:${key}`, index: n.index, state: n.state, name, designation, regime, area, from, until, zone });
  };
  const regime = f.alert ? `${n.regime} alert` : n.regime;
  const name = f.designation || n.regime;
  let end = f.end;
  if (!end && n.regime === "launch-1988" && !isNaN(Date.parse(f.start))) end = new Date(Date.parse(f.start) + LAUNCH_WINDOW).toISOString();
  add("area", name, regime, f.area, f.start, end);
  add("launch_area", `${name} launch area`, regime, f.launch_area, f.start, end);
  add("impact_area", `${name} impact area`, regime, f.impact_area, f.start, end);
  (Array.isArray(f.phases) ? f.phases : []).forEach((p, i) => add(`phase${i}`, `${name} ${p.kind || "phase"}`, regime, p.area, p.start, p.end));
  // a calendar entry's start is a window [from, to]: the activity may begin from its first day
  (Array.isArray(f.entries) ? f.entries : []).forEach((e, i) =>
    add(`entry${i}`, e.designation || `entry ${i + 1}`, n.regime, e.area, Array.isArray(e.start) ? e.start[0] : e.start, e.end));
  return out;
}

// phase says whether [from, until] is "active", "future" or "past" at now (ms).
export function phase(from, until, now) {
  const f = from ? Date.parse(from) : NaN, u = until ? Date.parse(until) : NaN;
  if (!isNaN(f) && now < f) return "future";
  if (!isNaN(u) && now > u) return "past";
  return "active";
}

export class Notified {
  constructor(map, controls) {
    this.map = map;
    this.storage = store();
    this.on = this.storage.getItem(KEY) !== "off";
    this.channel = null; // the channel whose notifications are held
    this.areas = [];     // notifiedAreas of its notifications, each with its window text
    this.indexes = new Set(); // the indexes of the notifications whose areas are held
    this.drawn = [];     // {key, index, window, when, label, second, lines, zone, points, screen} of the last render (for tests)
    this.seq = 0;
    this.patterns = new Map(); // colour -> hatch pattern
    this.button = el("button", {
      type: "button", id: "notified-toggle", class: "notified-toggle", "aria-pressed": String(this.on),
      "aria-label": "Notified areas", title: "Notified areas", onclick: () => this.toggle(),
    }, "▨");
    controls?.append(this.button);
    map.layers.push(this);
  }

  toggle() {
    this.on = !this.on;
    this.storage.setItem(KEY, this.on ? "on" : "off");
    this.button.setAttribute("aria-pressed", String(this.on));
    this.map.draw();
  }

  // refresh reads the channel's notifications again, and the node's
  // zones (a new launch or INCSEA notice is a new zone).
  async refresh() {
    const ch = this.channel, seq = ++this.seq;
    if (!ch) return;
    let ns;
    try {
      ns = await api.get(`/v1/channels/${encodeURIComponent(ch)}/notifications`);
    } catch (_) { return; /* the Notices tab tells */ }
    if (seq !== this.seq || ch !== this.channel) return;
    this.areas = (ns || []).flatMap(notifiedAreas).map((a) => ({ ...a, window: fmtWindow(a.from, a.until) }));
    this.indexes = new Set(this.areas.map((a) => a.index));
    this.map.draw();
    // The zones too; a launch or INCSEA notice's zone may come after
    // this read (the node tells its picture after logging the notice):
    // the picture stream's zone event then reads them again (app.js).
    this.map.reloadZones();
  }

  // explains names, for an encounter's explained_by label
  // ("ru-nato:14"), the notification of the channel held: "notified
  // TRANSIT (RU intention), ru-nato:14"; the label alone for another
  // channel's.
  explains(label) {
    const i = label.lastIndexOf(":"), ch = label.slice(0, i), index = Number(label.slice(i + 1));
    const a = ch === this.channel ? this.areas.find((x) => x.index === index) : null;
    return a ? `notified ${a.name} (${a.state} ${a.regime}), ${label}` : label;
  }

  // zonesOf returns the map's zones that the node made of notification
  // index of the channel held ("notified:CHANNEL:INDEX:N").
  zonesOf(index) {
    const p = `notified:${this.channel}:${index}:`;
    return this.map.zones.filter((z) => typeof z.id === "string" && z.id.startsWith(p));
  }

  // coversZone says whether the layer draws zone z itself: a zone made of
  // a notification of the channel held, while the layer is on. The map
  // then leaves it out, so that each area is drawn once.
  coversZone(z) {
    if (!this.on || !this.channel || typeof z.id !== "string") return false;
    const p = `notified:${this.channel}:`;
    if (!z.id.startsWith(p)) return false;
    return this.indexes.has(Number(z.id.slice(p.length).split(":")[0]));
  }

  // outlineMarkers adds points every 24 px along the outline screen (on
  // the map) to the map's markers.
  outlineMarkers(view, screen, w, h) {
    if (!view.markers) return;
    for (let i = 0; i < screen.length; i++) {
      const [x0, y0] = screen[i], [x1, y1] = screen[(i + 1) % screen.length];
      const n = Math.min(200, Math.ceil(Math.hypot(x1 - x0, y1 - y0) / 24));
      for (let k = 0; k < n; k++) {
        const x = x0 + (x1 - x0) * k / n, y = y0 + (y1 - y0) * k / n;
        if (x >= 0 && x <= w && y >= 0 && y <= h) view.markers.push([x, y, 6]);
      }
    }
  }

  pattern(ctx, color) {
    let p = this.patterns.get(color);
    if (!p) {
      const c = document.createElement("canvas");
      c.width = c.height = 10;
      const g = c.getContext("2d");
      g.strokeStyle = color; g.lineWidth = 1;
      g.beginPath(); g.moveTo(0, 10); g.lineTo(10, 0); g.moveTo(-5, 5); g.lineTo(5, -5); g.moveTo(5, 15); g.lineTo(15, 5); g.stroke();
      p = ctx.createPattern(c, "repeat");
      this.patterns.set(color, p);
    }
    return p;
  }

  render(view, ctx, w, h) {
    const id = view.channel?.id || null;
    if (id !== this.channel) { this.channel = id; this.areas = []; this.indexes = new Set(); this.refresh(); }
    this.drawn = [];
    if (!this.on) return;
    const now = Date.now();
    ctx.save();
    for (const a of this.areas) {
      const c = a.area.circle;
      const pts = a.area.polygon?.length ? a.area.polygon : view.zonePoints({ center: [c.lat, c.lon], radius_m: c.radius_m });
      if (!pts.length) continue;
      const screen = pts.map(([lat, lon]) => view.latLonToScreen(lat, lon));
      const when = phase(a.from, a.until, now), active = when === "active";
      const zone = a.zone || this.zonesOf(a.index).length > 0;
      const color = partyColor(a.state);
      ctx.beginPath();
      screen.forEach(([x, y], i) => { if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y); });
      ctx.closePath();
      ctx.globalAlpha = active ? 0.35 : 0.14;
      ctx.fillStyle = this.pattern(ctx, color);
      ctx.fill();
      ctx.globalAlpha = active ? 0.95 : 0.55;
      ctx.strokeStyle = color;
      // an area that alerts as a zone: a solid outline; the others dashed
      ctx.lineWidth = (active ? 2 : 1.25) + (zone ? 0.75 : 0);
      ctx.setLineDash(zone ? [] : active ? [8, 4] : [4, 4]);
      ctx.stroke();
      ctx.setLineDash([]);
      // "DESIGNATION · regime · window", shown on two lines to keep the
      // label narrow, then who notified it, where, and whether it alerts
      const head = `${a.designation} · ${a.regime}`, win = `${a.window}${active ? "" : ` (${when})`}`;
      const label = `${head} · ${win}`;
      const second = `${a.state} · ${this.channel}:${a.index}${zone ? " · alerting as a zone" : ""}`;
      const lines = [[head, true], [win, active], [second, false]];
      this.drawn.push({ key: a.key, index: a.index, window: a.window, when, label, second, lines, zone, points: pts, screen });
      // labels prefer not to cover an area's outline: points along it
      // are markers for the map's label placement
      this.outlineMarkers(view, screen, w, h);
      // the label at the northernmost point on screen
      const on = screen.filter(([x, y]) => x >= 0 && x <= w && y >= 0 && y <= h);
      if (!on.length) continue;
      const [ax, ay] = on.reduce((p, q) => (q[1] < p[1] ? q : p));
      view.label("zone", `notified:${a.key}`, (active ? 450 : 350) + (zone ? 40 : 0), ax, ay, color, lines);
    }
    ctx.restore();
  }
}
