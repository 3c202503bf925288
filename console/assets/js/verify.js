// verify.js: the console checks the record it shows, on its own, in the
// browser. Every checkpoint of a channel the console receives must be
// signed by the node key this browser pinned the first time it met the
// node (trust on first use), and must extend the last checkpoint this
// browser verified for that channel (an RFC 6962 consistency proof, SHA-256
// by WebCrypto). The envelopes the hotline shows must rebuild the signed
// root. A rollback, a fork, a bad signature or a changed node key replaces
// the channel's views with a red banner holding the evidence.
//
// This is an implementation of its own of the C2SP signed-note and
// tlog-checkpoint formats and of RFC 9162's proof checks: it shares no code
// with the node or the command line (record, golang.org/x/mod/sumdb), and
// console/verify_browser_test.go checks it against proofs and notes those
// produce.

import { api, el } from "./api.js";

// VerifyError is a verdict on what the node served: kind is "signature",
// "key", "rollback", "fork", "entries" or "format".
export class VerifyError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

const utf8 = new TextEncoder();

function subtle() {
  if (!globalThis.crypto || !crypto.subtle) {
    throw new Error("this page is not a secure context, so the browser offers no WebCrypto: serve the console over HTTPS (or on localhost) to have it verify the record");
  }
  return crypto.subtle;
}

function concat(parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

export async function sha256(...parts) {
  return new Uint8Array(await subtle().digest("SHA-256", concat(parts)));
}

// leafHash and nodeHash are RFC 6962's: SHA-256(0x00 || leaf) and
// SHA-256(0x01 || left || right).
export const leafHash = (leaf) => sha256(Uint8Array.of(0), leaf);
export const nodeHash = (l, r) => sha256(Uint8Array.of(1), l, r);

export function b64decode(s) {
  if (typeof s !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) throw new Error(`not standard base64: ${JSON.stringify(String(s).slice(0, 40))}`);
  const bin = atob(s);
  // One encoding per byte string: the unused bits of the last character
  // must be zero, or a signature line changed in those bits would still
  // verify and two different checkpoint texts would both pass.
  if (btoa(bin) !== s) throw new Error(`not canonical base64 (unused bits set): ${JSON.stringify(s.slice(0, 40))}`);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function b64encode(b) {
  let s = "";
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s);
}

export function hex(b) { return [...b].map((x) => x.toString(16).padStart(2, "0")).join(""); }

export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

// Sizes and indexes are below 2^53: halving by division keeps them exact
// where JavaScript's bit operators would cut them to 32 bits.
const odd = (n) => n % 2 === 1;
const half = (n) => Math.floor(n / 2);

// treeRoot is the RFC 6962 Merkle tree hash of a list of leaf hashes.
export async function treeRoot(hashes) {
  if (hashes.length === 0) return sha256();
  const level = async (lo, hi) => {
    if (hi - lo === 1) return hashes[lo];
    let k = 1;
    while (k * 2 < hi - lo) k *= 2;
    return nodeHash(await level(lo, lo + k), await level(lo + k, hi));
  };
  return level(0, hashes.length);
}

// Frontier is the right edge of an RFC 6962 tree being built leaf by leaf:
// the roots of its complete subtrees, largest first. It gives the root of
// every size in O(log n) hashes, so a channel's entries are hashed once
// however often its checkpoint is checked.
export class Frontier {
  constructor() { this.n = 0; this.stack = []; } // stack: [{size, hash}]

  async push(h) {
    let node = { size: 1, hash: h };
    while (this.stack.length && this.stack[this.stack.length - 1].size === node.size) {
      const left = this.stack.pop();
      node = { size: left.size * 2, hash: await nodeHash(left.hash, node.hash) };
    }
    this.stack.push(node);
    this.n++;
  }

  // root is the tree hash of the n leaves pushed: the first complete
  // subtree is the left child of the root, the rest the right (RFC 6962's
  // split at the largest power of two below n).
  async root() {
    if (!this.stack.length) return sha256();
    let r = this.stack[this.stack.length - 1].hash;
    for (let i = this.stack.length - 2; i >= 0; i--) r = await nodeHash(this.stack[i].hash, r);
    return r;
  }
}

// verifyInclusion checks an RFC 9162 inclusion proof (section 2.1.3.2):
// the leaf hash at index is in the tree of size whose root is root.
export async function verifyInclusion(index, size, leaf, proof, root) {
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size)) || index < 0 || index >= size) return false;
  let fn = index, sn = size - 1, r = leaf;
  for (const p of proof) {
    if (p.length !== 32 || sn === 0) return false;
    if (odd(fn) || fn === sn) {
      r = await nodeHash(p, r);
      while (!odd(fn) && fn !== 0) { fn = half(fn); sn = half(sn); }
    } else {
      r = await nodeHash(r, p);
    }
    fn = half(fn); sn = half(sn);
  }
  return sn === 0 && equalBytes(r, root);
}

