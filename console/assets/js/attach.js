// attach.js: files a message carries by reference (docs/api.md,
// "attachments"). The compose form's file picker uploads each chosen file
// to the channel before the message is signed; every attachment a message
// names is fetched and checked against the SHA-256 its author signed
// (WebCrypto) before it is shown (images, inline) or offered for download.
// Bytes that do not match are never shown.

import { el } from "./api.js";

// The media types of common extensions, for files the browser types as ""
// (the node takes only the types its operator allows).
const EXT_TYPES = { png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", gif: "image/gif", webp: "image/webp",
  pdf: "application/pdf", txt: "text/plain", csv: "text/csv", json: "application/json" };
// Images the console shows inline, once checked; anything else is offered
// as a download only.
const INLINE = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);
const MAX_FILES = 8; // deconflict.MaxAttachments

export function fmtSize(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export async function sha256Hex(bytes) {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function fileType(f) {
  const t = (f.type || "").split(";")[0].trim().toLowerCase();
  if (t) return t;
  const ext = (f.name.split(".").pop() || "").toLowerCase();
  return EXT_TYPES[ext] || "application/octet-stream";
}

class AttachError extends Error {
  constructor(code, message) { super(message); this.code = code; }
}

// AttachPicker is the compose form's file picker and the list of files
// chosen for the next message.
export class AttachPicker {
  constructor() {
    this.files = [];
    this.input = el("input", { type: "file", id: "send-attach", multiple: true, class: "attach-input", "aria-label": "Attach files" });
    this.input.addEventListener("change", () => {
      for (const f of this.input.files) if (this.files.length < MAX_FILES) this.files.push(f);
      this.input.value = "";
      this.render();
    });
    this.list = el("ul", { class: "attach-chosen", "aria-label": "Files to attach" });
    this.element = el("div", { class: "compose-row attach-row" },
      el("label", { for: "send-attach", class: "attach-label" }, "Attach"), this.input, this.list);
  }

  render() {
    this.list.replaceChildren(...this.files.map((f, i) => el("li", { class: "attach-file" },
      `${f.name} (${fileType(f)}, ${fmtSize(f.size)}) `,
      el("button", { type: "button", class: "link-button", "aria-label": `Remove ${f.name}`,
        onclick: () => { this.files.splice(i, 1); this.render(); } }, "remove"))));
  }

  get count() { return this.files.length; }

  reset() { this.files = []; this.render(); }

  // upload uploads every chosen file to channel and returns the
  // attachments naming them. The node's answer must name the hash the
  // browser computed, or the upload is refused here.
  async upload(channel) {
    const out = [];
    for (const f of this.files) {
      const bytes = await f.arrayBuffer();
      const sum = await sha256Hex(bytes);
      const type = fileType(f);
      const resp = await fetch(`/v1/channels/${encodeURIComponent(channel)}/blobs`, {
        method: "POST", credentials: "same-origin", body: bytes,
        headers: { "Content-Type": type, "X-Deconflict-Console": "1" },
      });
      const text = await resp.text();
      let v = {};
      try { v = JSON.parse(text); } catch (_) { /* not JSON */ }
      if (!resp.ok) throw new AttachError(v.code || "internal", `${f.name}: ${v.error || resp.statusText}`);
      if (v.sha256 !== sum || v.size !== bytes.byteLength) throw new AttachError("internal", `${f.name}: the node stored other bytes (${v.sha256})`);
      out.push({ sha256: sum, name: f.name, type: v.type, size: bytes.byteLength });
    }
    return out;
  }
}

// Checked files by channel and hash: a promise of {ok, url, error}; the
// thread is rebuilt at every envelope, its images are not fetched again.
const cache = new Map();
const CACHE_MAX = 64;

// fetchChecked fetches an attachment and checks its bytes against the
// signed hash and size; only then does it make an object URL of them.
const keyOf = (channel, a) => `${channel}/${a.sha256}/${a.type}/${a.size}`;

export function fetchChecked(channel, a) {
  const key = keyOf(channel, a);
  if (cache.has(key)) return cache.get(key);
  const p = (async () => {
    const resp = await fetch(`/v1/channels/${encodeURIComponent(channel)}/blobs/${a.sha256}`, { credentials: "same-origin" });
    if (!resp.ok) {
      let msg = `${resp.status} ${resp.statusText}`;
      try { const e = await resp.json(); msg = `${e.error} (${e.code})`; } catch (_) { /* keep the status */ }
      return { ok: false, error: msg };
    }
    const bytes = await resp.arrayBuffer();
    const got = await sha256Hex(bytes);
    if (got !== a.sha256 || bytes.byteLength !== a.size) {
      return { ok: false, error: `the bytes served do not match the signed hash (sha256 ${got}, ${bytes.byteLength} bytes): not shown` };
    }
    return { ok: true, url: URL.createObjectURL(new Blob([bytes], { type: a.type })) };
  })().catch((e) => ({ ok: false, error: e.message }));
  cache.set(key, p);
  if (cache.size > CACHE_MAX) {
    const [oldest, old] = cache.entries().next().value;
    cache.delete(oldest);
    old.then((r) => r.url && URL.revokeObjectURL(r.url));
  }
  // a failed fetch is tried again at the next rendering
  p.then((r) => { if (!r.ok) cache.delete(key); });
  return p;
}

// attachmentList shows the attachments a message signs: name, type, size
// and hash; images inline and other files as downloads, each only after
// its check.
export function attachmentList(channel, atts) {
  if (!Array.isArray(atts) || !atts.length) return null;
  return el("ul", { class: "attachments", "aria-label": "Attachments" }, atts.map((a) => {
    const state = el("span", { class: "attach-state" }, "checking…");
    const body = el("div", { class: "attach-body" });
    const li = el("li", { class: "attachment", dataset: { sha256: a.sha256 } },
      el("span", { class: "attach-name" }, a.name), " ",
      el("span", { class: "attach-meta" }, `${a.type}, ${fmtSize(a.size)}`), " ",
      el("code", { class: "attach-hash", title: `sha256 ${a.sha256}` }, a.sha256.slice(0, 12) + "…"), " ",
      state, body);
    const show = () => fetchChecked(channel, a).then((r) => {
      if (!r.ok) {
        li.classList.add("bad");
        state.textContent = `✗ ${r.error}`;
        state.setAttribute("role", "alert");
        return;
      }
      li.classList.add("checked");
      state.textContent = "✓ sha256 checked";
      const dl = el("a", { href: r.url, download: a.name, class: "attach-download" }, "Download");
      body.replaceChildren(INLINE.has(a.type)
        ? el("img", { src: r.url, alt: `${a.name} (attached image, checked)`, class: "attach-image" }) : "", dl);
    });
    if (INLINE.has(a.type) || cache.has(keyOf(channel, a))) {
      show();
    } else {
      state.textContent = "";
      body.replaceChildren(el("button", { type: "button", class: "link-button", "aria-label": `Fetch and check ${a.name}`,
        onclick: (e) => { e.currentTarget.remove(); state.textContent = "checking…"; show(); } }, "Fetch and check"));
    }
    return li;
  }));
}
