// The user's orders, and one order: its timeline with every deadline as a
// date, and only the actions this user may take now (a dispute's split for
// the arbiter, a review once it is over).
import {currentSession, rpc} from "../api.js";
import {actionButton, add, clear, coins, field, h, notice, shortAddr, when} from "../dom.js";

const SPACING = 60; // seconds between blocks (DESIGN.md section 3)

const STATE_WORDS = {
  PLACED: "Waiting for the seller to accept",
  ACCEPTED: "Accepted, waiting to be shipped",
  SHIPPED: "Shipped, waiting for the buyer to confirm receipt",
  COMPLETED: "Completed: the seller was paid",
  CANCELED: "Cancelled: the buyer got the coins back",
  DISPUTED: "In dispute: the arbiter decides",
  RESOLVED: "Resolved",
};

const TYPE_WORDS = {
  order_place: "Ordered", order_accept: "Accepted", order_ship: "Shipped", order_complete: "Received, seller paid",
  order_cancel: "Cancelled", order_dispute: "Disputed", order_resolve: "Settled by the arbiter", timeout: "Timed out",
};

export async function renderList(main, args, ctx) {
  add(main, h("h1", "Your orders"));
  const r = await rpc("market_listorders", {limit: 100});
  const me = currentSession().address;
  if (!r.total) {
    add(main, h("p.muted", "No orders yet. ", h("a", {href: "#/shop"}, "Find something to buy.")));
    return;
  }
  add(main, h("table", {id: "order-list"},
    h("tr", h("th", "Order"), h("th", "You are"), h("th", "State"), h("th", "Total")),
    r.orders.map((o) => h("tr",
      h("td", h("a", {href: "#/order/" + o.id}, o.id.slice(0, 10) + "…")),
      h("td", o.buyer === me ? "buyer" : o.seller === me ? "seller" : "arbiter"),
      h("td", STATE_WORDS[o.state] || o.state),
      h("td", coins(o.total))))));
  return {onEvent: (kind) => { if (kind === "block") ctx.go("/orders?" + Date.now()); }};
}

export async function renderOrder(main, [id], ctx) {
  const box = h("div");
  add(main, box);
  let shown = null;
  async function load() {
    let o, tip;
    try {
      [o, tip] = await Promise.all([rpc("market_getorder", id), rpc("getblockcount")]);
    } catch (e) {
      if (e.code !== -5) throw e;
      // Placed but not yet in a block: the next one brings it.
      if (shown !== "pending")
        add(clear(box), h("h1", "Your order"),
          h("p", {id: "order-state"}, h("strong", "Sent: it is confirmed with the next block (about a minute).")));
      shown = "pending";
      return;
    }
    const me = currentSession().address;
    const reviews = await rpc("review_list", {order_id: id}).catch(() => ({reviews: []}));
    // Drawn again only when something changed, so what the user is typing stays.
    const sig = JSON.stringify([o.state, o.history.length, o.deadlines, reviews.reviews.map((r) => r.id)]);
    if (sig === shown) return;
    shown = sig;
    const l = await rpc("market_getlisting", o.listing_id).catch(() => null);
    const role = o.buyer === me ? "buyer" : o.seller === me ? "seller" : o.arbiter === me ? "arbiter" : null;
    const other = role === "buyer" ? o.seller : o.buyer;
    add(clear(box), 
      h("h1", "Order of ", l ? l.title : "a listing"),
      h("p", {id: "order-state"}, h("strong", STATE_WORDS[o.state] || o.state)),
      h("div.card",
        h("p", o.quantity + " × " + coins(o.price) + " = ", h("strong", coins(o.total)),
          o.escrow ? " (" + coins(o.escrow) + " held in escrow)" : ""),
        h("p", "Buyer ", party(o.buyer, me), " · Seller ", party(o.seller, me),
          o.arbiter ? [" · Arbiter ", party(o.arbiter, me), " (fee " + coins(o.arbiter_fee) + ")"] : ""),
        l ? h("p", h("a", {href: "#/listing/" + l.id}, "See the listing")) : null,
        role && role !== "arbiter" ? h("p", h("a", {href: "#/messages/" + other + "/" + o.id, id: "order-chat"},
          "Message the " + (role === "buyer" ? "seller" : "buyer") + " about this order")) : null),
      h("h2", "Timeline"), timeline(o, tip),
      h("div", {id: "order-actions"}, actions(o, role, load)));
    if ((o.state === "COMPLETED" || o.state === "RESOLVED") && (role === "buyer" || role === "seller"))
      add(box, reviewForm(o, role, me, reviews, load));
  }
  await load();
  return {onEvent: (kind) => { if (kind === "order" || kind === "block" || kind === "review") load(); }};
}

function party(addr, me) {
  return h("a", {href: "#/profile/" + addr}, addr === me ? "you" : shortAddr(addr));
}

// A block height as a date: past blocks by the chain's pace, future ones
// estimated at one block a minute.
function heightDate(height, tip) {
  return when(Date.now() / 1000 + (height - tip) * SPACING);
}