// verifyConsistency checks an RFC 9162 consistency proof (section
// 2.1.4.2): the tree of size oldSize with root oldRoot is a prefix of the
// tree of size newSize with root newRoot. Every tree extends the empty
// one (with an empty proof).
export async function verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof) {
  if (!(Number.isSafeInteger(oldSize) && Number.isSafeInteger(newSize)) || oldSize < 0 || oldSize > newSize) return false;
  if (proof.some((p) => p.length !== 32)) return false;
  if (oldSize === newSize) return proof.length === 0 && equalBytes(oldRoot, newRoot);
  if (oldSize === 0) return proof.length === 0;
  if (proof.length === 0) return false;
  let path = proof;
  // an old tree that is a complete subtree is the first node of the path
  let pow2 = 1;
  while (pow2 < oldSize) pow2 *= 2;
  if (pow2 === oldSize) path = [oldRoot, ...proof];
  let fn = oldSize - 1, sn = newSize - 1;
  while (odd(fn)) { fn = half(fn); sn = half(sn); }
  let fr = path[0], sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      while (!odd(fn) && fn !== 0) { fn = half(fn); sn = half(sn); }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn = half(fn); sn = half(sn);
  }
  return sn === 0 && equalBytes(fr, oldRoot) && equalBytes(sr, newRoot);
}

