// app.js: sign-in, the page's layout and the wiring between the live
// picture, the hotline, incidents and the record.

import { api, Stream, el, fmtDuration, partyColor, partyColors, unattributedColor, severityColor, SEVERITY_RANK } from "./api.js";
import { MapView, cpaTime, fmtCPA, fmtIn, fmtUTC } from "./map.js";
import { Hotline, loadPhrases, GO_TO_AWAITING, messageText } from "./hotline.js";
import { Incidents, Record } from "./incidents.js";
import { Notices } from "./notices.js";
import { Trails } from "./trails.js";
import { Notified } from "./notified.js";
import { TargetPanel } from "./target.js";
import { Replay } from "./replay.js";
import { Draw } from "./draw.js";
import { Basemaps } from "./basemap.js";
import { RecordCheck } from "./verify.js";
import { LinkTests } from "./linktest.js";

const $ = (id) => document.getElementById(id);

async function main() {
  $("login-form").addEventListener("submit", onLogin);
  await loadPhrases(); // public: the standard phrases, before any message is shown
  window.addEventListener("deconflict-unauthorized", () => {
    if (started) showLogin("Your session has ended; sign in again.");
  });
  let me;
  try {
    me = await api.me();
  } catch (e) {
    showLogin();
    return;
  }
  start(me);
}

function showLogin(msg) {
  document.body.classList.remove("signed-in");
  $("login").hidden = false;
  $("app").hidden = true;
  $("login-error").textContent = msg || "";
  $("login-username").focus();
}

async function onLogin(e) {
  e.preventDefault();
  const btn = $("login-button");
  btn.disabled = true;
  $("login-error").textContent = "";
  try {
    await api.login($("login-username").value.trim(), $("login-password").value);
    $("login-password").value = "";
    start(await api.me());
  } catch (x) {
    $("login-error").textContent = x.message;
  } finally {
    btn.disabled = false;
  }
}

let started = false;

