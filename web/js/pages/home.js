// The start page: for a guest, a search box and the newest listings; for a
// signed-in user, the balance, a receive address with its QR code, sending
// coins and the latest transactions.
import {currentSession, rpc} from "../api.js";
import {actionButton, add, clear, coins, field, h, notice, when} from "../dom.js";
import {qrCanvas} from "../qr.js";
import {listingGrid} from "./shop.js";

export async function render(main, args, ctx) {
  const s = currentSession();
  const q = h("input", {type: "search", name: "q", placeholder: "What are you looking for?", "aria-label": "Search listings"});
  const search = h("form.row.card", {role: "search"}, h("div.grow", q), h("button", {type: "submit"}, "Search"));
  search.addEventListener("submit", (e) => {
    e.preventDefault();
    ctx.go("/shop?q=" + encodeURIComponent(q.value));
  });
  if (!s) {
    add(main, h("h1", "Buy and sell, peer to peer"),
      h("p", "Every listing, order and review here is signed by the person who made it and " +
        "kept by every node of the network. ", h("a", {href: "#/signup"}, "Create an account"),
        " or ", h("a", {href: "#/login"}, "log in"), "."), search, h("h2", "Newest listings"));
    const grid = h("div");
    add(main, grid);
    const r = await rpc("market_listlistings", {limit: 12}).catch((e) => ({error: e}));
    if (r.error) add(grid, notice("error", r.error.message));
    else add(grid, listingGrid(r.listings));
    return;
  }
  const balance = h("div");
  const txs = h("div");
  add(main, h("h1", "Hello, " + s.username), search,
    h("div.row",
      h("div.card.grow", h("h2", "Balance"), balance),
      h("div.card", h("h2", "Receive"), receive(s.address))),
    h("div.card", h("h2", "Send coins"), sendForm(() => load())),
    h("div.card", h("h2", "Latest transactions"), txs));
  async function load() {
    try {
      const b = (await rpc("getbalances")).mine;
      add(clear(balance), h("p.big", {id: "balance"}, coins(b.trusted)),
        b.untrusted_pending ? h("p.muted", coins(b.untrusted_pending) + " on its way") : null,
        b.immature ? h("p.muted", coins(b.immature) + " still maturing") : null);
      const list = await rpc("listtransactions", "*", 10);
      clear(txs);
      if (!list.length) add(txs, h("p.muted", "No transactions yet."));
      else add(txs, h("table", h("tr", h("th", "When"), h("th", "What"), h("th", "Amount")),
        list.reverse().map((t) => h("tr",
          h("td", when(t.time)),
          h("td", t.type.replace(/_/g, " "), t.confirmations ? "" : " (unconfirmed)"),
          h("td", coins(t.amount))))));
    } catch (e) {
      add(clear(balance), notice("error", e.message));
    }
  }
  await load();
  return {onEvent: (kind) => { if (kind === "payment" || kind === "block") load(); }};
}

function receive(address) {
  const c = qrCanvas("souk:" + address, 4);
  c.className = "qr";
  c.setAttribute("role", "img");
  c.setAttribute("aria-label", "QR code of your address");
  c.id = "receive-qr";
  const copy = h("button.secondary", {type: "button"}, "Copy address");
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(address);
      copy.textContent = "Copied";
    } catch (e) {
      copy.textContent = "Select the address to copy it";
    }
  });
  return h("div", c, h("p.mono", {id: "receive-address"}, address), copy);
}

function sendForm(done) {
  const to = h("input", {id: "send-to", placeholder: "rsouk1…", autocomplete: "off"});
  const amount = h("input", {id: "send-amount", inputmode: "decimal", placeholder: "0.00"});
  const out = h("div");
  return h("div", field("To address", to), field("Amount (SOUK)", amount, "A small network fee is added."), out,
    actionButton("Send", async () => {
      const a = amount.value.trim();
      if (!/^\d+(\.\d{1,8})?$/.test(a) || Number(a) <= 0)
        throw new Error("Enter an amount like 1.5 (at most 8 decimals).");
      const txid = await rpc("sendtoaddress", to.value.trim(), Number(a));
      add(out, notice("ok", "Sent. It confirms with the next block (about a minute). Reference " + txid.slice(0, 12) + "…"));
      to.value = amount.value = "";
      done();
    }, out));
}
