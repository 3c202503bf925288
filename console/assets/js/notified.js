// notified.js: the notified areas of the selected channel on the map.
// Every area a notification of the channel names (GET
// /v1/channels/{id}/notifications, as the Notices tab reads them): a
// Vienna Document activity's area and its phases' areas, an annual
// calendar's entries, an alert activity, a launch's launch and impact
// areas, an INCSEA notice's area, a voluntary intention's area. Each is
// drawn as a dashed, lightly hatched outline in the notifying party's
// colour with the label "DESIGNATION · regime · window" (placed with the
// map's other labels); areas active now are drawn stronger than future
// or past ones. A button in the map's controls turns them off and on
// (remembered in localStorage). They are read again when the map shows
// another channel and when a notification arrives (refresh).

import { api, el, partyColor } from "./api.js";
import { fmtWindow } from "./map.js";

const KEY = "deconflict-notified";

function store() {
  try { const s = window.localStorage; s.getItem("x"); return s; } catch (_) { return { getItem: () => null, setItem: () => {} }; }
}

// notifiedAreas returns the areas of a notification view
// ({index, regime, state, form}) as [{key, index, state, designation,
// regime, area, from, until}]; from and until are the form's times as
// written (RFC 3339 or a date).
export function notifiedAreas(n) {
  const f = n.form || {}, out = [];
  const add = (key, designation, regime, area, from, until) => {
    if (area && ((area.polygon && area.polygon.length) || area.circle)) out.push({ key: `${n.index}:${key}`, index: n.index, state: n.state, designation, regime, area, from, until });
  };
  const regime = f.alert ? `${n.regime} alert` : n.regime;
  const name = f.designation || n.regime;
  add("area", name, regime, f.area, f.start, f.end);
  add("launch_area", `${name} launch area`, regime, f.launch_area, f.start, f.end);
  add("impact_area", `${name} impact area`, regime, f.impact_area, f.start, f.end);
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
    this.drawn = [];     // {key, screen: [[x, y]...], label} of the last render (for tests)
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

  // refresh reads the channel's notifications again.
  async refresh() {
    const ch = this.channel, seq = ++this.seq;
    if (!ch) return;
    let ns;
    try { ns = await api.get(`/v1/channels/${encodeURIComponent(ch)}/notifications`); } catch (_) { return; /* the Notices tab tells */ }
    if (seq !== this.seq || ch !== this.channel) return;
    this.areas = (ns || []).flatMap(notifiedAreas).map((a) => ({ ...a, window: fmtWindow(a.from, a.until) }));
    this.map.draw();
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
    if (id !== this.channel) { this.channel = id; this.areas = []; this.refresh(); }
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
      const color = partyColor(a.state);
      ctx.beginPath();
      screen.forEach(([x, y], i) => { if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y); });
      ctx.closePath();
      ctx.globalAlpha = active ? 0.35 : 0.14;
      ctx.fillStyle = this.pattern(ctx, color);
      ctx.fill();
      ctx.globalAlpha = active ? 0.95 : 0.5;
      ctx.strokeStyle = color; ctx.lineWidth = active ? 2 : 1.25; ctx.setLineDash(active ? [8, 4] : [4, 4]);
      ctx.stroke();
      ctx.setLineDash([]);
      const label = `${a.designation} · ${a.regime} · ${a.window}${active ? "" : ` (${when})`}`;
      this.drawn.push({ key: a.key, index: a.index, window: a.window, when, label, points: pts, screen });
      // the label at the northernmost point on screen
      const on = screen.filter(([x, y]) => x >= 0 && x <= w && y >= 0 && y <= h);
      if (!on.length) continue;
      const [ax, ay] = on.reduce((p, q) => (q[1] < p[1] ? q : p));
      view.label("zone", `notified:${a.key}`, active ? 450 : 350, ax, ay, color, [[label, active]]);
    }
    ctx.restore();
  }
}