// parseNote splits a C2SP signed note into its text (ending in a newline)
// and its signature lines ({name, hash: 4-byte key hash, sig}).
export function parseNote(note) {
  if (typeof note !== "string") throw new VerifyError("format", "checkpoint: not text");
  const i = note.lastIndexOf("\n\n");
  if (i < 0) throw new VerifyError("format", "checkpoint: no blank line before the signatures");
  const text = note.slice(0, i + 1), block = note.slice(i + 2);
  if (!block.endsWith("\n")) throw new VerifyError("format", "checkpoint: the signature block does not end with a newline");
  const sigs = block.slice(0, -1).split("\n").map((line) => {
    const m = /^\u2014 ([^ ]+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (!m) throw new VerifyError("format", `checkpoint: malformed signature line ${JSON.stringify(line.slice(0, 80))}`);
    let raw;
    try { raw = b64decode(m[2]); } catch (e) { throw new VerifyError("format", `checkpoint: signature of ${m[1]}: ${e.message}`); }
    if (raw.length < 5) throw new VerifyError("format", `checkpoint: signature of ${m[1]}: too short`);
    return { name: m[1], hash: raw.slice(0, 4), sig: raw.slice(4) };
  });
  return { text, sigs };
}

// parseCheckpoint reads a C2SP tlog-checkpoint text: origin, size, root
// hash, then extension lines (ignored).
export function parseCheckpoint(text) {
  const lines = text.split("\n");
  if (lines.length < 4 || lines[lines.length - 1] !== "") throw new VerifyError("format", "checkpoint: want origin, size and root hash lines");
  const [origin, size, root] = lines;
  if (!origin) throw new VerifyError("format", "checkpoint: empty origin");
  if (!/^(0|[1-9][0-9]{0,15})$/.test(size) || !Number.isSafeInteger(Number(size))) throw new VerifyError("format", `checkpoint size ${JSON.stringify(size.slice(0, 30))}: malformed: want a decimal number without sign or leading zeros`);
  let r;
  try { r = b64decode(root); } catch (_) { r = null; }
  if (!r || r.length !== 32) throw new VerifyError("format", `checkpoint root hash ${JSON.stringify(root.slice(0, 60))}: malformed: want 32 bytes in standard base64`);
  return { origin, size: Number(size), root: r, rootB64: root };
}

// keyHash is the signed-note key id of an Ed25519 key:
// SHA-256(name || 0x0A || 0x01 || public key), its first 4 bytes.
export async function keyHash(name, pub) {
  return (await sha256(utf8.encode(name), Uint8Array.of(0x0a, 0x01), pub)).slice(0, 4);
}

// openCheckpoint verifies a signed checkpoint: a signature by the Ed25519
// key pub under the key name origin, and the origin line. Signatures by
// other keys (witnesses' cosignatures) are ignored.
export async function openCheckpoint(note, origin, pub) {
  const { text, sigs } = parseNote(note);
  const cp = parseCheckpoint(text);
  if (cp.origin !== origin) throw new VerifyError("format", `checkpoint: wrong origin ${JSON.stringify(cp.origin)}, want ${JSON.stringify(origin)}`);
  const id = await keyHash(origin, pub);
  const mine = sigs.filter((s) => s.name === origin && equalBytes(s.hash, id));
  if (!mine.length) {
    const other = sigs.filter((s) => s.name === origin).map((s) => `${s.name}+${hex(s.hash)}`);
    throw new VerifyError("signature", `checkpoint of ${origin}: not signed by the pinned node key ${origin}+${hex(id)}${other.length ? `: signed by ${other.join(", ")}` : ""}`);
  }
  const key = await subtle().importKey("raw", pub, { name: "Ed25519" }, false, ["verify"]);
  for (const s of mine) {
    if (s.sig.length !== 64 || !(await subtle().verify({ name: "Ed25519" }, key, s.sig, utf8.encode(text)))) {
      throw new VerifyError("signature", `checkpoint of ${origin}: bad signature by the pinned node key ${origin}+${hex(id)}`);
    }
  }
  return { ...cp, note };
}

// envelopeLeaf is the logged form of an envelope as the API shows it
// (payload_b64, key, sig): the bytes whose leaf hash is in the tree.
export function envelopeLeaf(v) {
  return utf8.encode(`{"payload":"${v.payload_b64}","key":"${v.key}","sig":"${v.sig}"}`);
}

// samePayload says whether the payload object the page displays (the
// API's payload) is the signed bytes (payload_b64) read as JSON.
export function samePayload(v) {
  try {
    const signed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(b64decode(v.payload_b64)));
    return JSON.stringify(signed) === JSON.stringify(v.payload);
  } catch (_) {
    return false;
  }
}

// fingerprint is how the console shows a node key: SHA-256 of the 32
// key bytes, the first 16 in hex, in groups of four.
export async function fingerprint(pub) {
  return "SHA256:" + hex((await sha256(pub)).slice(0, 16)).match(/..../g).join(":");
}

const STORE = "deconflict-record:";

// RecordCheck keeps, in this browser's localStorage (per node origin), the
// node key pinned on first use and the last verified checkpoint of each
// channel, checks every checkpoint the console fetches against them, and
// shows its verdict: a status in the top bar and, on a fault, a red
// banner over the selected channel's views.
export class RecordCheck {
  // side is the element holding the channel views; envelopes(ch) returns
  // the Map index -> envelope view the hotline holds for ch.
  constructor(side, envelopes, storage = window.localStorage) {
    this.side = side;
    this.envelopes = envelopes;
    this.storage = storage;
    this.states = new Map(); // channel -> {ok, error, checked, size, entries, ...}
    this.queue = new Map(); // channel -> the check running
    this.timers = new Map();
    this.frontiers = new Map(); // channel -> Frontier of the entries checked so far
    this.selected = null;
    // the selected channel again now and then: a node restored from a
    // copy may serve no new envelope that would prompt a check
    setInterval(() => { if (this.selected && !document.hidden) this.check(this.selected); }, 30000);
    this.chip = el("span", { id: "record-status", class: "link connecting", role: "status" }, "record…");
    const clock = document.getElementById("clock");
    if (clock) clock.before(this.chip);
    this.banner = el("div", { id: "record-banner", class: "record-banner", role: "alert", hidden: true });
    this.tofu = el("div", { id: "record-tofu", class: "record-tofu", role: "status", hidden: true });
    const tabs = side.querySelector(".tabs");
    (tabs || side.firstChild)?.before(this.tofu, this.banner);
  }

