// Building the page. Every text that reaches the page goes through
// textContent (never innerHTML), so a listing titled "<img onerror=...>"
// shows those characters and runs nothing.

// h("div.card", {onclick: f, "aria-label": "x"}, child, "text", [more])
export function h(spec, attrs, ...children) {
  const [tag, ...classes] = spec.split(".");
  const el = document.createElement(tag || "div");
  if (classes.length) el.className = classes.join(" ");
  if (attrs && (typeof attrs !== "object" || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "value") el.value = v;
    // Through the CSSOM: the page's CSP refuses style attributes.
    else if (k === "style") el.style.cssText = v;
    else if (k === "checked" || k === "disabled" || k === "selected") el[k] = Boolean(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

// Amounts come as JSON numbers of coins with 8 decimals.
export function coins(v) {
  if (v === null || v === undefined) return "—";
  const n = Number(v);
  const s = n.toFixed(8).replace(/0{1,6}$/, "");
  return s + " SOUK";
}

export function shortId(hex) {
  return hex ? hex.slice(0, 8) + "…" + hex.slice(-4) : "";
}

export function shortAddr(a) {
  return a ? a.slice(0, 12) + "…" + a.slice(-6) : "";
}

export function when(unixSeconds) {
  const d = new Date(unixSeconds * 1000);
  return d.toLocaleString(undefined, {dateStyle: "medium", timeStyle: "short"});
}

// Stars for a rating out of 5 (null: not rated), with the number for
// screen readers and the tooltip.
export function stars(rating, label) {
  const r = rating === null || rating === undefined ? null : Number(rating);
  const text = r === null ? "not rated" : r.toFixed(1) + " of 5";
  const el = h("span.stars", {role: "img", "aria-label": (label ? label + ": " : "") + text, title: text});
  for (let i = 1; i <= 5; i++) el.append(h("span" + (r !== null && r >= i - 0.25 ? ".on" : ""), "★"));
  return el;
}

// A status line: kind "error", "ok" or "info".
export function notice(kind, text) {
  return h("p.notice." + kind, {role: kind === "error" ? "alert" : "status"}, text);
}

export function field(label, input, hint) {
  const id = input.id || "f" + Math.random().toString(36).slice(2, 9);
  input.id = id;
  return h("div.field", h("label", {for: id}, label), input, hint ? h("small", hint) : null);
}

// A button that shows it is working while its action runs and puts the
// action's error (in words) into `out`.
export function actionButton(label, action, out, cls) {
  const b = h("button" + (cls ? "." + cls : ""), {type: "button"}, label);
  b.addEventListener("click", async () => {
    b.disabled = true;
    const was = b.textContent;
    b.textContent = "Working…";
    if (out) clear(out);
    try {
      await action();
    } catch (e) {
      if (out) out.append(notice("error", e.message));
      else alert(e.message);
    } finally {
      b.disabled = false;
      b.textContent = was;
    }
  });
  return b;
}

// A data: URL of bytes given in base64, for an <img> (CSP allows data:).
export function dataUrl(mime, base64) {
  return "data:" + mime + ";base64," + base64;
}

export function readFileBase64(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onerror = () => reject(new Error("The file could not be read."));
    r.onload = () => {
      const s = String(r.result);
      resolve(s.slice(s.indexOf(",") + 1));
    };
    r.readAsDataURL(file);
  });
}

// Appends children to el as h() does (null, false and undefined skipped,
// arrays flattened); returns el.
export function add(el, ...children) {
  append(el, children);
  return el;
}
