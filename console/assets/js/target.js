// target.js: the target panel. Selecting a track on the map (a click,
// or Enter on the hovered one) opens everything the picture knows of it, from GET
// /v1/picture/tracks/{id}: identity, names, type, flag and party, MMSI
// or ICAO address, position in degrees and minutes, course, speed,
// altitude or flight level, source, age, and its last reports from the
// node's history ring. Refreshed while open; Escape or × closes it.

import { api, el, fmtTime, partyColor } from "./api.js";

const M_PER_FT = 0.3048, KN_PER_MS = 3600 / 1852;
const REFRESH_MS = 5000, LAST_REPORTS = 10;

// fmtLatLon gives a position in degrees and decimal minutes, as charts
// and voice reports do: "54°30.123′N 012°06.000′E".
export function fmtLatLon(lat, lon) {
  if (lat == null || lon == null) return "no position";
  const part = (v, deg, pos, neg) => {
    const a = Math.abs(v);
    let d = Math.floor(a), m = (a - d) * 60;
    if (Number(m.toFixed(3)) >= 60) { d += 1; m = 0; }
    return `${String(d).padStart(deg, "0")}°${m.toFixed(3).padStart(6, "0")}′${v < 0 ? neg : pos}`;
  };
  return `${part(lat, 2, "N", "S")} ${part(lon, 3, "E", "W")}`;
}

// fmtAltitude gives an altitude: aircraft as a flight level with feet
// and metres, ships and unknown heights as metres.
export function fmtAltitude(altM, domain) {
  if (altM == null) return "unknown";
  const ft = altM / M_PER_FT;
  if (domain === "air") return `FL${String(Math.round(ft / 100)).padStart(3, "0")} (${Math.round(ft).toLocaleString("en")} ft, ${Math.round(altM).toLocaleString("en")} m)`;
  return `${Math.round(altM).toLocaleString("en")} m`;
}

export function fmtSpeed(ms) {
  return ms == null ? "unknown" : `${(ms * KN_PER_MS).toFixed(1)} kn (${ms.toFixed(1)} m/s)`;
}

export function fmtCourse(deg) {
  return deg == null ? "unknown" : `${String(Math.round(deg) % 360).padStart(3, "0")}°`;
}

// fmtAge says how long ago a time was: "12 s", "3 min 05 s", "2 h 04 min".
export function fmtAge(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
}

// identity names what the track's id is: an MMSI, an ICAO 24-bit address,
// or a party's own name for its asset.
export function identity(id) {
  const [kind, rest] = [id.slice(0, id.indexOf(":")), id.slice(id.indexOf(":") + 1)];
  if (kind === "mmsi") return ["MMSI", rest];
  if (kind === "icao") return ["ICAO address", rest.toUpperCase()];
  if (kind === "nonicao") return ["non-ICAO address", rest.toUpperCase()];
  return [`${kind}'s identity`, rest];
}

const howText = {
  asset: "declared asset", callsign: "declared callsign pattern", source: "named by the source",
  mid: "flag, by the MMSI's MID", icao: "state of registry, by the ICAO block",
};

