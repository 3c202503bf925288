// hotline.js: the signed-in party's channels, their messages as threads,
// acknowledgement duties with countdowns, and sending.

import { api, Stream, el, fmtTime, fmtDuration, partyColor } from "./api.js";
import { AttachPicker, attachmentList } from "./attach.js";
import { fmtWhen } from "./map.js";
import { headline, windowOf } from "./notices.js";

const PRECEDENCES = ["flash", "immediate", "priority", "routine"];
const MAX_THREADS = 300;

// GO_TO_AWAITING is the keyboard shortcut (docs/console.md) that takes the
// officer to the most urgent message awaiting their acknowledgement, FLASH
// first, with the keyboard focus on its Acknowledge button: Enter then
// acknowledges. It matches the key's position (KeyF), not its letter, so
// that it works in a Russian or French layout too.
export const GO_TO_AWAITING = "Alt+Shift+F";
const isGoToAwaiting = (e) => e.altKey && e.shiftKey && !e.ctrlKey && !e.metaKey && e.code === "KeyF";

// ChannelState is what the console knows of one channel: its envelopes
// (as the API views them), its acknowledgement duties and its live stream.
class ChannelState {
  constructor(ch) {
    this.id = ch.id;
    this.channel = ch;
    this.envs = new Map(); // index -> envelope view
    this.last = -1;        // highest index seen
    this.duties = [];
    this.error = null;
    this.stream = null;
    this.unread = 0;
  }
}

export class Hotline {
  // root: the panel element; me: {party, username, can_sign}; onChange is
  // called when something the rest of the page shows changes; onSelect
  // shows a channel's hotline (the page's tabs: app.js).
  // onNotices(channel, id) shows an entry of the Notices tab ("notice-12",
  // "finding-13", "measure-5").
  constructor(root, me, { onChange = () => {}, onStatus = () => {}, onEnvelope = () => {}, onSelect = null, onNotices = null } = {}) {
    this.root = root;
    this.me = me;
    this.onChange = onChange;
    this.onStatus = onStatus;
    this.onEnvelope = onEnvelope;
    this.onSelect = onSelect || ((ch) => this.open(ch));
    this.onNotices = onNotices;
    this.signedOpen = new Set(); // "channel:index" of the cards whose signed text is shown
    this.focusAfter = null; // the card to focus once its acknowledgement is shown
    this.onKey = (e) => { if (isGoToAwaiting(e)) { e.preventDefault(); this.goToAwaiting(); } };
    document.addEventListener("keydown", this.onKey);
    this.channels = new Map();
    this.selected = null;
    this.replyTo = null;
    this.emptyText = "";
    this.dutyTimers = new Map();
    this.build();
    this.tick = setInterval(() => this.updateCountdowns(), 1000);
  }