function timeline(o, tip) {
  const items = o.history.map((e) => h("li",
    h("strong", TYPE_WORDS[e.type] || e.type), " — block " + e.height + ", about " + heightDate(e.height, tip),
    e.note_text ? h("div", "Note: ", h("em", e.note_text)) : null));
  for (const d of o.deadlines || [])
    items.push(h("li.future", {dataset: {deadline: d.height}},
      "If nothing happens by block " + d.height + " (around " + heightDate(d.height, tip) + "): " + d.on_timeout));
  return h("ol.timeline", {id: "order-timeline"}, items);
}

function act(label, method, args, out, reload, cls) {
  return actionButton(label, async () => {
    await rpc(method, ...args);
    add(clear(out), notice("ok", "Sent. It takes effect with the next block (about a minute)."));
    setTimeout(reload, 1500);
  }, out, cls);
}

function actions(o, role, reload) {
  const out = h("div");
  const b = [];
  const s = o.state;
  if (role === "seller" && s === "PLACED") b.push(act("Accept order", "market_acceptorder", [o.id], out, reload));
  if (role === "seller" && s === "ACCEPTED") {
    const note = h("input", {id: "ship-note", placeholder: "Tracking number (only the buyer can read it)"});
    b.push(field("Shipping note", note), actionButton("Mark as shipped", async () => {
      await rpc("market_shiporder", o.id, note.value.trim() ? {note: note.value.trim()} : {});
      add(clear(out), notice("ok", "Sent. It takes effect with the next block (about a minute)."));
      setTimeout(reload, 1500);
    }, out));
  }
  if (role === "buyer" && (s === "ACCEPTED" || s === "SHIPPED"))
    b.push(act("I received it — pay the seller", "market_completeorder", [o.id], out, reload));
  if ((role === "buyer" && s === "PLACED") || (role === "seller" && (s === "PLACED" || s === "ACCEPTED")))
    b.push(act("Cancel order", "market_cancelorder", [o.id], out, reload, "secondary"));
  if ((role === "buyer" || role === "seller") && o.arbiter && (s === "ACCEPTED" || s === "SHIPPED")) {
    const why = h("input", {id: "dispute-reason", placeholder: "What went wrong?"});
    b.push(field("Open a dispute", why), actionButton("Ask the arbiter", async () => {
      if (!why.value.trim()) throw new Error("Say what went wrong, for the arbiter.");
      await rpc("market_disputeorder", o.id, why.value.trim());
      add(clear(out), notice("ok", "The dispute opens with the next block."));
      setTimeout(reload, 1500);
    }, out, "danger"));
  }
  if (role === "arbiter" && s === "DISPUTED") b.push(splitSlider(o, out, reload));
  if (!b.length) return h("p.muted", "There is nothing for you to do on this order now.");
  return h("div.card", h("h2", "What you can do"), b, out);
}

// The arbiter's split: how much of the total (less the fee) goes back to
// the buyer; the seller gets the rest.
function splitSlider(o, out, reload) {
  const pool = o.total - o.arbiter_fee;
  const slider = h("input", {type: "range", id: "split", min: 0, max: 100, value: 50, "aria-label": "Share refunded to the buyer"});
  const show = h("p", {id: "split-text"});
  const amount = () => Math.round(pool * Number(slider.value) / 100 * 1e8) / 1e8;
  const update = () => add(clear(show), "Buyer gets ", h("strong", coins(amount())),
    ", seller gets ", h("strong", coins(pool - amount())), ", you get the fee ", coins(o.arbiter_fee), ".");
  slider.addEventListener("input", update);
  update();
  return h("div", h("h3", "Settle the dispute"), slider, show, actionButton("Settle", async () => {
    await rpc("market_resolveorder", o.id, amount());
    add(clear(out), notice("ok", "Settled with the next block."));
    setTimeout(reload, 1500);
  }, out));
}

function reviewForm(o, role, me, done, reload) {
  if (done.reviews.some((r) => r.author === me)) return h("p.muted", {id: "reviewed"}, "You reviewed this order.");
  const aspects = role === "buyer" ? ["quality", "description", "delivery", "communication"] : ["communication"];
  const rating = starInput("review-rating", "Overall");
  const inputs = aspects.map((a) => [a, starInput("review-" + a, a.charAt(0).toUpperCase() + a.slice(1))]);
  const text = h("textarea", {id: "review-text", maxlength: 2048});
  const out = h("div");
  return h("div.card", {id: "review-form"}, h("h2", "Review the " + (role === "buyer" ? "seller" : "buyer")),
    rating.el, inputs.map(([, i]) => i.el), field("Your review", text), out,
    actionButton("Publish review", async () => {
      if (!rating.value()) throw new Error("Choose an overall rating from 1 to 5 stars.");
      const opts = {};
      for (const [a, i] of inputs) if (i.value()) opts[a] = i.value();
      await rpc("review_post", o.id, rating.value(), text.value, opts);
      add(clear(out), notice("ok", "Published with the next block."));
      setTimeout(reload, 1500);
    }, out));
}

// Five radio buttons drawn as stars: usable with the keyboard alone.
function starInput(name, label) {
  const group = h("fieldset.starinput", {id: name}, h("legend", label));
  for (let i = 1; i <= 5; i++)
    add(group, h("label", h("input", {type: "radio", name, value: i}), " " + "★".repeat(i)));
  return {el: group, value: () => Number(group.querySelector("input:checked")?.value || 0)};
}
