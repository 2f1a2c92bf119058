// Listing photos, read through market_getmedia and shown as data: URLs
// (the page's Content-Security-Policy allows data: images, nothing else
// from outside). Loaded once per page view.
import {rpc} from "../api.js";
import {add, dataUrl, h} from "../dom.js";

const cache = new Map();

function load(id) {
  if (!cache.has(id)) cache.set(id, rpc("market_getmedia", id).then((m) => dataUrl(m.mime, m.data)));
  return cache.get(id);
}

// An <img> for the photo, with alt text; a grey box saying why when the
// node does not hold it (yet).
export function photo(id, alt) {
  const box = h("figure.photo", {dataset: {media: id}});
  load(id).then((url) => {
    add(box, h("img", {src: url, alt: alt || "Listing photo", loading: "lazy"}));
  }).catch(() => {
    cache.delete(id);
    add(box, h("span.muted", "Photo not available yet"));
  });
  return box;
}