  build() {
    this.banner = el("div", { class: "await-banner", role: "alert", hidden: true });
    // what keyboard actions did, for screen readers (and the tests)
    this.status = el("div", { class: "sr-only", role: "status", "aria-live": "polite", id: "hotline-announce" });
    this.thread = el("div", { class: "thread", "aria-live": "polite", "aria-label": "Messages" });
    this.replyChip = el("div", { class: "reply-chip", hidden: true });
    this.prec = el("select", { id: "send-precedence", "aria-label": "Precedence" },
      PRECEDENCES.map((p) => el("option", { value: p, selected: p === "routine" }, p.toUpperCase())));
    this.text = el("textarea", { id: "send-text", rows: 2, "aria-label": "Message text", placeholder: "Message to the other side…" });
    this.sendBtn = el("button", { type: "submit", class: "primary", id: "send-button", "aria-label": "Send message" }, "Send");
    this.sendErr = el("div", { class: "form-error", role: "alert" });
    // a standard phrase (docs/phrases.md) instead of, or besides, free text
    this.phrase = el("select", { id: "send-phrase", "aria-label": "Standard phrase" },
      el("option", { value: "" }, "Free text"),
      [...(phraseTable || new Map()).values()].map((p) => el("option", { value: p.code }, p.code)));
    this.params = el("span", { class: "phrase-params" });
    this.phrase.addEventListener("change", () => this.renderParams());
    this.prec.addEventListener("change", () => this.form.classList.toggle("flash", this.prec.value === "flash"));
    this.text.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); this.form.requestSubmit(); }
    });
    this.attach = new AttachPicker(); // attach.js
    this.form = el("form", { class: "compose", "aria-label": "Send a message", onsubmit: (e) => { e.preventDefault(); this.send(); } },
      this.replyChip,
      el("div", { class: "compose-row" },
        el("label", { for: "send-precedence", class: "sr-only" }, "Precedence"), this.prec,
        el("label", { for: "send-text", class: "sr-only" }, "Message"), this.text, this.sendBtn),
      el("div", { class: "compose-row phrase-row" },
        el("label", { for: "send-phrase", class: "sr-only" }, "Standard phrase"), this.phrase, this.params),
      this.attach.element,
      this.sendErr);
    if (!this.me.can_sign) {
      this.sendBtn.disabled = true;
      this.attach.input.disabled = true;
      this.sendErr.textContent = `This node does not host ${this.me.party}'s key: you can read and not sign.`;
    }
    this.root.replaceChildren(this.banner, this.status, this.thread, this.form);
  }

  async load() {
    const list = await api.channels();
    for (const ch of list) {
      const st = new ChannelState(ch);
      this.channels.set(ch.id, st);
    }
    await Promise.all([...this.channels.values()].map((st) => this.loadChannel(st)));
    this.onChange();
  }

  async loadChannel(st) {
    try {
      let from = 0;
      for (;;) {
        const page = await api.envelopes(st.id, from);
        for (const v of page) this.add(st, v, false);
        if (page.length < 1000) break;
        from = page[page.length - 1].index + 1;
      }
      st.duties = await api.acks(st.id);
      st.error = null;
    } catch (e) {
      st.error = e;
      return;
    }
    st.stream = new Stream(() => `/v1/channels/${encodeURIComponent(st.id)}/watch?after=${st.last}`,
      (v) => this.add(st, v, true), (s) => this.onStatus(st.id, s));
  }

  // open selects a channel, also one the party is not known to belong to:
  // the node answers not_found for a channel it may not read.
  async open(id) {
    this.selected = id;
    this.replyTo = null;
    if (!this.channels.has(id)) {
      const st = new ChannelState({ id, members: [] });
      try {
        st.channel = await api.get(`/v1/channels/${encodeURIComponent(id)}`);
        this.channels.set(id, st);
        await this.loadChannel(st);
      } catch (e) {
        st.error = e;
        this.channels.set(id, st);
      }
    }
    const st = this.channels.get(id);
    if (st) st.unread = 0;
    this.render();
    this.onChange();
  }

  add(st, v, live) {
    if (st.envs.has(v.index)) return;
    st.envs.set(v.index, v);
    if (v.index > st.last) st.last = v.index;
    if (!live) return;
    if ((st.id !== this.selected || document.hidden) && !v.kind.startsWith("link-")) st.unread++; // link tests: linktest.js
    if (["message", "alert", "ack", "missed-ack", "seen"].includes(v.kind)) this.refreshDuties(st);
    this.onEnvelope(st.id, v);
    if (st.id === this.selected) this.render();
    this.onChange();
  }

  // refreshDuties reloads a channel's duties, coalescing bursts.
  refreshDuties(st) {
    clearTimeout(this.dutyTimers.get(st.id));
    this.dutyTimers.set(st.id, setTimeout(() => this.loadDuties(st), 100));
  }

  async loadDuties(st) {
    this.dutyTimers.delete(st.id);
    try { st.duties = await api.acks(st.id); } catch (_) { return; }
    if (st.id === this.selected) this.render();
    else this.renderBanner();
    this.onChange();
  }

  // flushDuties loads at once the duties a refresh is pending for, so that
  // a shortcut pressed as a FLASH arrives finds it.
  async flushDuties() {
    await Promise.all([...this.dutyTimers.keys()].map((id) => {
      clearTimeout(this.dutyTimers.get(id));
      return this.loadDuties(this.channels.get(id));
    }));
  }

  // myDuty returns my duty to acknowledge message index on channel ch, if any.
  myDuty(ch, index) {
    return this.channels.get(ch)?.duties.find((d) => d.index === index && d.party === this.me.party);
  }

  // awaiting returns my open duties across channels, most urgent first.
  awaiting() {
    const out = [];
    for (const st of this.channels.values()) {
      for (const d of st.duties) {
        if (d.party === this.me.party && d.ack_index == null) {
          const v = st.envs.get(d.index);
          out.push({ channel: st.id, duty: d, env: v, prec: v?.payload?.precedence || "routine" });
        }
      }
    }
    const rank = (x) => PRECEDENCES.indexOf(x.prec);
    out.sort((a, b) => rank(a) - rank(b) || Date.parse(a.duty.deadline) - Date.parse(b.duty.deadline));
    return out;
  }

  render() {
    const st = this.channels.get(this.selected);
    this.renderBanner();
    if (!st) {
      this.thread.replaceChildren(el("p", { class: "empty" }, this.emptyText || "Choose a channel."));
      this.form.hidden = true;
      return;
    }
    if (st.error) {
      const msg = st.error.code === "not_found"
        ? `Channel ${st.id} is not available to ${this.me.party} (not_found).`
        : `Channel ${st.id}: ${st.error.message}`;
      this.thread.replaceChildren(el("p", { class: "error-box", role: "alert", id: "channel-error" }, msg));
      this.form.hidden = true;
      return;
    }
    this.form.hidden = false;
    const keepBottom = this.thread.scrollHeight - this.thread.scrollTop - this.thread.clientHeight < 40;
    // the thread is rebuilt: keep the keyboard focus on the same control
    const active = this.thread.contains(document.activeElement) ? document.activeElement.getAttribute("aria-label") : null;
    const children = new Map(), tops = [], missed = new Map(), renotified = new Map();
    for (const v of [...st.envs.values()].sort((a, b) => a.index - b.index)) {
      const p = v.payload || {};
      if (v.kind === "ack" || v.kind === "seen" || v.kind.startsWith("link-")) continue; // link tests: linktest.js
      if (v.kind === "renotify" && p.ack != null) { renotified.set(p.ack, (p.body || {}).count || 0); continue; }
      if (v.kind === "missed-ack") {
        if (p.ack != null) { (missed.get(p.ack) || missed.set(p.ack, []).get(p.ack)).push(v); continue; }
      }
      if (p.reply_to != null && st.envs.has(p.reply_to)) {
        (children.get(p.reply_to) || children.set(p.reply_to, []).get(p.reply_to)).push(v);
      } else {
        tops.push(v);
      }
    }
    const dutiesOf = new Map();
    for (const d of st.duties) (dutiesOf.get(d.index) || dutiesOf.set(d.index, []).get(d.index)).push(d);
    const card = (v, depth) => {
      const node = this.card(st, v, dutiesOf.get(v.index) || [], missed.get(v.index) || []);
      if (renotified.has(v.index)) node.append(el("div", { class: "renotified-line" }, `re-notified ${renotified.get(v.index)}×`));
      const kids = children.get(v.index) || [];
      if (!kids.length) return node;
      return el("div", { class: "thread-group" }, node,
        el("div", { class: "replies", role: "group", "aria-label": `Replies to #${v.index}` }, kids.map((k) => card(k, depth + 1))));
    };
    // Long channels (a day of encounter alerts) show their latest threads.
    const shown = tops.slice(-MAX_THREADS);
    if (!tops.length) this.thread.replaceChildren(el("p", { class: "empty" }, `No messages on ${st.id} yet.`));
    else this.thread.replaceChildren(
      tops.length > shown.length ? el("p", { class: "hint" }, `${tops.length - shown.length} older threads not shown; 'deconflict watch' lists them all.`) : "",
      ...shown.map((v) => card(v, 0)));
    if (keepBottom) this.thread.scrollTop = this.thread.scrollHeight;
    if (active) [...this.thread.querySelectorAll("[aria-label]")].find((n) => n.getAttribute("aria-label") === active)?.focus();
    // after a keyboard acknowledgement the focus, whose button is gone,
    // goes to the acknowledged card (unless the officer went elsewhere)
    const lost = document.activeElement === document.body || this.thread.contains(document.activeElement);
    const done = this.focusAfter && document.getElementById(this.focusAfter);
    if (done && !done.querySelector(".ack-button")) {
      this.focusAfter = null;
      if (lost) done.focus();
    }
    this.renderReplyChip();
    this.updateCountdowns();
  }

  card(st, v, duties, missed) {
    const p = v.payload || {};
    const prec = p.precedence || (v.kind === "alert" ? "immediate" : "");
    const mine = duties.find((d) => d.party === this.me.party && d.ack_index == null);
    const states = duties.map((d) => dutyState(d));
    const cls = ["msg", `kind-${v.kind}`, prec && `prec-${prec}`,
      v.author === this.me.party && "own",
      mine && "awaiting-me",
      states.includes("overdue") && "overdue",
      (states.includes("missed") || missed.length) && "missed"].filter(Boolean).join(" ");
    const badge = v.kind === "message" || v.kind === "alert"
      ? el("span", { class: `badge prec-${prec}` }, v.kind === "alert" ? `ALERT ${prec.toUpperCase()}` : prec.toUpperCase())
      : el("span", { class: v.kind === "finding" ? "badge finding" : "badge kind" }, v.kind.toUpperCase());
    const head = el("div", { class: "msg-head" }, badge,
      el("span", { class: "author", style: `--party:${partyColor(v.author)}` }, v.author),
      p.officer ? el("span", { class: "officer", title: "the officer who signed it for the party" }, p.officer) : null,
      el("span", { class: "idx" }, `#${v.index}`),
      p.reply_to != null ? el("span", { class: "re" }, `re #${p.reply_to}`) : null,
      el("time", { datetime: v.received }, fmtTime(v.received)));
    const said = messageText(p);
    const textID = `msg-text-${st.id}-${v.index}`;
    // notifications, responses, findings and measures: one line as an
    // officer reads it, a link to the Notices tab and the signed text
    const sum = REGIME_KINDS.includes(v.kind) ? summarize(v, st.envs, st.id) : null;
    const body = sum
      ? el("div", { class: "msg-text summary", id: textID }, el("span", { class: "summary-text" }, sum.text),
        sum.target && this.onNotices ? [" ", el("button", {
          type: "button", class: "link-button notices-link", dataset: { target: sum.target },
          "aria-label": `Show ${sum.target.replace("-", " ")} in the Notices tab`, onclick: () => this.onNotices(st.id, sum.target),
        }, "in Notices ›")] : null)
      : el("div", { class: "msg-text", id: textID, dataset: p.phrase ? { phrase: p.phrase } : {} }, said || (p.body ? JSON.stringify(p.body) : ""));
    const signed = sum ? this.signedText(st, v) : null;
    const dutyRows = duties.map((d) => {
      const row = el("li", { class: "duty", dataset: { deadline: d.deadline, party: d.party, index: String(d.index), acked: d.ack_index != null ? "1" : "", missed: d.missed ? "1" : "" } },
        el("span", { class: "duty-party", style: `--party:${partyColor(d.party)}` }, d.party),
        el("span", { class: "duty-state" }),
        d.ack_index != null && st.envs.get(d.ack_index)?.payload?.officer
          ? el("span", { class: "duty-officer" }, `by ${st.envs.get(d.ack_index).payload.officer}`) : null,
        el("span", { class: "duty-seen" }, d.seen ? `seen ${fmtTime(d.seen)}` : d.ack_index == null ? "not yet delivered" : ""));
      return row;
    });
    const missedRows = missed.map((m) => el("div", { class: "missed-line", role: "alert" },
      `MISSED ACKNOWLEDGEMENT: ${(m.payload.ack_from || []).join(", ")} did not acknowledge by ${fmtTime((m.payload.body || {}).deadline || m.received)}` +
      ((m.payload.body || {}).seen ? `; seen and not answered: ${m.payload.body.seen.join(", ")}` : "") +
      ((m.payload.body || {}).unseen ? `; never delivered: ${m.payload.body.unseen.join(", ")}` : "") + ` (record #${m.index})`));
    const actions = el("div", { class: "msg-actions" },
      mine && this.me.can_sign ? el("button", {
        class: "ack-button", type: "button", "aria-label": `Acknowledge message ${v.index} on ${st.id}`, dataset: { index: String(v.index) },
        // the message is read out with the button that acknowledges it
        "aria-describedby": textID,
        onclick: (e) => this.acknowledge(st.id, v.index, e.currentTarget),
      }, "Acknowledge") : null,
      v.kind !== "ack" && this.me.can_sign ? el("button", {
        class: "link-button", type: "button", "aria-label": `Reply to message ${v.index}`,
        onclick: () => { this.replyTo = v.index; this.renderReplyChip(); this.text.focus(); },
      }, "Reply") : null);
    return el("article", { class: cls, id: `msg-${st.id}-${v.index}`, tabindex: "-1", dataset: { index: String(v.index), kind: v.kind }, "aria-label": `${prec || v.kind} message ${v.index} from ${v.author}`, "aria-describedby": textID },
      head, body, signed, attachmentList(st.id, p.attachments), dutyRows.length ? el("ul", { class: "duties", "aria-label": "Acknowledgements" }, dutyRows) : null, missedRows, actions);
  }

  // signedText is the toggle that shows the exact bytes the envelope's
  // author signed (the API's payload_b64, read as UTF-8): the summary is
  // the console's reading of them, never a replacement.
  signedText(st, v) {
    const key = `${st.id}:${v.index}`;
    // The state is kept at the click (before the toggle, whose event comes
    // later), so that a live redraw in between keeps what was asked.
    const d = el("details", { class: "signed-text", open: this.signedOpen.has(key) },
      el("summary", { "aria-label": `Signed text of #${v.index}`, onclick: () => { if (d.open) this.signedOpen.delete(key); else this.signedOpen.add(key); } }, "signed text"),
      el("pre", { class: "mono small signed-bytes" }, signedBytes(v)));
    return d;
  }

  renderReplyChip() {
    if (this.replyTo == null) { this.replyChip.hidden = true; return; }
    this.replyChip.hidden = false;
    this.replyChip.replaceChildren(`Replying to #${this.replyTo} `,
      el("button", { type: "button", class: "link-button", "aria-label": "Cancel reply", onclick: () => { this.replyTo = null; this.renderReplyChip(); } }, "cancel"));
  }

  renderBanner() {
    const list = this.awaiting();
    if (!list.length) { this.banner.hidden = true; return; }
    const first = list[0];
    const flash = list.some((x) => x.prec === "flash");
    const late = list.some((x) => dutyState(x.duty) !== "pending");
    this.banner.hidden = false;
    this.banner.className = `await-banner${flash ? " flash" : ""}${late ? " late" : ""}`;
    this.banner.replaceChildren(
      el("strong", {}, `${list.length} awaiting your acknowledgement`),
      late ? el("strong", {}, ` (${list.filter((x) => dutyState(x.duty) !== "pending").length} overdue or missed)`) : "",
      " — ",
      el("button", { type: "button", class: "link-button", "aria-keyshortcuts": GO_TO_AWAITING, onclick: () => this.goToMessage(first.channel, first.duty.index) },
        `${first.prec.toUpperCase()} #${first.duty.index} on ${first.channel}`),
      " ", el("span", { class: "countdown", dataset: { deadline: first.duty.deadline } }),
      " ", el("kbd", { class: "kbd-hint", title: "keyboard shortcut" }, GO_TO_AWAITING));
  }

  scrollTo(ch, index) {
    const n = document.getElementById(`msg-${ch}-${index}`);
    if (!n) return false;
    n.scrollIntoView({ block: "center" });
    (n.querySelector(".ack-button") || n).focus();
    return true;
  }

  // goToMessage shows channel ch's hotline and puts the keyboard focus on
  // message index: on its Acknowledge button when it awaits me, else on
  // the message itself.
  async goToMessage(ch, index) {
    await this.flushDuties();
    await this.onSelect(ch);
    if (!this.scrollTo(ch, index)) this.announce(`Message #${index} on ${ch} is not shown.`);
  }

  // goToAwaiting is the GO_TO_AWAITING shortcut: the most urgent message
  // awaiting my acknowledgement, FLASH first.
  async goToAwaiting() {
    await this.flushDuties();
    const list = this.awaiting();
    if (!list.length) { this.announce("Nothing awaits your acknowledgement."); return; }
    const first = list[0];
    await this.goToMessage(first.channel, first.duty.index);
    this.announce(`${first.prec.toUpperCase()} #${first.duty.index} on ${first.channel} awaits your acknowledgement` +
      (list.length > 1 ? `; ${list.length - 1} more after it.` : ".") + (this.me.can_sign ? " Enter acknowledges." : ""));
  }

  announce(text) {
    // a change of text is what a live region reads out: clear it first
    this.status.textContent = "";
    setTimeout(() => { this.status.textContent = text; }, 50);
  }

  // updateCountdowns refreshes every deadline shown without rebuilding.
  updateCountdowns() {
    const now = Date.now();
    for (const row of this.root.querySelectorAll("li.duty")) {
      const d = { deadline: row.dataset.deadline, ack_index: row.dataset.acked ? 1 : null, missed: !!row.dataset.missed };
      const s = dutyState(d, now);
      const left = Date.parse(d.deadline) - now;
      const text = { acked: "acknowledged", missed: "MISSED", overdue: `OVERDUE by ${fmtDuration(-left)}`, pending: `awaiting · ${fmtDuration(left)} left` }[s];
      row.className = `duty ${s}`;
      row.querySelector(".duty-state").textContent = text;
    }
    for (const c of this.root.querySelectorAll(".countdown")) {
      const left = Date.parse(c.dataset.deadline) - now;
      c.textContent = left >= 0 ? `${fmtDuration(left)} left` : `OVERDUE by ${fmtDuration(-left)}`;
      c.classList.toggle("overdue", left < 0);
      if (left < 0) this.banner.classList.add("late");
    }
    // a duty that just became overdue changes the card's class too
    for (const card of this.root.querySelectorAll("article.msg")) {
      card.classList.toggle("overdue", !!card.querySelector("li.duty.overdue"));
    }
  }

  async acknowledge(ch, index, btn) {
    // (taken before disabling the button, which drops its focus)
    const focused = btn === document.activeElement;
    btn.disabled = true;
    btn.textContent = "Acknowledging…";
    try {
      await api.ack(ch, index);
      const st = this.channels.get(ch);
      if (focused) this.focusAfter = `msg-${ch}-${index}`;
      const left = this.awaiting().filter((x) => !(x.channel === ch && x.duty.index === index)).length;
      this.announce(`Acknowledged #${index} on ${ch}.` + (left ? ` ${left} more await your acknowledgement (${GO_TO_AWAITING}).` : ""));
      if (st) this.refreshDuties(st);
    } catch (e) {
      btn.disabled = false;
      btn.textContent = "Acknowledge";
      if (focused) btn.focus();
      this.sendErr.textContent = `Acknowledge #${index}: ${e.message}`;
    }
  }

  // renderParams shows an input per parameter of the chosen phrase, and
  // the phrase in my language as the text's placeholder.
  renderParams() {
    const ph = phraseTable && phraseTable.get(this.phrase.value);
    this.params.replaceChildren(...(ph?.params || []).map((n) =>
      el("input", { id: `phrase-param-${n}`, "aria-label": `${n} (${PARAM_HINTS[n] || ""})`, placeholder: `${n}: ${PARAM_HINTS[n] || ""}`, size: 10, dataset: { param: n } })));
    this.text.placeholder = ph ? `${ph.text[phraseLang()] || ph.text.en} (optional free text)` : "Message to the other side…";
  }

  async send() {
    const text = this.text.value.trim();
    const code = this.phrase.value;
    if ((!text && !code && !this.attach.count) || !this.selected) return;
    const params = {};
    for (const i of this.params.querySelectorAll("input[data-param]")) params[i.dataset.param] = i.value.trim();
    this.sendBtn.disabled = true;
    this.sendErr.textContent = "";
    try {
      // files first: the node takes no message naming a file it does not hold
      const attachments = await this.attach.upload(this.selected);
      await api.send(this.selected, this.prec.value, text, this.replyTo, code, params, attachments);
      this.attach.reset();
      this.phrase.value = "";
      this.renderParams();
      this.text.value = "";
      this.replyTo = null;
      this.prec.value = "routine";
      this.form.classList.remove("flash");
      this.renderReplyChip();
    } catch (e) {
      this.sendErr.textContent = `Not sent: ${e.message}`;
    } finally {
      this.sendBtn.disabled = !this.me.can_sign;
    }
  }

  close() {
    clearInterval(this.tick);
    document.removeEventListener("keydown", this.onKey);
    for (const st of this.channels.values()) st.stream?.close();
  }
}

