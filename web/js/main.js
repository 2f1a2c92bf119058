// The web app's shell: hash routes to pages, the navigation, and the live
// notifications that reach every page through /api/events.
import {currentSession, events, loadSession, onSessionChange, rpc} from "./api.js";
import {add, clear, h, notice} from "./dom.js";
import * as account from "./pages/account.js";
import * as home from "./pages/home.js";
import * as shop from "./pages/shop.js";
import * as listing from "./pages/listing.js";
import * as sell from "./pages/sell.js";
import * as orders from "./pages/orders.js";
import * as chat from "./pages/chat.js";
import * as profile from "./pages/profile.js";

// [pattern, page module, render function name, needs a session]
const ROUTES = [
  [/^\/?$/, home, "render", false],
  [/^\/shop$/, shop, "render", false],
  [/^\/listing\/([0-9a-f]{64})$/, listing, "render", false],
  [/^\/profile\/([^/]+)$/, profile, "render", false],
  [/^\/sell$/, sell, "render", true],
  [/^\/sell\/([0-9a-f]{64})$/, sell, "render", true],
  [/^\/orders$/, orders, "renderList", true],
  [/^\/order\/([0-9a-f]{64})$/, orders, "renderOrder", true],
  [/^\/messages$/, chat, "renderThreads", true],
  [/^\/messages\/([a-z0-9]+)(?:\/([0-9a-f]{64}))?$/, chat, "renderThread", true],
  [/^\/account$/, account, "renderAccount", true],
  [/^\/login$/, account, "renderLogin", false],
  [/^\/signup$/, account, "renderSignup", false],
];

const main = document.getElementById("main");
let current = null; // {page, onEvent}
let unread = 0;

export function go(path) {
  location.hash = "#" + path;
}

function parseHash() {
  const raw = decodeURIComponent(location.hash.replace(/^#/, "")) || "/";
  const q = raw.indexOf("?");
  const path = q < 0 ? raw : raw.slice(0, q);
  const query = new URLSearchParams(q < 0 ? "" : raw.slice(q + 1));
  return {path, query};
}

async function route() {
  const {path, query} = parseHash();
  for (const a of document.querySelectorAll("#nav a"))
    a.toggleAttribute("aria-current", path.startsWith(a.getAttribute("href").slice(1)) && a.getAttribute("href") !== "#/");
  const found = ROUTES.find(([re]) => re.test(path));
  clear(main);
  // Focus goes to the new page at once, not once it has loaded: by then
  // the person may be typing in one of its fields.
  main.focus({preventScroll: true});
  // What the page that sent the person here had to say (the account was
  // deleted, the session ended).
  const said = sessionStorage.getItem("notice");
  sessionStorage.removeItem("notice");
  if (said) add(main, notice("ok", said));
  if (!found) {
    add(main, h("h1", "Page not found"), h("p", h("a", {href: "#/"}, "Go to the start page")));
    return;
  }
  const [re, mod, fn, needsSession] = found;
  if (needsSession && !currentSession()) {
    sessionStorage.setItem("after-login", path);
    go("/login");
    return;
  }
  const args = path.match(re).slice(1);
  const ctx = {query, go, setUnread};
  current = {onEvent: null};
  try {
    const r = await mod[fn](main, args, ctx);
    if (r && r.onEvent) current.onEvent = r.onEvent;
  } catch (e) {
    add(main, notice("error", e.message));
  }
  document.title = (main.querySelector("h1")?.textContent || "souk") + " — souk";
}

function setUnread(n) {
  unread = n;
  const b = document.getElementById("badge");
  b.hidden = n <= 0;
  b.textContent = String(n);
  b.setAttribute("aria-label", n + " unread messages");
}

// At most three at a time, each for a few seconds.
function toast(text) {
  const live = document.getElementById("live");
  while (live.children.length >= 3) live.firstChild.remove();
  const t = h("div.toast", text);
  add(live, t);
  setTimeout(() => t.remove(), 4000);
}

const ORDER_WORDS = {
  order_place: "New order", order_accept: "Order accepted", order_ship: "Order shipped",
  order_complete: "Order completed", order_cancel: "Order cancelled", order_dispute: "Order disputed",
  order_resolve: "Dispute settled", order_timeout: "An order timed out",
};

// A few words for the events worth a toast; null for the others. Each
// transaction is announced when it is confirmed, not twice.
function eventWords(kind, d, me) {
  if (!d || (kind !== "message" && !d.confirmed)) return null;
  if (kind === "payment" && d.to === me) return "Payment received: " + d.amount + " SOUK";
  if (kind === "order") return ORDER_WORDS[d.type] || null;
  if (kind === "review") return d.type === "review_reply" ? "A review was answered" : "New review";
  if (kind === "message" && d.from !== me) return "New message";
  return null;
}

let stopEvents = null;
function startEvents() {
  if (stopEvents) stopEvents();
  stopEvents = events((kind, data) => {
    const me = currentSession() ? currentSession().address : null;
    if (kind === "message" && data && data.from !== me) setUnread(unread + 1);
    const words = eventWords(kind, data, me);
    if (words) toast(words);
    if (current && current.onEvent) {
      // The wallet may record a message or a block's effects a moment
      // after the event: look again shortly.
      current.onEvent(kind, data);
      const page = current;
      setTimeout(() => { if (current === page) page.onEvent(kind, data); }, 1200);
    }
  });
}

async function refreshUnread() {
  try {
    const threads = await rpc("chat_threads");
    setUnread(threads.reduce((n, t) => n + t.unread, 0));
  } catch (e) {
    setUnread(0);
  }
}

onSessionChange((s, ended) => {
  // A session that ended under a page that needs one leads to the login,
  // and back to that page after it.
  if (ended) {
    const {path} = parseHash();
    const found = ROUTES.find(([re]) => re.test(path));
    if (found && found[3]) {
      sessionStorage.setItem("notice", "Your session has ended. Please log in again.");
      sessionStorage.setItem("after-login", path);
      go("/login");
    }
  }
  for (const a of document.querySelectorAll("[data-auth]")) a.hidden = !s;
  for (const a of document.querySelectorAll("[data-guest]")) a.hidden = Boolean(s);
  if (s) {
    startEvents();
    refreshUnread();
  } else if (stopEvents) {
    stopEvents();
    stopEvents = null;
    setUnread(0);
  }
});

window.addEventListener("hashchange", route);
loadSession().then(route);
