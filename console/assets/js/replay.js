// replay.js: timeline scrubbing on an incident. The incident view offers
// a slider over the incident's minutes (from shortly before it opened to
// its close, or now); moving it shows, on the map, where the incident's
// tracks were at that time and the path each had come, from the positions
// the node stored with the incident (GET
// /v1/channels/{id}/incidents/{inc}/tracks), interpolated between stored
// points. The live tracks stay; the replayed ones are drawn as rings with
// their name and the replay time.

import { api, el, fmtTime, partyColor } from "./api.js";

const BEFORE_MS = 10 * 60 * 1000; // the slider starts this long before the incident opened, if points reach back

// positionAt returns a track's interpolated position at time t (ms), or
// null before its first point or after its last.
export function positionAt(points, t) {
  if (!points.length) return null;
  const times = points.map((p) => Date.parse(p.time));
  if (t < times[0] || t > times[times.length - 1]) return null;
  let i = 1;
  while (i < times.length && times[i] < t) i++;
  if (i >= times.length || times[i] === t) {
    const p = points[Math.min(i, points.length - 1)];
    return { lat: p.lat, lon: p.lon, alt_m: p.alt_m, course_deg: p.course_deg, time: t };
  }
  const a = points[i - 1], b = points[i];
  const f = (t - times[i - 1]) / (times[i] - times[i - 1]);
  const mix = (x, y) => (x == null || y == null ? x ?? y : x + (y - x) * f);
  return { lat: mix(a.lat, b.lat), lon: mix(a.lon, b.lon), alt_m: mix(a.alt_m, b.alt_m), course_deg: b.course_deg ?? a.course_deg, time: t };
}

export class Replay {
  constructor(map) {
    this.map = map;
    this.data = null; // the incident's tracks view
    this.t = null;    // the replayed time, ms
    this.drawn = new Map(); // track id -> {lat, lon} drawn at the last render (for tests)
    map.layers.push(this);
  }

  // controls returns the replay box of an incident's view: a button that
  // loads the incident's stored tracks, then the slider.
  controls(channel, inc) {
    const box = el("div", { class: "replay", dataset: { incident: inc.id } });
    const active = this.data && this.data.incident === inc.id;
    if (!active) {
      box.append(el("button", { type: "button", class: "replay-load", "aria-label": `Replay incident ${inc.id} on the map`,
        onclick: () => this.load(channel, inc.id, box) }, "Replay on the map"));
      return box;
    }
    this.fill(box);
    return box;
  }

  async load(channel, id, box) {
    this.channel = channel;
    box.replaceChildren(el("span", { class: "hint" }, "Loading the incident's tracks…"));
    try {
      this.data = await api.get(`/v1/channels/${encodeURIComponent(channel)}/incidents/${encodeURIComponent(id)}/tracks`);
    } catch (e) {
      box.replaceChildren(el("p", { class: "error-box", role: "alert" }, `Replay: ${e.message}`));
      return;
    }
    const [from, to] = this.span();
    this.t = from;
    this.fill(box);
    this.frame();
    this.map.draw();
  }

  // span returns the slider's range, ms: shortly before the incident
  // opened (as far as the stored points reach) to its last point.
  span() {
    const times = this.data.tracks.flatMap((t) => t.points.map((p) => Date.parse(p.time)));
    if (!times.length) return [Date.parse(this.data.opened), Date.parse(this.data.opened)];
    const first = Math.min(...times), last = Math.max(...times);
    return [Math.max(first, Date.parse(this.data.opened) - BEFORE_MS), last];
  }

  fill(box) {
    const [from, to] = this.span();
    if (!this.data.tracks.length || from === to) {
      box.replaceChildren(el("p", { class: "hint" }, "The node stored no positions of this incident's tracks."),
        el("button", { type: "button", onclick: () => this.stop(box) }, "Close replay"));
      return;
    }
    const label = el("output", { class: "replay-time", id: `replay-time-${this.data.incident}` }, fmtTime(this.t));
    const slider = el("input", { type: "range", class: "replay-slider", id: `replay-${this.data.incident}`,
      min: String(from), max: String(to), step: "1000", value: String(this.t),
      "aria-label": `Replay time of incident ${this.data.incident}`,
      oninput: () => { this.t = Number(slider.value); label.textContent = fmtTime(this.t); this.map.draw(); } });
    box.replaceChildren(
      el("div", { class: "replay-head" }, el("strong", {}, "Replay "), label,
        el("span", { class: "hint" }, ` ${fmtTime(from)} – ${fmtTime(to)}`)),
      slider,
      el("button", { type: "button", class: "replay-stop", "aria-label": "Close the replay", onclick: () => this.stop(box) }, "Close replay"));
  }

  stop(box) {
    const inc = this.data?.incident, channel = this.channel;
    this.data = null;
    this.t = null;
    this.drawn = new Map();
    this.map.draw();
    if (box && inc) box.replaceWith(this.controls(channel, { id: inc }));
  }

  // frame shows every stored point of the incident.
  frame() {
    const pts = this.data.tracks.flatMap((t) => t.points);
    if (!pts.length) return;
    const lats = pts.map((p) => p.lat), lons = pts.map((p) => p.lon);
    const pad = 0.01 + 0.2 * Math.max(Math.max(...lats) - Math.min(...lats), Math.max(...lons) - Math.min(...lons));
    this.map.fitBounds(Math.min(...lats) - pad, Math.min(...lons) - pad, Math.max(...lats) + pad, Math.max(...lons) + pad);
  }

  render(view, ctx) {
    this.drawn = new Map();
    if (!this.data || this.t == null) return;
    ctx.save();
    for (const tr of this.data.tracks) {
      const color = partyColor(tr.party);
      // the path up to the replayed time
      const path = tr.points.filter((p) => Date.parse(p.time) <= this.t);
      const at = positionAt(tr.points, this.t);
      if (at) path.push(at);
      if (path.length > 1) {
        ctx.strokeStyle = color; ctx.lineWidth = 2.5; ctx.globalAlpha = 0.8; ctx.setLineDash([2, 3]);
        ctx.beginPath();
        path.forEach((p, i) => { const [x, y] = view.latLonToScreen(p.lat, p.lon); if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y); });
        ctx.stroke();
        ctx.setLineDash([]);
      }
      if (!at) continue;
      this.drawn.set(tr.id, { lat: at.lat, lon: at.lon });
      const [x, y] = view.latLonToScreen(at.lat, at.lon);
      ctx.globalAlpha = 1;
      ctx.beginPath(); ctx.arc(x, y, 8, 0, 2 * Math.PI);
      ctx.fillStyle = "rgba(255,255,255,0.85)"; ctx.fill();
      ctx.strokeStyle = color; ctx.lineWidth = 3; ctx.stroke();
      // the label: placed with the map's own labels (map.js's label and
      // markers), so that none covers another; else beside the ring
      const name = tr.label || tr.id, when = `replay ${fmtTime(this.t)}`;
      if (typeof view.label === "function" && Array.isArray(view.markers)) {
        view.markers.push([x, y, 9]);
        view.label("track", `replay:${tr.id}`, 1000, x, y, color, [[name, true], [when, false]]);
      } else {
        ctx.font = "600 11px system-ui, sans-serif";
        ctx.fillStyle = "#111";
        ctx.fillText(`${name} ${when}`, x + 11, y + 18);
      }
    }
    ctx.restore();
  }
}