function start(me) {
  if (started) { location.reload(); return; }
  started = true;
  $("login").hidden = true;
  $("app").hidden = false;
  document.body.classList.add("signed-in");
  const chip = $("me-party");
  chip.textContent = me.party;
  chip.style.setProperty("--party", partyColor(me.party));
  $("me-user").textContent = me.username;
  $("logout").addEventListener("click", async () => {
    try { await api.logout(); } finally { location.hash = ""; location.reload(); }
  });
  setInterval(() => { $("clock").textContent = new Date().toISOString().slice(11, 19) + "Z"; }, 1000);

  // the map
  const map = new MapView($("map"), $("tooltip"));
  map.loadBasemap("/console/assets/map/countries-50m.json").catch((e) => setStatus("picture-status", `basemap: ${e.message}`, "down"));
  $("zoom-in").addEventListener("click", () => map.zoomBy(0.5));
  $("zoom-out").addEventListener("click", () => map.zoomBy(-0.5));
  $("zoom-home").addEventListener("click", () => { map.moved(); map.goHome(); });
  $("legend").replaceChildren(...[...Object.keys(partyColors), "other"].map((p) =>
    el("span", { class: "legend-item" }, el("i", { style: `background:${p === "other" ? unattributedColor : partyColor(p)}` }), p === "other" ? "unattributed" : p)),
    el("span", { class: "legend-item" }, el("i", { style: "background:#fff;border:1.5px solid #555" }), "civilian (hollow: flag's alliance)"));
  const basemaps = new Basemaps(map); // 1:10m coastline when zoomed in
  const trails = new Trails(map, document.querySelector(".map-controls"));
  const notified = new Notified(map, document.querySelector(".map-controls")); // the channel's notified areas
  consoleNotified = notified; // the encounter list names the notifications that explain an encounter
  const target = new TargetPanel(map, document.querySelector(".map-pane"));
  map.onChange = () => renderEncounterList(map);
  setInterval(() => { renderEncounterList(map); map.draw(); }, 1000);
  startPicture(map, () => incidents.refreshSoon());

  // the side panel
  const incidents = new Incidents($("panel-incidents"), me);
  const replay = new Replay(map);
  incidents.onReplay = (ch, inc) => replay.controls(ch, inc);
  const record = new Record($("panel-record"), me);
  const draw = new Draw(map); // areas drawn on the map for the Notices forms
  const notices = new Notices($("panel-notices"), me, draw);
  consoleMe = me;
  const links = new Map();
  const linkTests = new LinkTests(document.querySelector("aside.side"), me); // link tests: answered while signed in
  const hotline = new Hotline($("panel-hotline"), me, {
    onChange: () => renderChannels(),
    onSelect: (ch) => select(ch, "hotline"), // the hotline's keyboard shortcut and links switch the tab too
    onNotices: async (ch, id) => { await select(ch, "notices"); notices.reveal(id); }, // a summary's link to its Notices entry
    onStatus: (ch, s) => { links.set(ch, s); renderLinks(links); if (s === "live") recordCheck.soon(ch); },
    onEnvelope: (ch, v) => {
      recordCheck.soon(ch); // every new entry: verify the new checkpoint
      linkTests.seen(ch, v);
      if (["alert", "ack", "missed-ack", "note"].includes(v.kind) && ch === hotline.selected) incidents.refreshSoon();
      if (["notification", "response", "finding", "measure", "sign", "withdraw", "ack"].includes(v.kind) && ch === hotline.selected && tab === "notices") notices.refresh();
      if (v.kind === "notification" && ch === hotline.selected) notified.refresh();
      if (v.kind === "sign" || v.kind === "withdraw") map.reloadZones(); // a zone measure binds or is withdrawn (the picture's zone event follows)
      if ((v.kind === "message" || v.kind === "alert") && v.payload?.precedence === "flash" && v.author !== me.party) flashAlert(ch, v);
      if (v.kind === "renotify" && (v.payload?.ack_from || []).includes(me.party)) {
        const d = hotline.myDuty(ch, v.payload.ack);
        const orig = hotline.channels.get(ch)?.envs?.get(v.payload.ack);
        if (!d || d.ack_index == null) renotifyAlert(ch, v, orig?.payload && messageText(orig.payload));
      }
    },
  });
  consoleHotline = hotline;
  // the record's check in this browser (verify.js): pinned node key, consistency with what it verified before
  const recordCheck = new RecordCheck(document.querySelector("aside.side"), (ch) => hotline.channels.get(ch)?.envs);
  let tab = "hotline";

  function renderChannels() {
    const nav = $("channels");
    const awaiting = hotline.awaiting();
    nav.replaceChildren(...[...hotline.channels.values()].filter((st) => !st.error).map((st) => {
      const mine = awaiting.filter((a) => a.channel === st.id);
      const flash = mine.some((a) => a.prec === "flash");
      return el("button", {
        type: "button", class: `channel${st.id === hotline.selected ? " selected" : ""}${flash ? " flash" : ""}`,
        "aria-pressed": String(st.id === hotline.selected), "aria-label": `Channel ${st.id}${mine.length ? `, ${mine.length} awaiting acknowledgement` : ""}`,
        dataset: { channel: st.id }, onclick: () => select(st.id, tab),
      }, st.id,
      st.channel.members?.length ? el("small", {}, st.channel.members.join(" · ")) : null,
      mine.length ? el("span", { class: "count await" }, String(mine.length)) : st.unread ? el("span", { class: "count" }, String(st.unread)) : null);
    }));
    // a FLASH toast goes once its message no longer awaits me
    const toast = $("flash-toast");
    if (!toast.hidden) {
      const d = hotline.myDuty(toast.dataset.channel, Number(toast.dataset.index));
      if (d && d.ack_index != null) toast.hidden = true;
    }
    if (!hotline.channels.size || [...hotline.channels.values()].every((st) => st.error)) setStatus("hotline-status", "no channels", "idle");
    const total = awaiting.length;
    $("tab-hotline-count").textContent = total ? String(total) : "";
    $("tab-hotline-count").hidden = !total;
  }

  async function select(ch, t) {
    tab = t || tab;
    history.replaceState(null, "", `#${encodeURIComponent(ch)}/${tab}`);
    for (const name of ["hotline", "incidents", "notices", "record"]) {
      $(`tab-${name}`).setAttribute("aria-selected", String(name === tab));
      $(`tab-${name}`).tabIndex = name === tab ? 0 : -1;
      $(`panel-${name}`).hidden = name !== tab;
    }
    await hotline.open(ch);
    map.setChannel(hotline.channels.get(ch)?.channel); // the map opens on where the channel's parties meet
    recordCheck.select(ch);
    linkTests.select(ch);
    if (tab === "incidents") await incidents.show(ch);
    if (tab === "record") { await record.show(ch); recordCheck.summary($("panel-record"), ch); }
    if (tab === "notices") await notices.show(ch);
    renderChannels();
  }

  const tabs = ["hotline", "incidents", "notices", "record"];
  for (const name of tabs) {
    $(`tab-${name}`).addEventListener("click", () => hotline.selected && select(hotline.selected, name));
    $(`tab-${name}`).addEventListener("keydown", (e) => {
      const i = tabs.indexOf(name);
      const next = e.key === "ArrowRight" ? tabs[(i + 1) % tabs.length] : e.key === "ArrowLeft" ? tabs[(i + tabs.length - 1) % tabs.length] : null;
      if (next) { e.preventDefault(); $(`tab-${next}`).focus(); select(hotline.selected, next); }
    });
  }

  hotline.load().then(() => {
    for (const id of hotline.channels.keys()) if (id !== hotline.selected) linkTests.check(id);
    const [ch, t] = decodeURIComponent(location.hash.slice(1)).split("/");
    // start where something awaits me, else on the first channel
    const first = hotline.awaiting()[0]?.channel || hotline.channels.keys().next().value;
    if (ch) select(ch, tabs.includes(t) ? t : "hotline");
    else if (first) select(first, "hotline");
    else { hotline.emptyText = `${me.party} belongs to no channel on this node.`; hotline.render(); renderChannels(); }
  }).catch((e) => {
    if (e.code === "unauthorized") showLogin("Your session has ended; sign in again.");
    else { hotline.emptyText = e.message; hotline.render(); }
  });
  window.addEventListener("hashchange", () => {
    const [ch, t] = decodeURIComponent(location.hash.slice(1)).split("/");
    if (ch && (ch !== hotline.selected || (t && t !== tab))) select(ch, tabs.includes(t) ? t : tab);
  });
  window.deconflictConsole = { map, hotline, incidents, record, recordCheck }; // for tests and the curious
  Object.assign(window.deconflictConsole, { trails, notified, notices, target, replay, linkTests, basemaps, draw });
}