  get(key) {
    try { return JSON.parse(this.storage.getItem(STORE + key) || "null"); } catch (_) { return null; }
  }

  put(key, v) { this.storage.setItem(STORE + key, JSON.stringify(v)); }

  // select shows ch's verdict and checks its latest checkpoint.
  select(ch) {
    this.selected = ch;
    this.render();
    return this.check(ch);
  }

  // soon checks ch again after a burst of new envelopes.
  soon(ch) {
    clearTimeout(this.timers.get(ch));
    this.timers.set(ch, setTimeout(() => this.check(ch), 300));
  }

  // check runs one verification of ch after the one running, if any.
  check(ch) {
    const next = (this.queue.get(ch) || Promise.resolve()).then(() => this.run(ch));
    this.queue.set(ch, next);
    return next;
  }

  async run(ch) {
    const prev = this.states.get(ch);
    if (prev && prev.fault) return; // a fault stays until the page reloads
    let st;
    try {
      st = await this.verify(ch);
    } catch (e) {
      if (e instanceof VerifyError) {
        st = { fault: e.kind === "format" ? "signature" : e.kind, message: e.message, evidence: e.evidence || "", accept: e.accept || null };
        this.remember({ fault: st.fault, channel: ch, message: e.message, evidence: st.evidence, found: new Date().toISOString() });
      }
      else if (e.code === "not_found" || e.code === "unauthorized") st = { skipped: e.message };
      else st = { error: e.message };
    }
    st.channel = ch;
    st.at = new Date().toISOString();
    this.states.set(ch, st);
    this.render();
    return st;
  }

  // pinned returns the node key this browser trusts, pinning the node's
  // on first use; a node whose name or key differ from the pinned ones is
  // a fault.
  async pinned() {
    const node = await api.get("/v1/node");
    const pin = this.get("node");
    if (!pin) {
      const pub = b64decode(node.key);
      const p = { name: node.name, key: node.key, pinned: new Date().toISOString(), fingerprint: await fingerprint(pub) };
      this.put("node", p);
      this.firstUse = p;
      return { ...p, pub };
    }
    if (pin.name !== node.name || pin.key !== node.key) {
      const e = new VerifyError("key", `the node's key changed: this browser pinned ${pin.name} key ${pin.key} (${pin.fingerprint}) on ${pin.pinned}; the node now presents ${node.name} key ${node.key} (${await fingerprint(b64decode(node.key))})`);
      e.evidence = `pinned node: ${pin.name} ${pin.key} (since ${pin.pinned})\nnode now: ${node.name} ${node.key}\n`;
      e.accept = { node: { name: node.name, key: node.key } };
      throw e;
    }
    return { ...pin, pub: b64decode(pin.key) };
  }

