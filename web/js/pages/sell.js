// Creating a listing (with photos) and editing or closing one.
import {rpc} from "../api.js";
import {actionButton, add, clear, field, h, notice, readFileBase64} from "../dom.js";

const MAX_PHOTOS = 8;
const MAX_BYTES = 512 * 1024;

export async function render(main, [id], ctx) {
  const old = id ? await rpc("market_getlisting", id) : null;
  const title = h("input", {id: "sell-title", maxlength: 140, value: old ? old.title : ""});
  const description = h("textarea", {id: "sell-description", maxlength: 8192}, old ? old.description : "");
  const category = h("input", {id: "sell-category", maxlength: 64, value: old ? old.category : ""});
  const price = h("input", {id: "sell-price", inputmode: "decimal", value: old ? String(old.price) : ""});
  const qty = h("input", {id: "sell-quantity", type: "number", min: 1, max: 1000000, value: old ? old.stock : 1});
  const out = h("div");
  add(main, h("h1", old ? "Edit your listing" : "Sell something"));
  const form = h("div.card",
    field("Title", title, "Up to 140 characters"),
    field("Description", description),
    field("Category", category, "For example: furniture, books, clothes"),
    field("Price (SOUK)", price),
    field(old ? "Stock" : "Quantity", qty));
  add(main, form);
  const photos = [];
  if (!old) add(form, photoPicker(photos));
  add(form, out, actionButton(old ? "Save changes" : "Publish listing", async () => {
    const p = price.value.trim();
    if (!title.value.trim()) throw new Error("Give your listing a title.");
    if (!/^\d+(\.\d{1,8})?$/.test(p) || Number(p) <= 0) throw new Error("Enter a price like 12.5 (at most 8 decimals).");
    const fields = {title: title.value.trim(), description: description.value, category: category.value.trim(),
      price: Number(p), quantity: Math.max(1, parseInt(qty.value, 10) || 1)};
    if (old) {
      await rpc("market_updatelisting", old.id, fields);
      add(clear(out), notice("ok", "Saved. The change shows once the next block confirms it (about a minute)."));
      return;
    }
    fields.media = photos.map((x) => x.id);
    const r = await rpc("market_createlisting", fields);
    add(clear(main), h("h1", "Listing published"),
      notice("ok", "Your listing goes live with the next block (about a minute)."),
      h("p", h("a", {href: "#/listing/" + r.txid, id: "new-listing"}, "See your listing")));
  }, out));
  if (old && old.status === "ACTIVE") {
    const cout = h("div");
    add(main, h("div.card", h("h2", "Close the listing"), h("p", "It stops taking orders; open orders go on."),
      cout, actionButton("Close listing", async () => {
        if (!confirm("Close this listing? It cannot be opened again.")) return;
        await rpc("market_closelisting", old.id);
        add(clear(cout), notice("ok", "Closed with the next block."));
      }, cout, "danger")));
  }
}

function photoPicker(photos) {
  const input = h("input", {type: "file", id: "sell-photos", accept: "image/png,image/jpeg,image/webp,image/gif", multiple: true});
  const list = h("div.photos", {id: "sell-photo-list"});
  const out = h("div");
  input.addEventListener("change", async () => {
    clear(out);
    for (const file of input.files) {
      if (photos.length >= MAX_PHOTOS) {
        add(out, notice("error", "A listing holds at most " + MAX_PHOTOS + " photos."));
        break;
      }
      if (file.size > MAX_BYTES) {
        add(out, notice("error", file.name + " is too large: a photo may be at most 512 KB."));
        continue;
      }
      try {
        const data = await readFileBase64(file);
        const r = await rpc("market_addmedia", data);
        if (!photos.some((x) => x.id === r.id)) {
          photos.push(r);
          add(list, h("figure", h("img", {src: "data:" + r.mime + ";base64," + data, alt: file.name})));
        }
      } catch (e) {
        add(out, notice("error", file.name + ": " + e.message));
      }
    }
    input.value = "";
  });
  return h("div", field("Photos (PNG, JPEG, WebP or GIF, up to 8)", input), out, list);
}
