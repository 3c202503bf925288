// Notifications, findings and agreed measures of a channel: their state,
// a form to file each regime's notification, responses, and the Sign
// button that shows exactly what is signed.
import { api, el, fmtDateTime, fmtDuration } from "./api.js";
import { fmtWindow } from "./map.js";

const enc = encodeURIComponent;

// templates gives a starting form per regime (every regime of the node:
// regime.Regimes) for the signed-in party; other is the channel's other
// member, the one asked in requests.
export function templates(party, other = "") {
  const day = (d) => new Date(Date.now() + d * 86400e3).toISOString().slice(0, 10);
  const at = (h) => new Date(Date.now() + h * 3600e3).toISOString().slice(0, 19) + "Z";
  const area = { polygon: [[54.4, 19.9], [54.4, 22.8], [55.3, 22.8], [55.3, 19.9]] };
  const year = new Date().getUTCFullYear() + 1; // next year's calendar (due 15 November)
  return {
    "vd11-prior": { regime: "vd11-prior", state: party, designation: "EXERCISE", purpose: "exercise", start: day(60), end: day(66), troops: 12800, area },
    "vd11-calendar": { regime: "vd11-calendar", state: party, year, entries: [
      { designation: "EXERCISE", purpose: "exercise", start: [`${year}-03-01`, `${year}-03-14`], end: `${year}-03-20`, troops: 14000, area }] },
    "vd11-explanation": { regime: "vd11-explanation", state: party, to: other, text: "Request for explanation of unusual military activity", meeting: false },
    "vd11-hazard": { regime: "vd11-hazard", state: party, to: other, text: "Hazardous incident of a military nature" },
    "launch-1988": { regime: "launch-1988", state: party, missile: "icbm", start: at(48), end: at(72),
      launch_area: { circle: { lat: 62.93, lon: 40.45, radius_m: 30000 } }, impact_area: { circle: { lat: 56.9, lon: 160.3, radius_m: 60000 } } },
    "incsea-notice": { regime: "incsea-notice", state: party, designation: "LIVE FIRING", start: day(4), end: day(5), area: { circle: { lat: 55.2, lon: 15.2, radius_m: 15000 }, alt_m: [0, 12000] } },
    "intention": { regime: "intention", state: party, designation: "TRANSIT", purpose: "transit", start: at(1), end: at(48), area },
  };
}

// leftText says how long is left until a deadline, ms ahead.
function leftText(left) { return left > 0 ? `${fmtDuration(left)} left` : "passed"; }

// windowOf gives a notification's window; a launch without an end is
// the node's 24 h from its planned start (regime.LaunchWindow).
export function windowOf(n) {
  const f = n.form;
  if (n.regime === "launch-1988" && !f.end && !isNaN(Date.parse(f.start))) {
    return `${fmtWindow(f.start, new Date(Date.parse(f.start) + 24 * 3600e3).toISOString())} (no end given: 24 h)`;
  }
  return fmtWindow(f.start, f.end);
}

// headline names a notification: its designation, else what it is
// ("annual calendar 2027, 3 entries", "request to NATO", "icbm launch").
export function headline(n) {
  const f = n.form || {};
  if (f.designation) return f.designation;
  switch (n.regime) {
    case "vd11-calendar": { const k = Array.isArray(f.entries) ? f.entries.length : 0; return `annual calendar ${f.year}, ${k} ${k === 1 ? "entry" : "entries"}`; }
    case "vd11-explanation": return `request for explanation to ${f.to}`;
    case "vd11-hazard": return `hazardous incident report to ${f.to}`;
    case "launch-1988": return `${f.missile || "missile"} launch`;
    default: return n.regime;
  }
}

// areaFields lists the areas of a form that can be drawn: its own (area,
// launch_area, impact_area) and its phases' and calendar entries'
// ("phases[0].area", "entries[1].area"), as paths.
export function areaFields(f) {
  const out = ["area", "launch_area", "impact_area"].filter((k) => k in f);
  for (const list of ["entries", "phases"]) {
    if (Array.isArray(f[list])) f[list].forEach((_, i) => out.push(`${list}[${i}].area`));
  }
  return out;
}