  async verify(ch) {
    const pin = await this.pinned();
    const origin = `${pin.name}/${ch}`;
    const note = await api.checkpoint(ch);
    let cp;
    try {
      cp = await openCheckpoint(note, origin, pin.pub);
    } catch (e) {
      if (e instanceof VerifyError) e.evidence = evidence(pin, ch, e.message, null, note);
      throw e;
    }
    const last = this.get(`cp:${origin}`);
    if (last) {
      const lastRoot = b64decode(last.root);
      const fault = (kind, msg, proof) => {
        const e = new VerifyError(kind, msg);
        e.evidence = evidence(pin, ch, msg, last, note, proof);
        e.accept = { origin, cp: { size: cp.size, root: cp.rootB64, note } };
        return e;
      };
      if (cp.size < last.size) throw fault("rollback", `rollback: the node now serves checkpoint size ${cp.size} (root ${cp.rootB64}), smaller than size ${last.size} (root ${last.root}) that this browser verified on ${last.verified}`);
      if (cp.size === last.size && !equalBytes(cp.root, lastRoot)) throw fault("fork", `fork: the node now serves checkpoint size ${cp.size} with root ${cp.rootB64}, but this browser verified size ${last.size} with root ${last.root} on ${last.verified}`);
      if (cp.size > last.size && last.size > 0) {
        const r = await api.get(`/v1/channels/${encodeURIComponent(ch)}/proof/consistency?old=${last.size}&new=${cp.size}`);
        let proof;
        try { proof = (r.proof || []).map(b64decode); } catch (e) { throw fault("fork", `fork: the consistency proof from size ${last.size} to ${cp.size} is malformed: ${e.message}`, r.proof); }
        if (!(await verifyConsistency(last.size, cp.size, lastRoot, cp.root, proof))) {
          throw fault("fork", `fork: the consistency proof from size ${last.size} (root ${last.root}, verified on ${last.verified}) to ${cp.size} (root ${cp.rootB64}) fails: the node's log does not extend the one this browser verified`, r.proof);
        }
      }
    }
    if (!last || cp.size > last.size) this.put(`cp:${origin}`, { size: cp.size, root: cp.rootB64, note, verified: new Date().toISOString() });
    const entries = await this.checkEntries(ch, cp, pin);
    return { ok: true, size: cp.size, root: cp.rootB64, from: last ? last.size : null, entries };
  }

  // checkEntries checks the envelopes the hotline holds for ch against the
  // verified checkpoint: each one's leaf hash from its bytes and, when it
  // holds every index below the checkpoint's size, the root they make.
  async checkEntries(ch, cp, pin) {
    const envs = this.envelopes(ch);
    if (cp.size === 0) return "none";
    if (!envs) return "not loaded";
    // The hotline never replaces an envelope it holds, so entries checked
    // once stay checked: only those after the frontier are hashed.
    let f = this.frontiers.get(ch);
    if (!f || f.n > cp.size) f = new Frontier();
    const fault = (msg, extra = "") => {
      const e = new VerifyError("entries", msg);
      e.evidence = evidence(pin, ch, msg, null, cp.note) + extra;
      return e;
    };
    for (let i = f.n; i < cp.size; i++) {
      const v = envs.get(i);
      if (!v) {
        this.frontiers.set(ch, f);
        return `${i} of ${cp.size} held`;
      }
      const h = await leafHash(envelopeLeaf(v));
      if (v.leaf_hash !== b64encode(h)) throw fault(`the envelope shown at index ${i} is not the one the node logged: its bytes hash to ${b64encode(h)}, the node says ${v.leaf_hash}`);
      if (!samePayload(v)) throw fault(`the envelope shown at index ${i} is not what its author signed: the payload the page displays differs from the signed bytes`, `\nenvelope ${i} as served:\n${JSON.stringify(v)}\n`);
      await f.push(h);
    }
    this.frontiers.set(ch, f);
    const root = await f.root();
    if (!equalBytes(root, cp.root)) throw fault(`the ${cp.size} envelopes shown make root ${b64encode(root)}, not the signed checkpoint's ${cp.rootB64}`);
    return "all";
  }

  // remember keeps a fault in this browser's storage (the last 50), so its
  // evidence outlives the page and an accepted log.
  remember(f) {
    const all = this.get("faults") || [];
    if (all.some((g) => g.channel === f.channel && g.message === f.message)) return;
    all.push(f);
    this.put("faults", all.slice(-50));
  }

