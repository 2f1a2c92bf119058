// A public profile: name, about, trade counts, reputation and reviews (the
// subject may reply to each once).
import {currentSession, rpc} from "../api.js";
import {actionButton, add, clear, h, notice} from "../dom.js";
import {reputationBox, reviewList} from "./reputation.js";
import {listingGrid} from "./shop.js";

export async function render(main, [who], ctx) {
  const s = currentSession();
  let p = null;
  try {
    p = await rpc("market_getprofile", who);
  } catch (e) {
    if (e.code !== -5) throw e;
  }
  const rep = await rpc("review_getreputation", who);
  const addr = rep.address;
  add(main, h("h1", {id: "profile-name"}, p ? p.name : "A souk user"),
    h("p.mono", addr),
    p && p.about ? h("p", {style: "white-space:pre-wrap"}, p.about) : null,
    h("div.card", h("h2", "As a seller"), reputationBox(rep),
      h("p.muted", trades(rep.as_seller.trades, "sold")),
      h("h2", "As a buyer"), h("p.muted", trades(rep.as_buyer.trades, "bought"))));
  if (s && s.address !== addr) add(main, h("p", h("a", {href: "#/messages/" + addr}, "Send a message")));
  const listings = await rpc("market_listlistings", {seller: addr, limit: 24}).catch(() => null);
  if (listings && listings.total) add(main, h("h2", "Listings"), listingGrid(listings.listings));
  add(main, h("h2", "Reviews"), await reviewList(addr, s && s.address, replyForm));
}

function trades(t, verb) {
  if (!t || !t.orders) return "No orders yet.";
  return t.orders + " orders, " + t.completed + " completed, " + t.cancelled + " cancelled, " +
    t.disputed + " disputed, with " + t.counterparties + " different people";
}

function replyForm(r) {
  const text = h("textarea", {maxlength: 2048, "aria-label": "Your reply", id: "reply-" + r.id});
  const out = h("div");
  return h("div", text, out, actionButton("Reply", async () => {
    if (!text.value.trim()) throw new Error("Write your reply first.");
    await rpc("review_reply", r.id, text.value);
    add(clear(out), notice("ok", "Your reply shows with the next block."));
  }, out));
}