function flashAlert(ch, v) {
  const box = $("flash-toast");
  box.hidden = false;
  box.dataset.channel = ch;
  box.dataset.index = String(v.index);
  const from = v.kind === "alert" ? "FLASH alert" : `FLASH from ${v.author}${v.payload.officer ? ` (${v.payload.officer})` : ""}`;
  box.replaceChildren(el("strong", {}, `${from} on ${ch}`), el("div", {}, messageText(v.payload)),
    el("button", { type: "button", "aria-label": "Open the FLASH message", "aria-keyshortcuts": GO_TO_AWAITING, onclick: () => openFromToast(box, ch, v.index) }, "Open"),
    el("button", { type: "button", class: "link-button", "aria-label": "Dismiss", onclick: () => { box.hidden = true; } }, "Dismiss"),
    toastHint());
  box.onkeydown = toastKeys;
}

// openFromToast goes to the message with the keyboard focus on it
// (hotline.js: on its Acknowledge button).
function openFromToast(box, ch, index) {
  box.hidden = true;
  consoleHotline?.goToMessage(ch, index);
}

// toastHint tells the keyboard shortcut that reaches the message.
function toastHint() {
  return el("span", { class: "kbd-hint" }, "or press ", el("kbd", {}, GO_TO_AWAITING));
}

// toastKeys: Escape dismisses the toast the focus is in.
function toastKeys(e) {
  if (e.key === "Escape") { e.preventDefault(); e.currentTarget.hidden = true; }
}

