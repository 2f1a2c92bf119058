// The gateway's API: accounts (/api/signup, /api/login, ...) and JSON-RPC
// for the logged-in account (/api/rpc). Every failure becomes an Error whose
// message a shopper can read; the RPC code stays on it for the pages.

let csrf = null;
let session = null;
const listeners = new Set();

export function onSessionChange(fn) {
  listeners.add(fn);
}

// ended: the server no longer knows the session (it timed out, the
// password was changed elsewhere, the account deleted), as opposed to a
// log-out asked for here.
function setSession(s, ended) {
  const had = session !== null;
  session = s;
  csrf = s ? s.csrf || csrf : null;
  for (const fn of listeners) fn(session, Boolean(ended) && had);
}

export function currentSession() {
  return session;
}

class ApiError extends Error {
  constructor(message, status, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function request(path, body, method) {
  const headers = {"Accept": "application/json"};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (csrf) headers["X-CSRF-Token"] = csrf;
  let res;
  try {
    res = await fetch(path, {
      method: method || (body === undefined ? "GET" : "POST"),
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch (e) {
    throw new ApiError("The marketplace cannot be reached. Check your connection and try again.", 0);
  }
  let data = null;
  const text = await res.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch (e) {
      data = null;
    }
  }
  if (res.ok) return data;
  if (res.status === 401 && path !== "/api/login") setSession(null, true);
  let msg = data && data.error ? String(data.error) : "";
  if (res.status === 429) {
    const wait = res.headers.get("Retry-After");
    msg = "Too many attempts. " + (wait ? "Try again in " + wait + " seconds." : "Try again later.");
  } else if (res.status === 401 && !msg) {
    msg = "Please log in again.";
  } else if (res.status === 403 && !msg) {
    msg = "That is not allowed. Reload the page and try again.";
  } else if (!msg) {
    msg = "Something went wrong on the server (HTTP " + res.status + "). Try again in a moment.";
  }
  throw new ApiError(msg, res.status);
}

export async function loadSession() {
  try {
    setSession(await request("/api/session"));
  } catch (e) {
    setSession(null);
  }
  return session;
}

export async function signup(username, password) {
  const r = await request("/api/signup", {username, password});
  setSession(r);
  await loadSession(); // for the CSRF token
  return r;
}

export async function login(username, password) {
  const r = await request("/api/login", {username, password});
  setSession(r);
  return r;
}

export async function logout() {
  try {
    await request("/api/logout", {});
  } finally {
    setSession(null);
  }
}

// A new password ends every other session and gives this one a new token.
export async function changePassword(oldPassword, newPassword) {
  const r = await request("/api/password", {old: oldPassword, "new": newPassword});
  setSession(r);
  return r;
}

// Ends the account and every session of it; the node keeps its wallet
// file, set aside (the seed words restore the coins anywhere).
export async function deleteAccount(password) {
  const r = await request("/api/delete", {password});
  setSession(null);
  return r;
}

// Node error codes (doc/rpc.md) in words; the node's own message follows,
// as it says which rule failed.
const RPC_WORDS = {
  "-6": "You do not have enough coins for this, network fee included.",
  "-5": "Not found, or not a valid address.",
  "-13": "Your wallet is locked. Log in again to unlock it.",
  "-14": "The password is not right.",
  "-26": "The network refused this:",
  "-25": "The network refused this:",
  "-4": "Your wallet could not do this:",
  "-8": "Please check what you entered:",
  "-3": "Please check what you entered:",
  "-32601": "This action is not available here.",
  "-28": "The node is still starting. Try again in a moment.",
};

// A rule refusal reads "market-price-changed: the price is ..." — the words
// after the rule's name are the part a person reads.
function explain(code, message) {
  const words = RPC_WORDS[String(code)];
  let detail = String(message || "");
  const m = /^[a-z0-9-]+: (.*)$/s.exec(detail);
  if (m) detail = m[1];
  detail = detail.charAt(0).toUpperCase() + detail.slice(1);
  if (!words) return detail || "Something went wrong.";
  return words.endsWith(":") ? words + " " + detail : words + (detail ? " (" + detail + ")" : "");
}

let rpcId = 0;
export async function rpc(method, ...params) {
  while (params.length && params[params.length - 1] === undefined) params.pop();
  const reply = await request("/api/rpc", {jsonrpc: "2.0", id: ++rpcId, method, params});
  if (reply && reply.error) throw new ApiError(explain(reply.error.code, reply.error.message), 200, reply.error.code);
  return reply ? reply.result : null;
}

// Server-sent events for the account; fn(kind, data) for each. Returns a
// function that stops listening. EventSource reconnects by itself and
// sends Last-Event-ID, so nothing still held is missed.
export function events(fn) {
  if (typeof EventSource === "undefined") return () => {};
  const es = new EventSource("/api/events");
  const kinds = ["block", "payment", "order", "listing", "review", "profile", "message", "missed"];
  for (const k of kinds) {
    es.addEventListener(k, (ev) => {
      let data = null;
      try {
        data = JSON.parse(ev.data);
      } catch (e) {
        data = ev.data;
      }
      fn(k, data);
    });
  }
  return () => es.close();
}