export class TargetPanel {
  constructor(map, pane) {
    this.map = map;
    this.id = null;
    this.view = null;
    this.root = el("aside", { id: "target-panel", class: "target-panel", "aria-label": "Target", "aria-live": "polite" });
    this.root.hidden = true;
    pane.append(this.root);
    // the map selects a track on a click (map.js); the panel follows
    map.onSelect = (t) => (t ? this.open(t.id) : this.close());
    map.canvas.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && map.hover) map.select(map.hover.id);
    });
    document.addEventListener("keydown", (e) => { if (e.key === "Escape" && this.id) map.select(null); });
  }

  async open(id) {
    if (id === this.id) return;
    this.id = id;
    this.view = null;
    this.error = null;
    clearInterval(this.timer);
    this.timer = setInterval(() => this.refresh(), REFRESH_MS);
    await this.refresh();
  }

  close() {
    if (!this.id) return;
    this.id = null;
    this.view = null;
    clearInterval(this.timer);
    this.root.hidden = true;
    this.map.draw();
  }

  async refresh() {
    const id = this.id;
    if (!id) return;
    try {
      const v = await api.get(`/v1/picture/tracks/${encodeURIComponent(id)}`);
      if (id !== this.id) return;
      this.view = v;
      this.error = null;
    } catch (e) {
      if (id !== this.id) return;
      this.error = e.code === "not_found" ? `${id} is no longer in the picture.` : e.message;
    }
    this.render();
    this.map.draw();
  }

  render() {
    this.root.hidden = false;
    const close = el("button", { type: "button", class: "target-close", "aria-label": "Close the target panel", onclick: () => this.map.select(null) }, "×");
    if (!this.view) {
      this.root.replaceChildren(close, el("p", { class: "error-box", role: "alert" }, this.error || "…"));
      return;
    }
    const { track: t, history = [] } = this.view;
    const [idKind, idValue] = identity(t.id);
    const age = Date.parse(this.view.time) - Date.parse(t.time);
    const row = (field, label, value, cls) => value == null || value === "" ? null
      : [el("dt", {}, label), el("dd", { dataset: { field }, class: cls || null }, value)];
    const flag = this.view.flag ? `${this.view.flag}${this.view.flag_state && this.view.flag_state !== this.view.flag ? ` (${this.view.flag_state})` : ""}` : "";
    const party = t.party ? `${t.party}${t.how ? ` (${howText[t.how] || t.how})` : ""}` : "unattributed";
    const fields = el("dl", { class: "target-fields" },
      row("id", "Identity", t.id),
      row("id-kind", idKind, idValue, "mono"),
      row("name", t.domain === "air" ? "Registration" : "Name", t.name),
      row("callsign", "Callsign", t.callsign),
      row("type", "Type", t.type),
      row("flag", "Flag", flag),
      row("party", "Party", party),
      row("asset", "Kind", t.asset ? `state ${t.domain === "air" ? "aircraft" : "ship"}${t.military ? " (military)" : ""}` : "civilian"),
      row("position", "Position", fmtLatLon(t.lat, t.lon), "mono"),
      row("course", "Course", fmtCourse(t.course_deg)),
      row("speed", "Speed", fmtSpeed(t.speed_ms)),
      t.domain === "air" ? row("altitude", "Altitude", fmtAltitude(t.alt_m, "air")) : null,
      t.domain === "air" && t.climb_ms != null ? row("climb", "Vertical rate", `${Math.round(t.climb_ms / M_PER_FT * 60).toLocaleString("en")} ft/min`) : null,
      row("source", "Source", t.source || "unknown"),
      row("time", "Last position", `${fmtTime(t.time)}, ${fmtAge(age)} ago${t.stale ? " (stale)" : ""}`, t.stale ? "stale" : null),
      row("destination", "Destination", t.destination));
    const last = history.slice(-LAST_REPORTS).reverse();
    const reports = el("table", { class: "target-history", "aria-label": `Last reports of ${t.id}` },
      el("thead", {}, el("tr", {}, ["Time", "Position", "Speed", "Course", t.domain === "air" ? "FL" : null, "Source"].filter(Boolean).map((h) => el("th", {}, h)))),
      el("tbody", {}, last.map((p) => el("tr", { dataset: { time: p.time } },
        el("td", {}, fmtTime(p.time)), el("td", { class: "mono" }, fmtLatLon(p.lat, p.lon)),
        el("td", {}, p.speed_ms == null ? "?" : `${(p.speed_ms * KN_PER_MS).toFixed(1)} kn`), el("td", {}, fmtCourse(p.course_deg)),
        t.domain === "air" ? el("td", {}, p.alt_m == null ? "?" : `FL${String(Math.round(p.alt_m / M_PER_FT / 100)).padStart(3, "0")}`) : null,
        el("td", {}, p.source || "")))));
    this.root.replaceChildren(close,
      el("h3", { style: `--party:${partyColor(t.party)}` }, t.callsign || t.name || t.id),
      fields,
      el("h4", {}, `Last reports (${history.length} kept, ${history.length > 1 ? fmtAge(Date.parse(history.at(-1).time) - Date.parse(history[0].time)) : "none"} of history)`),
      reports);
  }
}
