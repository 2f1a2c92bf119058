// Sign up (the seed words shown once), log in, and the account page.
import {changePassword, currentSession, deleteAccount, login, logout, rpc, signup} from "../api.js";
import {actionButton, add, clear, field, h, notice} from "../dom.js";

function afterLogin(go) {
  const next = sessionStorage.getItem("after-login");
  sessionStorage.removeItem("after-login");
  go(next || "/");
}

export function renderLogin(main, args, ctx) {
  const user = h("input", {name: "username", autocomplete: "username", required: true});
  const pass = h("input", {type: "password", name: "password", autocomplete: "current-password", required: true});
  const out = h("div");
  const form = h("form.card", {id: "login-form"},
    field("Username", user), field("Password", pass), out,
    h("button", {type: "submit"}, "Log in"),
    h("p.muted", "New here? ", h("a", {href: "#/signup"}, "Create an account")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clear(out);
    try {
      await login(user.value.trim().toLowerCase(), pass.value);
      afterLogin(ctx.go);
    } catch (err) {
      add(out, notice("error", err.message));
    }
  });
  add(main, h("h1", "Log in"), form);
  user.focus();
}

export function renderSignup(main, args, ctx) {
  const user = h("input", {name: "username", autocomplete: "username", required: true,
    pattern: "[a-zA-Z0-9_\\-]{3,32}"});
  const pass = h("input", {type: "password", name: "password", autocomplete: "new-password", required: true, minlength: 8});
  const again = h("input", {type: "password", name: "password2", autocomplete: "new-password", required: true});
  const out = h("div");
  const form = h("form.card", {id: "signup-form"},
    field("Username", user, "3 to 32 letters, digits, _ or -"),
    field("Password", pass, "At least 8 characters. It also locks your wallet: nobody can reset it."),
    field("Password again", again), out,
    h("button", {type: "submit"}, "Create my account"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clear(out);
    if (pass.value !== again.value) {
      add(out, notice("error", "The two passwords are not the same."));
      return;
    }
    if (pass.value.length < 8) {
      add(out, notice("error", "The password needs at least 8 characters."));
      return;
    }
    try {
      const r = await signup(user.value.trim().toLowerCase(), pass.value);
      clear(main);
      showSeed(main, r, ctx);
    } catch (err) {
      add(out, notice("error", err.message));
    }
  });
  add(main, h("h1", "Create your account"),
    h("p", "Your account comes with a key pair of your own: everything you buy, sell or " +
      "review is signed with it."), form);
  user.focus();
}

function showSeed(main, r, ctx) {
  const ok = h("input", {type: "checkbox", id: "seed-saved"});
  const next = h("button", {type: "button", disabled: true, id: "seed-continue"}, "Continue");
  ok.addEventListener("change", () => { next.disabled = !ok.checked; });
  next.addEventListener("click", () => afterLogin(ctx.go));
  add(main, h("h1", "Write down your seed words"),
    h("div.card",
      h("p", "These 24 words restore your keys on any souk wallet, even without this site. " +
        "They are shown only this once. Write them down in order and keep them private."),
      h("p.seed", {id: "seed"}, r.seed),
      h("p", "Your address: ", h("span.mono", {id: "signup-address"}, r.address)),
      h("div.row", ok, h("label", {for: "seed-saved"}, "I have written down my seed words")),
      h("p", next)));
}

export async function renderAccount(main, args, ctx) {
  const s = currentSession();
  const out = h("div");
  const oldp = h("input", {type: "password", autocomplete: "current-password"});
  const newp = h("input", {type: "password", autocomplete: "new-password", minlength: 8});
  const addrs = h("ul");
  add(main, h("h1", "Your account"),
    h("div.card", h("p", "Signed in as ", h("strong", s.username)),
      h("p", "Address: ", h("span.mono", s.address)),
      h("p", h("a", {href: "#/profile/" + s.address}, "Your public profile and reviews")),
      h("h2", "Your addresses"), addrs),
    h("div.card", h("h2", "Market profile"), profileForm()),
    h("div.card", h("h2", "Change password"), field("Current password", oldp), field("New password", newp), out,
      actionButton("Change password", async () => {
        await changePassword(oldp.value, newp.value);
        add(out, notice("ok", "Your password is changed."));
        oldp.value = newp.value = "";
      }, out)),
    h("p", actionButton("Log out", async () => { await logout(); ctx.go("/"); }, null, "secondary")),
    deleteCard(ctx));
  try {
    for (const a of await rpc("listaddresses")) add(addrs, h("li.mono", typeof a === "string" ? a : a.address));
  } catch (e) {
    add(addrs, h("li", notice("error", e.message)));
  }
}

// Deleting asks for the password and a tick: it cannot be undone here.
function deleteCard(ctx) {
  const pass = h("input", {id: "delete-password", type: "password", autocomplete: "current-password"});
  const sure = h("input", {id: "delete-sure", type: "checkbox"});
  const out = h("div");
  return h("div.card", h("h2", "Delete account"),
    h("p", "Your account and every session of it end, and your username is free again. " +
      "Your wallet is not destroyed: the node keeps its file, set aside, and your seed words " +
      "restore your coins in any souk wallet. Orders in progress go on without you, so settle " +
      "them first."),
    field("Password", pass),
    h("div.row", sure, h("label", {for: "delete-sure"}, "I have my seed words and want to delete this account")),
    out,
    actionButton("Delete my account", async () => {
      if (!sure.checked) throw new Error("Tick the box to confirm first.");
      await deleteAccount(pass.value);
      pass.value = "";
      sessionStorage.setItem("notice", "Your account is deleted.");
      ctx.go("/");
    }, out, "danger"));
}

function profileForm() {
  const name = h("input", {id: "profile-name", pattern: "[a-z0-9_\\-]{3,32}"});
  const about = h("textarea", {id: "profile-about", maxlength: 1024});
  const out = h("div");
  rpc("market_getprofile", currentSession().address).then((p) => {
    name.value = p.name;
    about.value = p.about || "";
  }).catch(() => {});
  return h("div", field("Shop name", name, "3 to 32 of a-z, 0-9, _ and -: how buyers find you"),
    field("About", about), out,
    actionButton("Save profile", async () => {
      await rpc("market_setprofile", name.value.trim(), about.value);
      add(out, notice("ok", "Saved. It shows once the next block confirms it (about a minute)."));
    }, out));
}