// getPath and setPath read and write a form's field by its path
// ("area", "entries[0].area").
function pathKeys(path) { return path.replace(/\[(\d+)\]/g, ".$1").split("."); }
function getPath(f, path) {
  return pathKeys(path).reduce((o, k) => (o && typeof o === "object" ? o[k] : undefined), f);
}
function setPath(f, path, v) {
  const ks = pathKeys(path);
  let o = f;
  for (const k of ks.slice(0, -1)) {
    if (!o[k] || typeof o[k] !== "object") o[k] = {};
    o = o[k];
  }
  o[ks[ks.length - 1]] = v;
}

// keepDraft restores a form's draft (its kind and text) or fills it anew,
// and keeps the draft as the officer changes it.
function keepDraft(drafts, name, sel, text, fill) {
  const d = drafts[name];
  if (d) { sel.value = d.kind; fill(); text.value = d.text; } else fill();
  const save = () => { drafts[name] = { kind: sel.value, text: text.value }; };
  sel.addEventListener("change", save);
  text.addEventListener("input", save);
}

export class Notices {
  constructor(root, me, draw = null) {
    this.root = root;
    this.me = me;
    this.draw = draw;     // draw.js: areas drawn on the map for the forms
    this.drafts = {};     // form -> {kind, text}: what the officer chose, typed or drew, kept across reloads of the panel
    this.channel = null;
    this.signing = false; // a signature is being confirmed: live updates wait
    this.seq = 0;         // bumped by each user step; a reload begun before one is dropped
    this.root.replaceChildren(el("p", { class: "empty" }, "Choose a channel."));
    setInterval(() => this.tick(), 15000);
  }

  // tick keeps the time left to each deadline shown current.
  tick() {
    const now = Date.now();
    for (const s of this.root.querySelectorAll("span.left[data-due]")) s.textContent = leftText(new Date(s.dataset.due) - now);
  }

  async show(channel) {
    if (channel !== this.channel) { this.drafts = {}; this.revealed = null; }
    this.channel = channel;
    this.signing = false;
    await this.refresh(true);
  }

  // refresh reloads the panel; a live update does not wipe a signature
  // being confirmed or a form being typed (force: after an action).
  async refresh(force = false) {
    const ch = this.channel;
    if (!ch) return;
    const a = document.activeElement;
    if (!force && (this.signing || this.draw?.active || (a && this.root.contains(a) && a.tagName === "TEXTAREA"))) return;
    const seq = this.seq;
    let ns, fs, rules, chv;
    try {
      [ns, fs, rules, chv] = await Promise.all([
        api.get(`/v1/channels/${enc(ch)}/notifications`), api.get(`/v1/channels/${enc(ch)}/findings`), api.get(`/v1/channels/${enc(ch)}/measures`),
        api.get(`/v1/channels/${enc(ch)}`)]);
    } catch (e) {
      this.root.replaceChildren(el("p", { class: "error-box", role: "alert" }, e.message));
      return;
    }
    if (ch !== this.channel || seq !== this.seq || this.draw?.active) return; // an area being drawn keeps its form
    // the member asked in a request: the channel's other member, when there is one
    const others = (chv?.members || []).filter((m) => m !== this.me.party);
    this.other = others.length === 1 ? others[0] : "";
    this.root.replaceChildren(
      el("h3", {}, `Notifications on ${ch}`), this.notifications(ns || []),
      el("h3", {}, "Findings"), this.findings(fs || []),
      el("h3", {}, "Measures"), this.measures(rules?.measures || []),
      this.fileForm(), this.proposeForm());
    this.showRevealed();
  }

  // reveal scrolls to and marks an entry of the tab: "notice-12",
  // "finding-13", "measure-5" (the hotline's links to the tab); it stays
  // marked across live redraws until another channel is shown.
  reveal(id) {
    this.revealed = id;
    this.showRevealed(true);
  }

  showRevealed(focus = false) {
    for (const n of this.root.querySelectorAll(".revealed")) n.classList.remove("revealed");
    const n = this.revealed && document.getElementById(this.revealed);
    if (!n || !this.root.contains(n)) return;
    n.classList.add("revealed");
    if (focus) { n.scrollIntoView({ block: "center" }); n.focus({ preventScroll: true }); }
  }