// dutyState is one of acked, missed, overdue, pending.
export function dutyState(d, now = Date.now()) {
  if (d.ack_index != null) return "acked";
  if (d.missed) return "missed";
  return now >= Date.parse(d.deadline) ? "overdue" : "pending";
}

// Standard phrases (docs/phrases.md): the node's table, rendered in the
// officer's language (the browser's, if en, ru or fr; else English). The
// signed payload holds only the code and parameters.
let phraseTable = null;
const PARAM_HINTS = { bearing: "000-359", course: "000-359", distance: "NM, e.g. 2.5", speed: "knots", time: "HHMM UTC", altitude: "feet" };
export function phraseLang() {
  const l = (sessionStorage.getItem("deconflict-lang") || navigator.language || "en").slice(0, 2).toLowerCase();
  return ["en", "ru", "fr"].includes(l) ? l : "en";
}
export async function loadPhrases() {
  try { phraseTable = new Map((await api.phrases()).map((p) => [p.code, p])); } catch (_) { phraseTable = new Map(); }
}
// messageText is what the officer reads of a payload: its standard
// phrase in my language, then the sender's free text.
export function messageText(p) {
  return p.phrase ? [phraseText(p), p.text].filter(Boolean).join(" / ") : p.text;
}
function phraseText(p) {
  const ph = phraseTable && phraseTable.get(p.phrase);
  if (!ph) return `[${p.phrase} ${JSON.stringify(p.params || {})}]`;
  let t = ph.text[phraseLang()] || ph.text.en;
  for (const [k, v] of Object.entries(p.params || {})) t = t.split(`{${k}}`).join(v);
  return t;
}

