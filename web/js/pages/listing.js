// A listing: photos, price, stock, the seller and their reputation and
// reviews, and the order form (with an arbiter and its fee).
import {currentSession, rpc} from "../api.js";
import {actionButton, add, clear, coins, field, h, notice} from "../dom.js";
import {photo} from "./media.js";
import {reputationBox, reviewList} from "./reputation.js";

export async function render(main, [id], ctx) {
  const l = await rpc("market_getlisting", id);
  const s = currentSession();
  const mine = s && l.seller === s.address;
  add(main, h("h1", {id: "listing-title"}, l.title),
    h("div.photos", {id: "listing-photos"}, l.media.map((m, i) => photo(m, l.title + ", photo " + (i + 1)))),
    h("div.card",
      h("p.big", {id: "listing-price"}, coins(l.price)),
      h("p", {id: "listing-stock"}, l.status !== "ACTIVE" ? "This listing is " + l.status.toLowerCase() + "."
        : l.stock > 0 ? l.stock + " in stock" : "Sold out"),
      l.category ? h("p.muted", "Category: ", l.category) : null,
      h("p", {id: "listing-description", style: "white-space:pre-wrap"}, l.description),
      h("p", "Sold by ", h("a", {href: "#/profile/" + l.seller}, l.seller_name || l.seller)),
      mine ? h("p", h("a", {href: "#/sell/" + l.id}, "Edit this listing")) : null,
      s && !mine ? h("p", h("a", {href: "#/messages/" + l.seller}, "Ask the seller a question")) : null));
  if (s && !mine && l.status === "ACTIVE" && l.stock > 0) add(main, orderForm(l, ctx));
  else if (!s) add(main, h("p", h("a", {href: "#/login"}, "Log in"), " to order."));
  const rep = h("div");
  add(main, h("h2", "The seller's reputation"), rep);
  rpc("review_getreputation", l.seller).then((r) => add(rep, reputationBox(r)))
    .catch((e) => add(rep, notice("error", e.message)));
  add(main, h("h2", "Reviews of the seller"), await reviewList(l.seller, s && s.address));
}

function orderForm(l, ctx) {
  const qty = h("input", {id: "order-qty", type: "number", min: 1, max: l.stock, value: 1});
  const arbiter = h("input", {id: "order-arbiter", placeholder: "rsouk1… (optional)", autocomplete: "off"});
  const fee = h("input", {id: "order-fee", type: "number", min: 0, max: 10, step: "0.1", value: 0});
  const note = h("textarea", {id: "order-note", maxlength: 996, placeholder: "Shipping address, size… (only the seller can read it)"});
  const total = h("p", {id: "order-total"});
  const out = h("div");
  const update = () => {
    const n = Math.max(1, parseInt(qty.value, 10) || 1);
    const t = l.price * n;
    const f = arbiter.value.trim() ? t * (Number(fee.value) || 0) / 100 : 0;
    add(clear(total), "Total ", h("strong", coins(t)),
      f ? " — of which the arbiter gets " + coins(f) + " if they settle a dispute" : "",
      ". The coins wait in escrow until you confirm you received the item.");
  };
  for (const i of [qty, arbiter, fee]) i.addEventListener("input", update);
  update();
  return h("div.card", h("h2", "Order"),
    field("Quantity", qty),
    field("Arbiter (optional)", arbiter, "Someone you both trust to settle a dispute"),
    field("Arbiter's fee (% of the total, 0 to 10)", fee),
    field("Note to the seller", note), total, out,
    actionButton("Place order", async () => {
      const opts = {};
      if (arbiter.value.trim()) {
        opts.arbiter = arbiter.value.trim();
        opts.arbiter_fee_bps = Math.round((Number(fee.value) || 0) * 100);
      }
      if (note.value.trim()) opts.note = note.value.trim();
      const r = await rpc("market_placeorder", l.id, Math.max(1, parseInt(qty.value, 10) || 1), opts);
      ctx.go("/order/" + r.txid);
    }, out));
}