  // accept is the officer's decision, after reporting a fault, to check
  // from now on against what the node serves now: the new key is pinned,
  // or the checkpoint served now becomes the verified one.
  accept(st) {
    const a = st.accept;
    this.confirming = null;
    if (!a) return;
    if (a.node) {
      const pub = b64decode(a.node.key);
      fingerprint(pub).then((fp) => {
        this.put("node", { name: a.node.name, key: a.node.key, pinned: new Date().toISOString(), fingerprint: fp, replaced: this.get("node") });
        for (const [ch, s] of this.states) if (s.fault === "key") { this.states.delete(ch); this.check(ch); }
        this.render();
      });
      return;
    }
    this.put(`cp:${a.origin}`, { ...a.cp, verified: new Date().toISOString(), accepted: true });
    this.states.delete(st.channel);
    this.frontiers.delete(st.channel);
    this.check(st.channel);
    this.render();
  }

  // summary appends to the Record tab what this browser checked of ch.
  summary(panel, ch) {
    panel.querySelector("#record-browser-check")?.remove();
    this.summaryBox = el("section", { id: "record-browser-check", class: "record-browser-check", dataset: { channel: ch } });
    panel.append(this.summaryBox);
    this.renderSummary();
  }

  renderSummary() {
    const box = this.summaryBox;
    if (!box || !box.isConnected) return;
    const ch = box.dataset.channel, st = this.states.get(ch), pin = this.get("node");
    const last = pin ? this.get(`cp:${pin.name}/${ch}`) : null;
    // the past faults are redrawn only when one is added, so that an
    // evidence box opened stays open through later checks
    const faults = (this.get("faults") || []).filter((f) => f.channel === ch || f.fault === "key");
    let past = box.querySelector("#record-past-faults-box");
    if (!past || past.dataset.count !== String(faults.length)) {
      past = el("div", { id: "record-past-faults-box", dataset: { count: String(faults.length) } });
      if (faults.length) {
        past.append(el("h4", {}, "Faults this browser saw"), el("ul", { id: "record-past-faults", class: "record-past-faults" }, ...faults.map((f) =>
          el("li", {}, el("details", {}, el("summary", {}, `${f.found}: ${f.fault.toUpperCase()} on ${f.channel}`),
            el("p", {}, f.message), el("textarea", { readonly: true, rows: 8, "aria-label": `Evidence of the ${f.fault} found ${f.found}` }, f.evidence))))));
      }
    }
    box.replaceChildren(el("h4", {}, "Checked in this browser"),
      el("p", { class: "hint" }, "This browser checks every checkpoint the node serves against the node key it pinned and the last checkpoint it verified (docs/console.md, \"What the console verifies\")."),
      el("dl", { class: "checkpoint" },
        el("dt", {}, "Node key"), el("dd", { class: "mono small" }, pin ? `${pin.key} (${pin.fingerprint}), pinned ${pin.pinned}` : "not pinned yet"),
        el("dt", {}, "Verified"), el("dd", { id: "record-browser-verified" }, last ? `size ${last.size}, root ${last.root}, on ${last.verified}` : "nothing yet"),
        el("dt", {}, "Last check"), el("dd", { id: "record-browser-last" }, !st ? "running…" : st.ok
          ? `${st.at}: size ${st.size}${st.from == null ? " (first check here)" : st.from === st.size ? ", as verified before" : ` extends size ${st.from}`}; entries checked: ${st.entries}`
          : st.fault ? `${st.at}: ${st.fault.toUpperCase()}: ${st.message}` : `${st.at}: not checked: ${st.error || st.skipped}`)),
      past);
  }

