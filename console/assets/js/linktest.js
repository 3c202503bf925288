// linktest.js: the channels' link tests (docs/operations.md, "Link
// tests"). While an officer is signed in and this page is open, it
// answers every link test that asks the officer's party (signed with the
// party's hosted key, naming the officer), as it arrives and, for tests
// still open, when the page loads; and it shows, above the tabs, each
// member's availability on the selected channel over the last 24 hours.

import { api, el, partyColor } from "./api.js";

const enc = encodeURIComponent;

export class LinkTests {
  // side: the side panel (the line goes before its tabs); me: {party, username, can_sign}.
  constructor(side, me) {
    this.me = me;
    this.selected = null;
    this.answered = new Set(); // "channel/index" this page answered or found answered
    this.line = el("div", { id: "link-availability", class: "link-availability", role: "status", "aria-live": "polite", hidden: true });
    const tabs = side.querySelector(".tabs");
    if (tabs) tabs.before(this.line); else side.append(this.line);
    this.timer = null;
  }

  // seen is told of every live envelope of a channel.
  seen(ch, v) {
    const p = v.payload || {};
    if (v.kind === "link-test" && v.author === "node" && (p.ack_from || []).includes(this.me.party)) this.answer(ch, v.index);
    if (v.kind === "link-answer" && v.author === this.me.party && p.ack != null) this.answered.add(`${ch}/${p.ack}`);
    if (["link-test", "link-answer", "link-result"].includes(v.kind) && ch === this.selected) this.refreshSoon();
  }

  // check answers the open tests of a channel that still wait for my party
  // (sent while this page was closed), and shows the figures if selected.
  async check(ch) {
    let v;
    try { v = await api.get(`/v1/channels/${enc(ch)}/availability`); } catch (_) { return; }
    for (const t of v.tests || []) {
      if (!t.open) continue;
      const mine = (t.answers || []).find((a) => a.party === this.me.party);
      if (mine && mine.state === "waiting") await this.answer(ch, t.index);
    }
    if (ch === this.selected) this.render(v);
  }

  async answer(ch, index) {
    const key = `${ch}/${index}`;
    if (!this.me.can_sign || this.answered.has(key)) return;
    this.answered.add(key);
    try {
      await api.post("/v1/console/link-answer", { channel: ch, index });
    } catch (e) {
      if (e.code !== "conflict") this.answered.delete(key); // answered already (another tab) is fine
    }
  }

  select(ch) {
    this.selected = ch;
    this.check(ch);
  }

  refreshSoon() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.selected && this.check(this.selected), 300);
  }

  render(v) {
    const parties = (v.parties || []);
    if (!parties.length || !(v.tests || []).length) {
      this.line.hidden = false;
      this.line.replaceChildren(el("span", { class: "small" }, v.interval === "0s"
        ? "Link tests are off on this channel."
        : `Link availability: no link test in the last 24 h (a test every ${v.interval}).`));
      return;
    }
    this.line.hidden = false;
    this.line.replaceChildren(
      el("span", { class: "small" }, "Link availability, 24 h:"),
      ...parties.map((p) => el("span", {
        class: `link-party${p.percent != null && p.percent < 100 ? " degraded" : ""}`, dataset: { party: p.party },
        title: `${p.party}: ${p.answered} of ${p.tests} link tests answered within ${v.within}; ${p.late} late, ${p.unanswered} unanswered`,
      }, el("b", { style: `color:${partyColor(p.party)}` }, p.party), " ", p.percent == null ? "–" : `${Math.round(p.percent * 10) / 10}%`,
      el("small", {}, ` (${p.answered}/${p.tests})`))));
  }
}