// renotifyAlert shows the node's re-notification of a message that still
// awaits my acknowledgement, with a short soft tone unless this session
// turned sound off.
function renotifyAlert(ch, v, text) {
  const box = $("flash-toast");
  box.hidden = false;
  box.dataset.channel = ch;
  box.dataset.index = String(v.payload.ack);
  box.classList.add("renotify");
  const soundOn = () => sessionStorage.getItem("deconflict-sound") !== "off";
  const toggle = el("button", { type: "button", class: "link-button sound-toggle", "aria-pressed": String(!soundOn()),
    onclick: () => { sessionStorage.setItem("deconflict-sound", soundOn() ? "off" : "on"); toggle.textContent = soundOn() ? "Sound off" : "Sound on"; toggle.setAttribute("aria-pressed", String(!soundOn())); } },
    soundOn() ? "Sound off" : "Sound on");
  box.replaceChildren(el("strong", {}, `RE-NOTIFICATION on ${ch}: ${String(v.payload.precedence || "").toUpperCase()} #${v.payload.ack} awaits your acknowledgement`),
    el("div", {}, text || v.payload.text), el("div", {}, `re-notification ${(v.payload.body || {}).count || ""} of ${(v.payload.body || {}).max || ""}`),
    el("button", { type: "button", "aria-label": "Open the message", "aria-keyshortcuts": GO_TO_AWAITING, onclick: () => openFromToast(box, ch, v.payload.ack) }, "Open"),
    el("button", { type: "button", class: "link-button", "aria-label": "Dismiss", onclick: () => { box.hidden = true; } }, "Dismiss"), toggle, toastHint());
  box.onkeydown = toastKeys;
  if (soundOn()) chime();
  // the browser's desktop notification, where the officer allowed it
  if (window.Notification && Notification.permission === "granted" && document.hidden) {
    try { new Notification(`deconflict: re-notification on ${ch}`, { body: text || v.payload.text, tag: `renotify-${ch}-${v.payload.ack}` }); } catch (_) { /* not allowed here */ }
  }
}

// chime plays a short, quiet two-tone (no file, no loop).
function chime() {
  try {
    const ctx = new (window.AudioContext || window.webkitAudioContext)();
    const g = ctx.createGain();
    g.gain.value = 0.06;
    g.connect(ctx.destination);
    [660, 880].forEach((f, i) => {
      const o = ctx.createOscillator();
      o.frequency.value = f;
      o.connect(g);
      o.start(ctx.currentTime + i * 0.18);
      o.stop(ctx.currentTime + i * 0.18 + 0.14);
    });
    setTimeout(() => ctx.close(), 800);
  } catch (_) { /* no audio: the toast is enough */ }
}

function renderLinks(links) {
  const states = [...links.values()];
  const s = states.includes("down") ? "down" : states.includes("connecting") ? "connecting" : "live";
  setStatus("hotline-status", `hotline ${s}`, s);
}

function setStatus(id, text, state) {
  const n = $(id);
  n.textContent = text;
  n.className = `link ${state}`;
}

function startPicture(map, onEncounter) {
  const load = async () => {
    try {
      const [pic, encs, zones] = await Promise.all([api.picture(), api.encounters(), api.zones()]);
      map.setTracks(pic.tracks || []);
      map.setEncounters(encs || []);
      map.setZones(zones || []);
    } catch (e) {
      setStatus("picture-status", e.code === "unavailable" || e.code === "not_found" ? "no live picture on this node" : `picture: ${e.message}`, "down");
      setTimeout(load, 30000);
      return;
    }
    let fresh = true;
    new Stream(() => "/v1/picture/watch", (m) => {
      if (m.type === "track") map.upsertTrack(m.track);
      else if (m.type === "removed") map.removeTrack(m.id);
      else if (m.type === "zone") map.reloadZones(); // added or removed, and GET /v1/zones has it
      else if (m.type === "encounter") {
        map.upsertEncounter(m.encounter, m.event);
        if (m.event !== "updated") onEncounter(); // incidents change with alerts, not with each prediction
      }
    }, (s) => {
      // a reconnect starts with the whole picture again: drop what may be gone
      if (s === "live" && !fresh) { map.setTracks([]); map.setEncounters([]); }
      if (s === "live") fresh = false;
      setStatus("picture-status", `picture ${s}`, s);
    });
  };
  load();
}