  // drawButton is the "Draw area on map" button of a form's textarea: the
  // area drawn replaces the polygon or circle of the field that field()
  // names ("area", "impact_area", "entries[0].area": a path) (keeping its other terms, such as alt_m) in the JSON, which
  // stays editable by hand; prepare(form) may first change the form.
  drawButton(id, text, err, field, prepare = (f) => f) {
    const b = el("button", { type: "button", id, class: "draw-area", "aria-pressed": "false" }, "Draw area on map");
    if (!this.draw) b.hidden = true;
    const reset = () => { b.setAttribute("aria-pressed", "false"); b.textContent = "Draw area on map"; };
    b.addEventListener("click", () => {
      if (this.draw.active) { this.draw.active.cancel(); return; }
      let form;
      try { form = JSON.parse(text.value); } catch (e) { err.textContent = `not JSON: ${e.message}`; return; }
      err.textContent = "";
      this.seq++; // a reload begun before keeps away from the form being drawn into
      b.setAttribute("aria-pressed", "true");
      b.textContent = "Drawing… (Escape cancels)";
      this.draw.start((area) => {
        reset();
        const f = prepare(form), k = field(f), cur = getPath(f, k);
        const old = cur && typeof cur === "object" ? { ...cur } : {};
        delete old.polygon; delete old.circle;
        setPath(f, k, { ...area, ...old });
        text.value = JSON.stringify(f, null, 1);
        text.dispatchEvent(new Event("input"));
        text.focus();
      }, reset);
    });
    // a form edited by hand shows its area
    text.addEventListener("input", () => {
      if (!this.draw || this.draw.active) return;
      try { const f = JSON.parse(text.value); this.draw.show(getPath(f, field(f))); } catch (_) { /* still being typed */ }
    });
    return b;
  }

  notifications(ns) {
    if (!ns.length) return el("p", { class: "empty" }, "No notifications.");
    return el("ul", { class: "notices", id: "notification-list" }, ...ns.map((n) => {
      const due = n.deadline || n.reply_due;
      const left = due ? new Date(due) - Date.now() : null;
      // the time left is kept current by tick()
      const dueText = due ? [` · ${n.deadline ? "deadline" : "reply due"} ${fmtDateTime(due)} (`, el("span", { class: "left", dataset: { due } }, leftText(left)), ")"] : " · no deadline";
      const mine = n.state === this.me.party;
      const respond = (r, label = r) => el("button", { type: "button", dataset: { respond: r, index: String(n.index) },
        onclick: () => this.act(() => api.post("/v1/console/respond", { channel: this.channel, index: n.index, response: r })) }, label);
      // the meeting a request for explanation asked for is recorded by either of its two states
      const meeting = n.regime === "vd11-explanation" && n.form?.meeting && (mine || n.form.to === this.me.party) ? respond("meeting", "meeting held") : null;
      const actions = mine ? [meeting] : [
        n.acks.includes(this.me.party) ? null : el("button", { type: "button", onclick: () => this.act(() => api.ack(this.channel, n.index)) }, "Acknowledge"),
        ...["accept", "question", "object", "answer"].map((r) => respond(r)), meeting,
      ];
      return el("li", { class: n.findings.length ? "notice has-finding" : "notice", id: `notice-${n.index}`, tabindex: "-1", dataset: { index: String(n.index) } },
        el("div", {}, el("span", { class: "badge kind" }, n.regime), " ", el("b", {}, headline(n)), ` by ${n.state} (#${n.index})`),
        n.form?.start && !Array.isArray(n.form.start) ? el("div", { class: "small window" }, `window ${windowOf(n)}`) : null,
        el("div", { class: "small due" }, `received ${fmtDateTime(n.received)}`, dueText,
          n.notifiable ? " · notifiable" : "", n.observable ? " · observable" : ""),
        el("div", { class: "small" }, `acknowledged by: ${n.acks.join(", ") || "awaiting"}`,
          n.responses.length ? ` · responses: ${n.responses.map((r) => `${r.author}${r.officer ? ` (${r.officer})` : ""} ${r.response}`).join(", ")}` : ""),
        n.findings.length ? el("div", {}, ...n.findings.map((f) => el("span", { class: "badge finding" }, f))) : null,
        actions.some(Boolean) ? el("div", { class: "actions" }, ...actions) : null);
    }));
  }