// The envelope kinds of the regimes (docs/regimes.md), shown summarized.
const REGIME_KINDS = ["notification", "response", "finding", "measure", "sign", "withdraw"];

// signedBytes returns the signed payload of an envelope view as text.
export function signedBytes(v) {
  if (!v.payload_b64) return JSON.stringify(v.payload);
  const bin = atob(v.payload_b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new TextDecoder().decode(bytes);
}

const num = (n) => Number(n).toLocaleString("en");
const RESPONSE_VERBS = { accept: "accepted", question: "questioned", object: "objected to", answer: "answered", meeting: "recorded the meeting on" };
const FORCES = [["troops", "troops"], ["tanks", "tanks"], ["acv", "ACVs"], ["artillery", "artillery pieces"], ["sorties", "sorties"],
  ["amphibious_troops", "amphibious troops"], ["airborne_troops", "airborne troops"]];
const CONSTRAINTS = {
  "three-years-40000": "more than one activity above 40,000 troops or 900 tanks in three calendar years",
  "year-13000": "more than six activities above 13,000 troops or 300 tanks in a calendar year",
  "year-25000": "more than three activities above 25,000 troops or 400 tanks in a calendar year",
  "simultaneous-13000": "more than three activities above 13,000 troops or 300 tanks at once",
};
const BREACHES = { separation: "the separation", "zone-min-separation": "the zone's minimum separation", "zone-entry-notice": "the zone's entry notice" };

// noticeOf returns the notification logged at index as the Notices tab
// names it ({index, regime, state, form}), or null when not held.
function noticeOf(envs, index) {
  const v = envs.get(index);
  if (!v || v.kind !== "notification") return null;
  const f = v.payload?.body || {};
  return { index, regime: f.regime, state: f.state || v.author, form: f };
}

// deadlineSource is where a late notification's deadline comes from.
function deadlineSource(n) {
  switch (n?.regime) {
    case "vd11-prior": return n.form.alert ? "VD11 para 41" : "VD11 para 38";
    case "launch-1988": return "1988 agreement Art. I";
    case "incsea-notice": return "INCSEA 1972 Art. VI";
    default: return "";
  }
}

// measureText says what a measure's terms agree.
function measureText(t) {
  if (!t || typeof t !== "object") return "measure";
  const s = (k) => (t[k] ? `${num(t[k])} s` : "");
  switch (t.kind) {
    case "separation":
      return `${t.domain || ""} separation ${t.tier || ""} ${num(t.distance_m)} m`.replace(/ +/g, " ").trim() + (t.vertical_m ? ` / ${num(t.vertical_m)} m vertical` : "");
    case "zone":
      return [`zone ${t.name || ""} (${t.zone_kind || "zone"})`, t.start || t.end ? fmtWindowText(t.start, t.end) : "",
        t.entry_notice_s ? `entry notice ${s("entry_notice_s")}` : "", t.min_separation_m ? `minimum separation ${num(t.min_separation_m)} m` : ""].filter(Boolean).join(", ");
    case "ack-deadlines":
      return "acknowledgement deadlines " + Object.keys(t).filter((k) => k.endsWith("_s")).map((k) => `${k.slice(0, -2).toUpperCase()} ${s(k)}`).join(", ");
    case "relevance":
      return `relevance area${t.civilian ? ", civilian traffic" : ""}`;
    default:
      return t.kind || "measure";
  }
}

function fmtWindowText(from, until) {
  const f = fmtWhen(from), u = fmtWhen(until);
  return f && u ? `${f} – ${u}` : f ? `from ${f}` : u ? `until ${u}` : "";
}

// summarize gives the one line an officer reads of a notification,
// response, finding or measure envelope v of channel ch (envs: the
// channel's envelopes held, for what it refers to), and the Notices tab
// entry it belongs to: {text, target}. The fixed words are English: the
// console translates standard phrases only (docs/phrases.md).
export function summarize(v, envs, ch) {
  const p = v.payload || {}, b = p.body || {};
  const ref = (i) => `${ch}:${i}`;
  const whose = (n, i) => (n ? `${n.state}'s ${headline(n)} (${ref(i)})` : `notification ${ref(i)}`);
  switch (v.kind) {
    case "notification": {
      const n = { index: v.index, regime: b.regime, state: b.state || v.author, form: b };
      let text;
      if (b.regime === "vd11-explanation") {
        text = `${n.state} asked ${b.to} for an explanation (vd11-explanation)${b.encounter ? ` of encounter ${b.encounter}` : ""}${b.meeting ? ", a meeting requested" : ""}${b.text ? `: ${b.text}` : ""}`;
      } else if (b.regime === "vd11-hazard") {
        text = `${n.state} reported a hazardous incident to ${b.to} (vd11-hazard)${b.text ? `: ${b.text}` : ""}`;
      } else {
        const parts = [`${n.state} notified ${b.regime}${b.alert ? " alert" : ""} ${headline(n)}`];
        const forces = FORCES.filter(([k]) => Number(b[k]) > 0).map(([k, w]) => `${num(b[k])} ${w}`);
        if (forces.length) parts.push(forces.join(", "));
        if (b.start && !Array.isArray(b.start)) parts.push(windowOf(n));
        text = parts.join(" · ");
      }
      return { text, target: `notice-${v.index}` };
    }
    case "response": {
      const n = noticeOf(envs, p.reply_to);
      const verb = RESPONSE_VERBS[b.response] || b.response;
      return { text: `${v.author} ${verb} ${whose(n, p.reply_to)}${p.text ? `: ${p.text}` : ""}`, target: `notice-${p.reply_to}` };
    }
    case "finding": {
      const about = b.about || [];
      const n = noticeOf(envs, about[0]);
      const at = fmtWhen(b.time);
      let what;
      switch (b.code) {
        case "late": {
          const src = deadlineSource(n);
          what = `${whose(n, about[0])} was received ${at}, after its deadline${src ? ` (${src})` : ""}`;
          break;
        }
        case "calendar-late":
          what = `${whose(n, about[0])} was received ${at}, after 15 November of the year before (VD11 para 61)`;
          break;
        case "observation-required":
          what = `${whose(n, about[0])} is observable: observers to be invited (VD11 Ch. VI)`;
          break;
        case "not-in-calendar":
          what = b.rule === "no-calendar"
            ? `${b.state} filed no annual calendar on ${ch} for ${whose(n, about[0])} (VD11 para 61)`
            : `${whose(n, about[0])} is not in ${b.state}'s annual calendar (VD11 Ch. VII)`;
          break;
        case "constraint-exceeded":
          what = `${whose(n, about[0])}: ${CONSTRAINTS[b.rule] || b.rule} (VD11 Ch. VIII)`;
          break;
        case "reply-overdue": {
          const hazard = n?.regime === "vd11-hazard";
          what = `${b.state} did not answer ${n ? `${n.state}'s ` : ""}${hazard ? "hazard report" : "request"} ${ref(about[0])} by ${at} (${hazard ? "VD11 para 17" : "VD11 para 16.1"})`;
          break;
        }
        case "meeting-overdue":
          what = `no meeting of ${n ? n.state : "the requester"} and ${b.state} recorded by ${at} after ${b.state}'s answer ${ref(about[1])} to request ${ref(about[0])} (VD11 para 16.2)`;
          break;
        case "measure-breach":
          what = `${BREACHES[b.rule] || b.rule} of measure ${ref(about[1])} broken (${b.state}; alert ${ref(about[0])})`;
          break;
        default:
          what = p.text || b.text || "";
      }
      return { text: `Finding: ${b.code} — ${what}`, target: `finding-${v.index}` };
    }
    case "measure":
      return { text: `${v.author} proposed a measure: ${measureText(b)}`, target: `measure-${v.index}` };
    case "sign":
    case "withdraw": {
      const m = envs.get(b.index);
      const terms = m && m.kind === "measure" ? ` (${measureText(m.payload?.body)})` : "";
      return { text: `${v.author} ${v.kind === "sign" ? "signed" : "withdrew from"} measure ${ref(b.index)}${terms}`, target: `measure-${b.index}` };
    }
  }
  return null;
}
