// Browsing and searching the listings, with filters and paging.
import {rpc} from "../api.js";
import {add, coins, h, notice, stars} from "../dom.js";
import {photo} from "./media.js";

const PAGE = 24;

export function listingTile(l) {
  return h("a.tile", {href: "#/listing/" + l.id, dataset: {listing: l.id}},
    h("div.thumb", l.media && l.media.length ? photo(l.media[0], l.title) : "No photo"),
    h("div.body",
      h("div.title", l.title),
      h("div.price", coins(l.price)),
      h("div.muted", l.seller_name || "unnamed seller", " ",
        l.seller_reputation && l.seller_reputation.reviews ? stars(l.seller_reputation.average, "seller rating") : ""),
      l.stock === 0 ? h("div.muted", "Sold out") : null));
}

export function listingGrid(listings) {
  if (!listings.length) return h("p.muted", "No listings found.");
  return h("div.grid", {id: "results"}, listings.map(listingTile));
}

export async function render(main, args, ctx) {
  const q = ctx.query;
  const text = h("input", {type: "search", name: "q", value: q.get("q") || "", "aria-label": "Search"});
  const category = h("input", {name: "category", value: q.get("category") || "", placeholder: "any"});
  const min = h("input", {name: "min", inputmode: "decimal", value: q.get("min") || "", placeholder: "0"});
  const max = h("input", {name: "max", inputmode: "decimal", value: q.get("max") || "", placeholder: "any"});
  const stock = h("input", {type: "checkbox", name: "stock", checked: q.get("stock") === "1"});
  const page = Math.max(0, parseInt(q.get("page") || "0", 10) || 0);
  const form = h("form.card", {role: "search", id: "search-form"},
    h("div.row", h("div.grow", h("label", {for: "q"}, "Search"), text), h("button", {type: "submit"}, "Search")),
    h("div.row",
      h("div", h("label", "Category"), category),
      h("div", h("label", "Min price"), min),
      h("div", h("label", "Max price"), max),
      h("div.row", stock, h("label", "In stock only"))));
  text.id = "q";
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const p = new URLSearchParams();
    if (text.value.trim()) p.set("q", text.value.trim());
    if (category.value.trim()) p.set("category", category.value.trim());
    if (min.value.trim()) p.set("min", min.value.trim());
    if (max.value.trim()) p.set("max", max.value.trim());
    if (stock.checked) p.set("stock", "1");
    ctx.go("/shop?" + p.toString());
  });
  add(main, h("h1", q.get("q") ? "Results for “" + q.get("q") + "”" : "Shop"), form);
  const opts = {limit: PAGE, offset: page * PAGE};
  if (q.get("category")) opts.category = q.get("category");
  if (q.get("min")) opts.min_price = Number(q.get("min"));
  if (q.get("max")) opts.max_price = Number(q.get("max"));
  let r;
  try {
    if (q.get("q")) {
      if (q.get("stock")) opts.has_stock = true;
      r = await rpc("market_searchlistings", q.get("q"), opts);
    } else {
      r = await rpc("market_listlistings", {limit: PAGE, offset: page * PAGE,
        category: opts.category});
    }
  } catch (e) {
    add(main, notice("error", e.message));
    return;
  }
  add(main, h("p.muted", {id: "result-count"}, r.total + (r.total === 1 ? " listing" : " listings")),
    listingGrid(r.listings));
  const pages = Math.ceil(r.total / PAGE);
  if (pages > 1) {
    const link = (n, label) => {
      const p = new URLSearchParams(q);
      p.set("page", String(n));
      return h("a", {href: "#/shop?" + p.toString()}, label);
    };
    add(main, h("nav.row", {"aria-label": "Pages"},
      page > 0 ? link(page - 1, "← Previous") : null,
      h("span", "Page " + (page + 1) + " of " + pages),
      page + 1 < pages ? link(page + 1, "Next →") : null));
  }
}