  findings(fs) {
    if (!fs.length) return el("p", { class: "empty" }, "No findings.");
    return el("ul", { class: "findings", id: "finding-list" }, ...fs.map((f) =>
      el("li", { class: "finding-item", id: `finding-${f.index}`, tabindex: "-1", dataset: { index: String(f.index) } }, el("span", { class: "badge finding" }, f.code + (f.rule ? ` ${f.rule}` : "")), ` #${f.index} `, f.text)));
  }

  measures(ms) {
    if (!ms.length) return el("p", { class: "empty" }, "No measures.");
    return el("ul", { class: "measures", id: "measure-list" }, ...ms.map((m) => {
      const awaitingMe = m.state === "proposed" && (m.awaiting || []).includes(this.me.party);
      const box = el("div", { class: "sign-box" });
      const sign = awaitingMe ? el("button", { type: "button", class: "primary", dataset: { sign: String(m.index) }, onclick: () => this.confirmSign(m, box, false) }, "Sign…") : null;
      const withdraw = m.state === "binding" && !m.withdrawn_by ? el("button", { type: "button", onclick: () => this.confirmSign(m, box, true) }, "Withdraw…") : null;
      return el("li", { class: `measure measure-${m.state}`, id: `measure-${m.index}`, tabindex: "-1", dataset: { index: String(m.index) } },
        el("div", {}, el("span", { class: "badge kind" }, m.kind), ` #${m.index} `, el("b", {}, m.state),
          m.binding_since != null ? ` since #${m.binding_since}` : "", m.withdrawn_by ? ` · withdrawn by ${m.withdrawn_by}, lapses ${fmtDateTime(m.lapses)}` : ""),
        el("div", { class: "small" }, `signed by ${(m.signed_by || []).join(", ")}`, m.awaiting?.length ? ` · awaiting ${m.awaiting.join(", ")}` : ""),
        el("pre", { class: "mono small" }, JSON.stringify(m.terms)), sign, withdraw, box);
    }));
  }

  // confirmSign shows the exact bytes logged at the proposal's index and
  // their leaf hash before signing them.
  async confirmSign(m, box, withdraw) {
    this.signing = true;
    this.seq++;
    let env;
    try {
      [env] = await api.get(`/v1/channels/${enc(this.channel)}/envelopes?from=${m.index}&limit=1`);
    } catch (e) {
      box.replaceChildren(el("p", { class: "error-box" }, e.message));
      return;
    }
    box.replaceChildren(
      el("p", {}, withdraw ? "You withdraw from the measure whose signed proposal is:" : "You sign exactly these bytes (the proposal as logged):"),
      el("pre", { class: "mono small", id: "sign-bytes" }, atob(env.payload_b64)),
      el("p", { class: "small" }, "Leaf hash: ", el("span", { class: "mono" }, env.leaf_hash)),
      el("button", { type: "button", class: "primary", id: "sign-confirm", onclick: () => this.act(() => api.post("/v1/console/measure", { channel: this.channel, index: m.index, withdraw })) },
        withdraw ? "Confirm withdrawal" : "Confirm signature"));
  }

  // errorBox is a form's error line; what it says (say) is kept with the
  // drafts and written into the line on the page now, so that a live
  // update redrawing the tab while the node answers does not lose the
  // node's refusal.
  errorBox(id) {
    const box = el("div", { class: "form-error", role: "alert", id }, this.drafts[id] || "");
    box.say = (text) => {
      if (text) this.drafts[id] = text; else delete this.drafts[id];
      const shown = [...this.root.querySelectorAll(".form-error")].find((n) => n.id === id);
      (shown || box).textContent = text;
    };
    return box;
  }

