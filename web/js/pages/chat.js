// Conversations: one per counterparty (and order), texts and attachments
// (images shown inline, other files to download), newest arriving live.
import {rpc} from "../api.js";
import {actionButton, add, clear, dataUrl, h, notice, readFileBase64, shortAddr, shortId, when} from "../dom.js";

export async function renderThreads(main, args, ctx) {
  add(main, h("h1", "Messages"));
  const list = h("div", {id: "threads"});
  add(main, list);
  async function load() {
    const threads = await rpc("chat_threads");
    ctx.setUnread(threads.reduce((n, t) => n + t.unread, 0));
    clear(list);
    if (!threads.length) {
      add(list, h("p.muted", "No conversations yet. Ask a seller a question from any listing."));
      return;
    }
    for (const t of threads)
      add(list, h("a.card" + (t.unread ? ".unread" : ""),
        {href: "#/messages/" + t.counterparty + (t.order_id ? "/" + t.order_id : ""), style: "display:block",
          dataset: {counterparty: t.counterparty}},
        h("div", shortAddr(t.counterparty), t.order_id ? " · order " + shortId(t.order_id) : "",
          t.unread ? " · " + t.unread + " unread" : ""),
        h("div.muted", preview(t.last))));
  }
  await load();
  return {onEvent: (kind) => { if (kind === "message") load(); }};
}

function preview(m) {
  if (!m) return "";
  if (m.kind === "text") return (m.direction === "out" ? "You: " : "") + m.text.slice(0, 80);
  if (m.kind === "attachment") return (m.direction === "out" ? "You sent " : "Sent you ") + m.name;
  return "A sealed message (unlock your wallet to read it)";
}

export async function renderThread(main, [addr, order], ctx) {
  add(main, h("h1", "Conversation with ", shortAddr(addr)),
    order ? h("p", "About ", h("a", {href: "#/order/" + order}, "order " + shortId(order))) : null);
  const thread = h("div.thread", {id: "thread", "aria-live": "polite"});
  add(main, thread);
  const text = h("textarea", {id: "chat-text", placeholder: "Write a message", "aria-label": "Message"});
  const file = h("input", {type: "file", id: "chat-file", "aria-label": "Attach a file"});
  const out = h("div");
  add(main, h("div.card", text, h("div.row", file,
    actionButton("Send", async () => {
      const opts = order ? {order_id: order} : {};
      if (file.files.length) {
        const f = file.files[0];
        if (f.size > 250 * 1024) throw new Error(f.name + " is too large: an attachment may be at most about 250 KB.");
        const data = await readFileBase64(f);
        await rpc("chat_sendfile", addr, data, Object.assign({name: f.name, mime: f.type || undefined}, opts));
        file.value = "";
      }
      if (text.value.trim()) {
        await rpc("chat_send", addr, text.value, opts);
        text.value = "";
      }
      await load();
    }, out)), out));
  const shown = new Set();
  async function load() {
    const opts = {"with": addr, limit: 200};
    if (order) opts.order_id = order;
    const msgs = (await rpc("chat_list", opts)).reverse();
    for (const m of msgs) {
      if (shown.has(m.id)) continue;
      shown.add(m.id);
      add(thread, await bubble(m));
    }
    const unread = msgs.filter((m) => !m.read && m.direction === "in").map((m) => m.id);
    if (unread.length) {
      await rpc("chat_markread", unread).catch(() => {});
      const threads = await rpc("chat_threads").catch(() => []);
      ctx.setUnread(threads.reduce((n, t) => n + t.unread, 0));
    }
  }
  await load();
  return {onEvent: (kind) => { if (kind === "message") load(); }};
}

async function bubble(m) {
  const el = h("div.msg" + (m.direction === "out" ? ".out" : ""), {dataset: {msg: m.id}});
  if (m.kind === "text") {
    add(el, m.text);
  } else if (m.kind === "attachment") {
    try {
      const full = await rpc("chat_get", m.id);
      if (/^image\/(png|jpeg|gif|webp)$/.test(full.mime))
        add(el, h("img", {src: dataUrl(full.mime, full.data), alt: full.name || "image"}));
      const bytes = Uint8Array.from(atob(full.data), (c) => c.charCodeAt(0));
      const url = URL.createObjectURL(new Blob([bytes], {type: "application/octet-stream"}));
      add(el, h("a", {href: url, download: full.name || "file"}, "Download " + (full.name || "file") + " (" + full.size + " bytes)"));
    } catch (e) {
      add(el, notice("error", e.message));
    }
  } else {
    add(el, h("em", "Sealed: log in again to unlock your wallet and read it."));
  }
  add(el, h("span.meta", (m.direction === "out" ? "You · " : "") + when(m.timestamp)));
  return el;
}