// askButton offers, on an unexplained encounter with another party's
// track, to file a vd11-explanation request citing it on a channel both
// parties share.
let consoleMe = null, consoleHotline = null, consoleNotified = null;
const asked = new Map(); // encounter id -> what the request became
function askButton(e) {
  const me = consoleMe?.party;
  if (!me || e.explained_by?.length || !e.b) return null;
  const other = e.party_a === me ? e.party_b : e.party_b === me ? e.party_a : null;
  if (!other) return null;
  if (asked.has(e.id)) return el("span", { class: "small" }, asked.get(e.id));
  const ch = [...(consoleHotline?.channels.values() || [])].find((st) => st.channel?.members?.includes(me) && st.channel.members.includes(other));
  if (!ch) return null;
  return el("button", { type: "button", class: "ask", dataset: { ask: e.id }, "aria-label": `Ask ${other} for an explanation of encounter ${e.id}`, onclick: async () => {
    const form = { regime: "vd11-explanation", state: me, to: other, encounter: e.id,
      text: `Request for explanation of unusual military activity: ${e.a} and ${e.b}, ${e.severity} encounter (${e.incident || e.id}).` };
    try {
      const r = await api.post("/v1/console/notify", { channel: ch.id, form });
      asked.set(e.id, `explanation requested on ${ch.id} (#${r.index})`);
    } catch (err) { asked.set(e.id, `request failed: ${err.message}`); }
  } }, "Ask for explanation");
}

function renderEncounterList(map) {
  const list = map.openEncounters().sort((a, b) => (SEVERITY_RANK[b.severity] || 0) - (SEVERITY_RANK[a.severity] || 0));
  const box = $("encounters");
  const now = Date.now();
  $("encounter-count").textContent = String(list.length);
  const items = list.map((e) => {
    const at = cpaTime(e);
    const p = e.prediction || {};
    return el("li", {},
      el("button", {
        type: "button", class: "encounter", style: `--sev:${severityColor(e.severity)}`, dataset: { id: e.id },
        "aria-label": `${e.severity} encounter ${e.party_a} ${map.trackLabel(e.a)} and ${e.b ? e.party_b + " " + map.trackLabel(e.b) : "zone " + e.zone}; show on map`,
        onclick: () => map.focusEncounter(e),
      },
      el("span", { class: "badge sev", style: `--sev:${severityColor(e.severity)}` }, e.severity.toUpperCase()),
      el("span", {}, el("b", { style: `color:${partyColor(e.party_a)}` }, e.party_a), ` ${map.trackLabel(e.a)} ↔ `,
        e.b ? [el("b", { style: `color:${partyColor(e.party_b)}` }, e.party_b), ` ${map.trackLabel(e.b)}`] : `zone ${e.zone}`),
      el("span", { class: "domain" }, e.domain),
      el("span", { class: "cpa" }, e.kind === "shadowing"
        ? `shadowing since ${e.since ? fmtUTC(e.since) : "?"}, closest ${fmtCPA({ cpa_m: p.cpa_m })}`
        : e.zone
          ? (p.severity === "intrusion" ? "inside the zone" : at == null ? "near the zone" : `enters the zone ${fmtIn(at - now)} (${fmtUTC(at)})`)
          : `CPA ${fmtCPA(p)}${at == null ? "" : at > now ? ` at ${fmtUTC(at)}, ${fmtIn(at - now)}` : " now"}`)),
      el("span", { class: `explained${e.explained_by?.length ? "" : " unexplained"}`, dataset: { explained: e.id } },
        e.explained_by?.length ? `explained by ${e.explained_by.map((l) => consoleNotified?.explains(l) || l).join("; ")}` : "unexplained"),
      askButton(e));
  });
  box.replaceChildren(...(items.length ? items : [el("li", { class: "empty" }, "No open encounters")]));
}

main();
