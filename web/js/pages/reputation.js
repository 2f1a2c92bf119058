// A seller's reputation (stars, aspect bars) and the review list with
// replies, shared by the listing and the profile pages.
import {rpc} from "../api.js";
import {add, h, notice, shortAddr, stars} from "../dom.js";

const ASPECTS = ["quality", "description", "delivery", "communication"];

export function reputationBox(rep) {
  const s = rep.as_seller;
  if (!s || !s.reviews) return h("p.muted", "No reviews yet.");
  return h("div.reputation",
    h("p", stars(s.score ?? s.average, "overall"), " ",
      h("strong", (s.score ?? s.average).toFixed(1)), " from ", String(s.reviews),
      s.reviews === 1 ? " review" : " reviews", " by ", String(s.reviewers),
      s.reviewers === 1 ? " buyer" : " buyers"),
    h("table", ASPECTS.filter((a) => s.aspects && s.aspects[a]).map((a) => {
      const x = s.aspects[a];
      const pct = x.average === null ? 0 : (x.average / 5) * 100;
      return h("tr", h("td", a.charAt(0).toUpperCase() + a.slice(1)),
        h("td", h("div.bar", {role: "img", "aria-label": a + ": " + (x.average === null ? "not rated" : x.average.toFixed(1) + " of 5")},
          h("span", {style: "width:" + pct.toFixed(0) + "%"}))),
        h("td", x.average === null ? "—" : x.average.toFixed(1)));
    })));
}

export function reviewItem(r, canReply, onReply) {
  const li = h("li.card", {dataset: {review: r.id}},
    h("p", stars(r.rating, "rating"), " by ", h("a", {href: "#/profile/" + r.author}, shortAddr(r.author)),
      " (", r.author_role, ")"),
    h("p", r.text),
    h("p.muted", ASPECTS.filter((a) => r.aspects && r.aspects[a]).map((a) => a + " " + r.aspects[a] + "/5").join(" · ")));
  if (r.reply) add(li, h("blockquote", h("strong", "Reply: "), r.reply.text));
  else if (canReply) add(li, onReply(r));
  return li;
}

export async function reviewList(subject, me, onReply) {
  try {
    const r = await rpc("review_list", {subject, limit: 50});
    if (!r.total) return h("p.muted", "No reviews yet.");
    return h("ul.reviews", {style: "list-style:none;padding:0"},
      r.reviews.map((x) => reviewItem(x, me && x.subject === me, onReply)));
  } catch (e) {
    return notice("error", e.message);
  }
}