  fileForm() {
    const t = templates(this.me.party, this.other);
    const sel = el("select", { id: "notify-regime", "aria-label": "Regime" }, ...Object.keys(t).map((r) => el("option", { value: r }, r)));
    const text = el("textarea", { id: "notify-form", rows: "8", "aria-label": "Notification form (JSON)", class: "mono small" });
    const err = this.errorBox("notify-error");
    // the area field drawn into: the one the regime has, or the one chosen
    const fields = el("select", { id: "notify-draw-field", "aria-label": "Area to draw" });
    const areaField = () => fields.value || "area";
    // the areas offered: those of the form as it stands (an entry or a
    // phase added by hand is offered too)
    const offer = (f) => {
      const ks = areaFields(f), was = fields.value;
      if (ks.join() === [...fields.options].map((o) => o.value).join()) return;
      fields.replaceChildren(...ks.map((k) => el("option", { value: k }, k)));
      if (ks.includes(was)) fields.value = was;
      fields.hidden = ks.length < 2;
    };
    const fill = (show) => {
      text.value = JSON.stringify(t[sel.value], null, 1);
      offer(t[sel.value]);
      if (show) this.draw?.show(getPath(t[sel.value], areaField()));
    };
    sel.addEventListener("change", () => { err.say(""); fill(true); });
    keepDraft(this.drafts, "notify", sel, text, () => fill(false));
    text.addEventListener("input", () => { try { offer(JSON.parse(text.value)); } catch (_) { /* still being typed */ } });
    if (this.drafts.notify) { try { offer(JSON.parse(text.value)); } catch (_) { /* a draft not JSON */ } }
    const submit = async () => {
      err.say("");
      let form;
      try { form = JSON.parse(text.value); } catch (e) { err.say(`not JSON: ${e.message}`); return; }
      try {
        await api.post("/v1/console/notify", { channel: this.channel, form });
        delete this.drafts.notify;
        await this.refresh(true);
      } catch (e) { err.say(e.code ? `${e.code}: ${e.message}` : e.message); } // the node's code and reason, naming the field
    };
    return el("details", { class: "notify-form" }, el("summary", {}, "File a notification"),
      el("p", { class: "hint" }, "Areas are {\"polygon\": [[lat, lon], ...]} or {\"circle\": {\"lat\", \"lon\", \"radius_m\"}}; the node derives from the numbers whether an activity is notifiable or observable."),
      sel, text, el("div", { class: "draw-row" }, this.drawButton("notify-draw", text, err, areaField), fields),
      el("button", { type: "button", class: "primary", id: "notify-submit", onclick: submit }, "File"), err);
  }

  proposeForm() {
    const kinds = {
      separation: { kind: "separation", domain: "sea", tier: "dangerous", distance_m: 2000 },
      zone: { kind: "zone", name: "SPECIAL CAUTION AREA", zone_kind: "special-caution-area", area: { polygon: [[55.0, 18.0], [55.0, 19.5], [55.8, 19.5], [55.8, 18.0]] }, entry_notice_s: 3600, min_separation_m: 1000 },
      "ack-deadlines": { kind: "ack-deadlines", flash_s: 300, immediate_s: 1800 },
      relevance: { kind: "relevance", area: { circle: { lat: 55.5, lon: 18.5, radius_m: 30000 } }, civilian: true },
    };
    const sel = el("select", { id: "measure-kind", "aria-label": "Measure kind" }, ...Object.keys(kinds).map((k) => el("option", { value: k }, k)));
    const text = el("textarea", { id: "measure-terms", rows: "4", class: "mono small", "aria-label": "Measure terms (JSON)" });
    sel.addEventListener("change", () => { text.value = JSON.stringify(kinds[sel.value], null, 1); this.draw?.show(kinds[sel.value].area); });
    keepDraft(this.drafts, "measure", sel, text, () => { text.value = JSON.stringify(kinds.separation); });
    const err = this.errorBox("measure-error");
    // drawing into a measure without an area makes it a zone
    const toZone = (f) => (f.kind === "zone" || f.kind === "relevance" ? f : (sel.value = "zone", { ...kinds.zone }));
    const submit = async () => {
      err.say("");
      try {
        await api.post("/v1/console/measure", { channel: this.channel, terms: JSON.parse(text.value) });
        delete this.drafts.measure;
        await this.refresh(true);
      } catch (e) { err.say(e.code ? `${e.code}: ${e.message}` : e.message); }
    };
    return el("details", { class: "notify-form" }, el("summary", {}, "Propose a measure"),
      el("p", { class: "hint" }, "Kinds: separation, zone, notification-threshold, ack-deadlines, relevance. It binds once every member has signed it."),
      sel, text, el("div", { class: "draw-row" }, this.drawButton("measure-draw", text, err, () => "area", toZone)),
      el("button", { type: "button", class: "primary", id: "measure-submit", onclick: submit }, "Propose"), err);
  }

  async act(f) {
    this.signing = false;
    this.seq++;
    try { await f(); } catch (e) { this.root.prepend(el("p", { class: "error-box", role: "alert" }, e.message)); return; }
    await this.refresh(true);
  }
}
