// incidents.js: a channel's incidents with their timelines, and its
// record: the latest signed checkpoint and the node's verification.

import { api, el, fmtDateTime, fmtTime, partyColor, severityColor, SEVERITY_RANK } from "./api.js";

export class Incidents {
  constructor(root, me) {
    this.root = root;
    this.me = me;
    this.channel = null;
    this.list = [];
    this.openIDs = new Set();
    this.error = null;
    this.timer = null;
    this.root.replaceChildren(el("p", { class: "empty" }, "Choose a channel."));
  }

  async show(channel) {
    if (channel !== this.channel) this.openIDs.clear();
    this.channel = channel;
    await this.refresh();
  }

  // refresh reloads the list, coalescing bursts of alerts.
  refreshSoon() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), 300);
  }

  async refresh() {
    if (!this.channel) return;
    // do not wipe a note being typed: try again later
    const a = document.activeElement;
    if (a && this.root.contains(a) && a.tagName === "INPUT" && a.value) { this.refreshSoon(); return; }
    const ch = this.channel;
    let list, error = null;
    try {
      list = await api.incidents(ch);
    } catch (e) {
      error = e;
    }
    // nothing new: keep the view (and the keyboard focus) as it is
    const key = JSON.stringify([ch, list, error?.message]);
    if (key === this.shownKey) return;
    this.shownKey = key;
    // open ones first, the most severe first, then the newest
    const rank = (i) => (i.status === "open" ? 100 : 0) + (SEVERITY_RANK[i.severity] || 0);
    this.list = (list || []).slice().sort((a, b) => rank(b) - rank(a) || Date.parse(b.opened) - Date.parse(a.opened));
    this.error = error;
    this.render();
  }

  render() {
    const ch = this.channel;
    if (this.error) {
      this.root.replaceChildren(el("p", { class: "error-box", role: "alert" },
        this.error.code === "not_found" ? `Channel ${ch} is not available to ${this.me.party} (not_found).` : `Incidents of ${ch}: ${this.error.message}`));
      return;
    }
    if (!this.list.length) {
      this.root.replaceChildren(el("p", { class: "empty" }, `No incidents on ${ch}.`));
      return;
    }
    const items = this.list.map((inc) => {
      const open = this.openIDs.has(inc.id);
      const toggle = el("button", {
        type: "button", class: "incident-head", "aria-expanded": String(open), "aria-controls": `tl-${inc.id}`,
        "aria-label": `Incident ${inc.id}, ${inc.severity}, ${inc.status}`,
        onclick: () => { open ? this.openIDs.delete(inc.id) : this.openIDs.add(inc.id); this.render(); },
      },
      el("span", { class: "badge sev", style: `--sev:${severityColor(inc.severity)}` }, (inc.severity || "").toUpperCase()),
      el("span", { class: `status status-${inc.status}` }, inc.status),
      el("span", { class: "pair" },
        el("span", { class: "author", style: `--party:${partyColor(inc.party_a)}` }, inc.party_a), ` ${inc.a} ↔ `,
        inc.b ? [el("span", { class: "author", style: `--party:${partyColor(inc.party_b)}` }, inc.party_b), ` ${inc.b}`] : "zone"),
      el("span", { class: "when" }, `${inc.domain || ""} · opened ${fmtDateTime(inc.opened)}${inc.closed ? " · closed " + fmtTime(inc.closed) : ""}`));
      const tl = open ? el("ol", { class: "timeline", id: `tl-${inc.id}` }, (inc.timeline || []).map((e) =>
        el("li", { class: `tl tl-${e.kind}` },
          el("time", { datetime: e.time }, fmtTime(e.time)),
          el("span", { class: "idx" }, `#${e.index}`),
          el("span", { class: "badge kind" }, e.kind === "alert" ? `ALERT ${e.event || ""}`.trim().toUpperCase() : e.kind.toUpperCase()),
          e.severity ? el("span", { class: "badge sev", style: `--sev:${severityColor(e.severity)}` }, e.severity.toUpperCase()) : null,
          el("span", { class: "author", style: `--party:${partyColor(e.author)}` }, e.author),
          e.officer ? el("span", { class: "officer" }, e.officer) : null,
          el("span", { class: "tl-text" }, e.text || (e.kind === "ack" ? `acknowledged #${e.ack}` : e.kind === "missed-ack" ? `MISSED by ${(e.missing || []).join(", ")}` : ""))))) : null;
      const note = open && this.me.can_sign ? this.noteForm(inc) : null;
      const replay = open && this.onReplay ? this.onReplay(ch, inc) : null; // replay.js
      return el("li", { class: `incident sev-${inc.severity} ${inc.status}`, dataset: { id: inc.id } }, toggle, tl, replay, note);
    });
    this.root.replaceChildren(el("ul", { class: "incidents", "aria-label": `Incidents of ${ch}` }, items));
  }

  noteForm(inc) {
    const input = el("input", { type: "text", "aria-label": `Note on incident ${inc.id}`, placeholder: "Add a note to this incident…" });
    const err = el("span", { class: "form-error", role: "alert" });
    const last = (inc.timeline || []).at(-1);
    return el("form", {
      class: "note-form", onsubmit: async (e) => {
        e.preventDefault();
        if (!input.value.trim()) return;
        try {
          await api.note(this.channel, input.value.trim(), last ? last.index : null, inc.id);
          input.value = "";
          this.refreshSoon();
        } catch (x) { err.textContent = x.message; }
      },
    }, input, el("button", { type: "submit", "aria-label": `Add note to incident ${inc.id}` }, "Add note"), err);
  }
}

