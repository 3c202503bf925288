// api.js: the node's JSON API as the console uses it. The session cookie
// authenticates every call; state-changing calls carry the console's
// CSRF header.

export class APIError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function request(method, path, body, accept = "json") {
  const headers = {};
  if (method !== "GET") headers["X-Deconflict-Console"] = "1";
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const resp = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  const text = await resp.text();
  if (resp.status === 401 && path !== "/console/login") {
    // the session ended (expiry, logout elsewhere, node restart)
    window.dispatchEvent(new CustomEvent("deconflict-unauthorized"));
  }
  if (!resp.ok) {
    let code = "internal", msg = `${method} ${path}: ${resp.status} ${resp.statusText}`;
    try {
      const e = JSON.parse(text);
      if (e.code) { code = e.code; msg = e.error || msg; }
    } catch (_) { /* not JSON: keep the status line */ }
    if (resp.status === 404 && code === "internal") code = "not_found";
    throw new APIError(resp.status, code, msg);
  }
  if (accept === "text") return text;
  return text ? JSON.parse(text) : null;
}

export const api = {
  get: (path) => request("GET", path),
  getText: (path) => request("GET", path, undefined, "text"),
  post: (path, body) => request("POST", path, body ?? {}),
  login: (username, password) => request("POST", "/console/login", { username, password }),
  logout: () => request("POST", "/console/logout", {}),
  me: () => request("GET", "/console/me"),
  channels: () => request("GET", "/v1/channels"),
  envelopes: (ch, from = 0) => request("GET", `/v1/channels/${enc(ch)}/envelopes?from=${from}&limit=1000`),
  acks: (ch) => request("GET", `/v1/channels/${enc(ch)}/acks`),
  phrases: () => request("GET", "/v1/phrases"),
  checkpoint: (ch) => request("GET", `/v1/channels/${enc(ch)}/checkpoint`, undefined, "text"),
  verify: (ch) => request("GET", `/v1/channels/${enc(ch)}/verify`),
  witnesses: (ch) => request("GET", `/v1/channels/${enc(ch)}/witnesses`),
  incidents: (ch) => request("GET", `/v1/channels/${enc(ch)}/incidents`),
  picture: () => request("GET", "/v1/picture"),
  encounters: () => request("GET", "/v1/encounters"),
  zones: () => request("GET", "/v1/zones"),
  send: (channel, precedence, text, replyTo, phrase, params, attachments) =>
    request("POST", "/v1/console/send", { channel, precedence, text, ...(replyTo != null ? { reply_to: replyTo } : {}),
      ...(phrase ? { phrase, params } : {}), ...(attachments?.length ? { attachments } : {}) }),
  ack: (channel, index) => request("POST", "/v1/console/ack", { channel, index }),
  note: (channel, text, replyTo, incident) =>
    request("POST", "/v1/console/note", { channel, text, reply_to: replyTo, ...(incident ? { incident } : {}) }),
};

function enc(s) { return encodeURIComponent(s); }

// Stream is a WebSocket that reconnects by itself with exponential backoff
// (1 s doubling to 30 s, reset once a connection delivers). urlFn builds
// the URL at each attempt, so a stream resumes after the last index it
// saw. onStatus receives "live", "connecting" or "down".
export class Stream {
  constructor(urlFn, onMessage, onStatus = () => {}) {
    this.urlFn = urlFn;
    this.onMessage = onMessage;
    this.onStatus = onStatus;
    this.backoff = 1000;
    this.failures = 0;
    this.closed = false;
    this.ws = null;
    this.timer = null;
    this.connect();
  }

  connect() {
    if (this.closed) return;
    this.onStatus("connecting");
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    let ws;
    try {
      ws = new WebSocket(`${proto}//${location.host}${this.urlFn()}`);
    } catch (e) {
      this.retry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => { this.failures = 0; this.onStatus("live"); };
    ws.onmessage = (ev) => {
      this.backoff = 1000;
      let msg;
      try { msg = JSON.parse(ev.data); } catch (_) { return; }
      this.onMessage(msg);
    };
    ws.onclose = () => {
      if (this.ws === ws) this.ws = null;
      this.retry();
    };
    ws.onerror = () => { /* onclose follows */ };
  }

  retry() {
    if (this.closed) return;
    this.onStatus("down");
    // A WebSocket does not tell why its handshake failed: ask whether the
    // session is still valid (a 401 raises deconflict-unauthorized).
    if (++this.failures >= 2) request("GET", "/console/me").catch(() => {});
    clearTimeout(this.timer);
    const wait = this.backoff * (0.8 + 0.4 * Math.random());
    this.backoff = Math.min(this.backoff * 2, 30000);
    this.timer = setTimeout(() => this.connect(), wait);
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close();
  }
}

// Helpers shared by the views.

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(e.dataset, v);
    // CSSOM, not a style attribute: the page's CSP allows no inline styles
    else if (k === "style") e.style.cssText = v;
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

export function fmtTime(t) {
  const d = t instanceof Date ? t : new Date(t);
  if (isNaN(d)) return "";
  return d.toISOString().slice(11, 19) + "Z";
}

export function fmtDateTime(t) {
  const d = t instanceof Date ? t : new Date(t);
  if (isNaN(d) || d.getUTCFullYear() < 1971) return "";
  return d.toISOString().slice(0, 16).replace("T", " ") + "Z";
}

// fmtDuration formats ms for an officer: under an hour as a running
// clock, "4:09" or "0:09"; from an hour as "2 h 05 min"; from a day as
// "1 d 23 h" (a clock would read "47:12:09").
export function fmtDuration(ms) {
  const s = Math.max(0, Math.floor(Math.abs(ms) / 1000));
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  const pad = (n) => String(n).padStart(2, "0");
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${pad(m)} min`;
  return `${m}:${pad(sec)}`;
}

export const partyColors = {
  RU: "#d32f2f",
  NATO: "#1e6fd9",
  US: "#0b2a6b",
  FR: "#4b3fb5",
};
export const unattributedColor = "#8a8f98";

export function partyColor(p) { return partyColors[p] || unattributedColor; }

export const severityColors = {
  advisory: "#e0a800",
  warning: "#f57c00",
  dangerous: "#f57c00",
  critical: "#d50000",
  nmac: "#8e0038",
  intrusion: "#ad1457",
};

// SEVERITY_RANK orders severities, the most severe highest.
export const SEVERITY_RANK = { nmac: 6, critical: 5, dangerous: 4, intrusion: 4, warning: 3, advisory: 1 };

export function severityColor(s) { return severityColors[s] || "#e0a800"; }