  render() {
    this.renderSummary();
    const faults = [...this.states.values()].filter((s) => s.fault);
    const st = this.states.get(this.selected);
    if (faults.length) {
      this.chip.className = "link down";
      this.chip.textContent = `record: ${faults[0].fault.toUpperCase()} on ${faults.map((s) => s.channel).join(", ")}`;
    } else if (st && st.ok) {
      this.chip.className = "link live";
      this.chip.textContent = `record verified (${st.size})`;
      this.chip.title = `Checkpoint of ${st.channel} at size ${st.size} verified in this browser${st.from == null ? " (first check of this channel in this browser)" : st.from === st.size ? " (the size verified before)" : ` as extending size ${st.from}`}; entries: ${st.entries}.`;
    } else if (st && st.error) {
      this.chip.className = "link down";
      this.chip.textContent = "record unchecked";
      this.chip.title = st.error;
    }
    if (this.firstUse) {
      const p = this.firstUse;
      this.tofu.hidden = false;
      this.tofu.replaceChildren(
        el("strong", {}, "Node key pinned on first use. "),
        `This browser now trusts the key of node ${p.name} to sign its checkpoints: ${p.key} (${p.fingerprint}). Compare it with the key your operator gave you; any other key from now on shows a red banner.`,
        el("button", { type: "button", class: "link-button", "aria-label": "Dismiss the pinned key notice", onclick: () => { this.firstUse = null; this.tofu.hidden = true; } }, "Dismiss"));
    }
    const fault = st && st.fault ? st : faults.find((s) => s.fault === "key");
    this.side.classList.toggle("record-fault", !!fault);
    if (!fault) {
      this.banner.hidden = true;
      this.banner.replaceChildren();
      return;
    }
    const titles = {
      rollback: "ROLLBACK: this node's record went back",
      fork: "FORK: this node's record was rewritten",
      signature: "BAD CHECKPOINT: not signed by this node's pinned key",
      key: "NODE KEY CHANGED",
      entries: "ENTRIES DO NOT MATCH THE SIGNED RECORD",
    };
    const box = el("textarea", { id: "record-evidence", readonly: true, rows: 12, "aria-label": "Evidence for a report" }, fault.evidence);
    const copied = el("span", { class: "small" });
    this.banner.hidden = false;
    this.banner.dataset.fault = fault.fault;
    this.banner.replaceChildren(
      el("h2", {}, `${titles[fault.fault] || "RECORD FAULT"} (${fault.channel})`),
      el("p", { id: "record-fault" }, fault.message),
      el("p", {}, `Do not rely on what this node shows for ${fault.channel}: its log is not the one this browser verified before. Report it to your party's node operator and to the channel's other members with the evidence below (checkpoints signed by the node's key that contradict each other prove it to anyone).`),
      box,
      el("button", { type: "button", id: "record-copy", onclick: async () => {
        box.select();
        try { await navigator.clipboard.writeText(box.value); copied.textContent = " copied"; } catch (_) { copied.textContent = document.execCommand("copy") ? " copied" : " select the text and copy it"; }
      } }, "Copy evidence"), copied);
    if (fault.accept) {
      const what = fault.accept.node
        ? `pin the key the node presents now (${fault.accept.node.key}) in place of the one pinned before`
        : `check ${fault.channel} from now on against the checkpoint the node serves now (size ${fault.accept.cp.size}, root ${fault.accept.cp.root})`;
      // the confirmation stays open across redraws (every check redraws)
      const confirm = el("div", { class: "record-accept-confirm", hidden: this.confirming !== fault.channel },
        el("p", {}, `Only once this has been reported and explained (for example, a restore from backup the members agreed to): this browser will ${what}. The evidence stays in the Record tab.`),
        el("button", { type: "button", id: "record-accept-confirm", onclick: () => this.accept(fault) }, fault.accept.node ? "Pin the new key" : "Trust the log served now"), " ",
        el("button", { type: "button", class: "link-button", onclick: () => { this.confirming = null; confirm.hidden = true; } }, "Cancel"));
      this.banner.append(" ", el("button", { type: "button", id: "record-accept", onclick: () => { this.confirming = fault.channel; confirm.hidden = false; } }, fault.accept.node ? "Trust the new key…" : "Trust the log served now…"), confirm);
    }
  }
}

function evidence(pin, ch, verdict, last, note, proof) {
  return [
    "deconflict console: record fault",
    `node: ${location.origin} (${pin.name}), key ${pin.key} (${pin.fingerprint}), pinned in this browser on ${pin.pinned}`,
    `channel: ${ch}`,
    `found: ${new Date().toISOString()}`,
    `verdict: ${verdict}`,
    "",
    ...(last ? [`checkpoint verified before (on ${last.verified}):`, last.note.trimEnd(), ""] : []),
    "checkpoint served now:",
    String(note).trimEnd(),
    ...(proof ? ["", "consistency proof served:", ...proof] : []),
    "",
  ].join("\n");
}