// parseCheckpoint reads a C2SP checkpoint: origin, size, root hash, then
// signature lines after a blank line.
export function parseCheckpoint(text) {
  const [body, sigs = ""] = text.split("\n\n");
  const [origin, size, root] = body.split("\n");
  return { origin, size: Number(size), root, signatures: sigs.split("\n").filter(Boolean) };
}

export class Record {
  constructor(root, me) {
    this.root = root;
    this.me = me;
    this.channel = null;
    this.root.replaceChildren(el("p", { class: "empty" }, "Choose a channel."));
  }

  async show(channel) {
    this.channel = channel;
    const out = el("div", { class: "verify-result", role: "status", "aria-live": "polite" });
    const btn = el("button", { type: "button", class: "primary", id: "verify-button", "aria-label": `Verify the record of ${channel}`, onclick: () => this.verify(out, btn) }, "Verify");
    let cpBox;
    try {
      const cp = parseCheckpoint(await api.checkpoint(channel));
      cpBox = el("dl", { class: "checkpoint" },
        el("dt", {}, "Origin"), el("dd", {}, cp.origin),
        el("dt", {}, "Size"), el("dd", { id: "checkpoint-size" }, `${cp.size} ${cp.size === 1 ? "envelope" : "envelopes"}`),
        el("dt", {}, "Root hash"), el("dd", { class: "mono" }, cp.root),
        el("dt", {}, "Signed by"), el("dd", { class: "mono small" }, cp.signatures.map((s) => el("div", {}, s.replace(/^— /, "").split(" ")[0]))));
    } catch (e) {
      cpBox = el("p", { class: "error-box", role: "alert" }, e.code === "not_found" ? `Channel ${channel} is not available to ${this.me.party} (not_found).` : e.message);
    }
    this.root.replaceChildren(
      el("h3", {}, `Record of ${channel}`),
      el("p", { class: "hint" }, "The latest checkpoint the node signed. Verify asks the node to re-check the stored log against it; members who do not trust the node run 'deconflict verify' themselves."),
      cpBox, await this.witnesses(channel), btn, out, this.reportForm(channel));
  }

  // reportForm offers the record of a period for a meeting
  // (docs/reports.md), made by the node from what this party may read.
  reportForm(channel) {
    const day = (ms) => new Date(ms).toISOString().slice(0, 10);
    const from = el("input", { type: "date", id: "report-from", value: day(Date.now() - 30 * 864e5), required: true });
    const to = el("input", { type: "date", id: "report-to", value: day(Date.now()), required: true });
    const link = (fmt, label) => el("a", { id: `report-${fmt}`, class: "button", download: "" }, label);
    const html = link("html", "Download HTML"), pdf = link("pdf", "Download PDF");
    const update = () => {
      const q = `channel=${encodeURIComponent(channel)}&from=${encodeURIComponent(from.value)}&to=${encodeURIComponent(to.value)}`;
      html.href = `/console/report?${q}&format=html`;
      pdf.href = `/console/report?${q}&format=pdf`;
    };
    from.addEventListener("change", update);
    to.addEventListener("change", update);
    update();
    return el("section", { class: "report-form", "aria-labelledby": "report-heading" },
      el("h4", { id: "report-heading" }, "Report for a meeting"),
      el("p", { class: "hint" }, "The record of a period: messages, acknowledgements, encounters, incidents, notifications, findings and measures, with charts, a map and the checkpoint it was built from. Days are UTC; the last day is included."),
      el("label", { for: "report-from" }, "From "), from, el("label", { for: "report-to" }, " to "), to, " ", html, " ", pdf);
  }

  // witnesses shows the channel's witnesses as the node sees them: who
  // cosigned the latest checkpoint, and a note for each that refused or
  // could not be reached.
  async witnesses(channel) {
    const box = el("div", { class: "witnesses", id: "witness-status" });
    let ws;
    try {
      ws = await api.witnesses(channel);
    } catch (e) {
      box.append(el("p", { class: "error-box" }, `Witnesses: ${e.message}`));
      return box;
    }
    if (!ws || ws.length === 0) {
      box.append(el("p", { class: "hint" }, "No witnesses: this channel's checkpoints are signed by the node alone (the operator sets them with 'deconflict channel witnesses')."));
      return box;
    }
    box.append(el("h4", {}, "Witnesses"),
      el("table", { class: "witness-table" },
        el("thead", {}, el("tr", {}, el("th", {}, "Witness"), el("th", {}, "State"), el("th", {}, "Cosigned size"))),
        el("tbody", {}, ...ws.map((w) => el("tr", { class: `witness-${w.state}` },
          el("td", {}, w.name), el("td", {}, w.state), el("td", {}, w.cosigned_size >= 0 ? String(w.cosigned_size) : "—"))))));
    for (const w of ws.filter((w) => w.state === "refused" || w.state === "unreachable")) {
      box.append(el("p", { class: "error-box", role: "alert" },
        `Witness ${w.name} ${w.state === "refused" ? "refused to cosign" : "could not be reached"}: ${w.error}. Members who verify with the channel's witness policy will not accept checkpoints it has not cosigned.`));
    }
    return box;
  }

  async verify(out, btn) {
    btn.disabled = true;
    out.className = "verify-result";
    out.textContent = "Verifying…";
    try {
      const r = await api.verify(this.channel);
      out.className = `verify-result ${r.ok ? "ok" : "bad"}`;
      out.textContent = r.ok
        ? `Verified: the stored log of ${r.size} ${r.size === 1 ? "envelope" : "envelopes"} matches the signed checkpoint.`
        : `VERIFICATION FAILED: ${r.error}`;
    } catch (e) {
      out.className = "verify-result bad";
      out.textContent = `Verify: ${e.message}`;
    } finally {
      btn.disabled = false;
    }
  }
}
