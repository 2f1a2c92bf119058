/* testkv's interfaces — its RPC methods and its "kvnote" inventory type —
 * and the plugin struct that puts its parts together. */
#include <stdio.h>
#include <string.h>

#include "crypto/address.h"
#include "crypto/sha256.h"
#include "consensus/chainparams.h"
#include "node/node.h"
#include "plugins/testkv/testkv_impl.h"
#include "rpc/server.h"
#include "util/args.h"

static struct plugin_ctx *testkv_ctx(struct rpc_request *req)
{
    struct plugin_ctx *pc = plugin_find(req->node, "testkv");
    if (pc == NULL)
        rpc_error(req, RPC_MISC_ERROR, "the testkv plugin is not running");
    return pc;
}

/* A key as given: 1..32 of the characters kv_put allows. */
static bool testkv_param_key(struct rpc_request *req, const char **key, size_t *len)
{
    if (!rpc_param_str(req, 0, NULL, key))
        return false;
    *len = strlen(*key);
    if (*len == 0 || *len > TESTKV_KEY_MAX ||
        strspn(*key, "abcdefghijklmnopqrstuvwxyz0123456789_") != *len)
        return rpc_error(req, RPC_INVALID_PARAMETER,
                         "key: 1 to 32 characters of a-z, 0-9 and '_'");
    return true;
}

struct testkv_lookup {
    const uint8_t *name;
    size_t len;
    bool found;
    struct testkv_record r;
    bool expires;
    uint64_t expires_at;
};

static bool testkv_lookup_tip(struct state_view *v, uint64_t height, void *arg)
{
    (void)height;
    struct testkv_lookup *l = arg;
    if (testkv_read(v, l->name, l->len, &l->r, &l->found) != TXERR_OK)
        return false;
    return deadline_find(v, TESTKV_PREFIX, l->name, l->len, &l->expires_at, &l->expires) ==
           TXERR_OK;
}

static bool rpc_testkv_get(struct rpc_request *req, json_t **result)
{
    struct plugin_ctx *pc = testkv_ctx(req);
    const char *key;
    size_t len;
    if (pc == NULL || !testkv_param_key(req, &key, &len))
        return false;
    struct testkv_lookup l = {.name = (const uint8_t *)key, .len = len};
    if (!plugin_with_tip(pc, testkv_lookup_tip, &l))
        return rpc_error(req, RPC_INTERNAL_ERROR, "reading the state failed");
    if (!l.found) {
        *result = NULL;
        return true;
    }
    char addr[ADDRESS_MAX_LEN + 1];
    if (address_encode(req->node->params->hrp, l.r.owner, addr, sizeof addr) != ADDRESS_OK)
        return rpc_error(req, RPC_INTERNAL_ERROR, "a stored owner is not a key");
    json_t *o = json_object();
    json_object_set_new(o, "key", json_string(key));
    json_object_set_new(o, "owner", json_string(addr));
    json_object_set_new(o, "value", rpc_hex_json(l.r.value, l.r.value_len));
    json_object_set_new(o, "height", json_integer((json_int_t)l.r.height));
    json_object_set_new(o, "expires_at", l.expires ? json_integer((json_int_t)l.expires_at)
                                                   : json_null());
    *result = o;
    return true;
}

static bool rpc_testkv_history(struct rpc_request *req, json_t **result)
{
    struct plugin_ctx *pc = testkv_ctx(req);
    const char *key;
    size_t len;
    if (pc == NULL || !testkv_param_key(req, &key, &len))
        return false;
    char err[200];
    if (!plugin_index_sync(pc, err, sizeof err))
        return rpc_error(req, RPC_MISC_ERROR, "%s", err);
    json_t *arr = json_array();
    plugin_db_lock(pc);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(pc->db,
                                "SELECT height, txid, op FROM kv_log WHERE key = ?1 "
                                "ORDER BY height, pos", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, key, (int)len, SQLITE_STATIC);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            json_t *row = json_object();
            json_object_set_new(row, "height", json_integer(sqlite3_column_int64(st, 0)));
            json_object_set_new(row, "txid", rpc_hex_json(sqlite3_column_blob(st, 1),
                                                          (size_t)sqlite3_column_bytes(st, 1)));
            json_object_set_new(row, "op", json_string((const char *)sqlite3_column_text(st, 2)));
            json_array_append_new(arr, row);
        }
    }
    sqlite3_finalize(st);
    plugin_db_unlock(pc);
    if (rc != SQLITE_DONE) {
        json_decref(arr);
        return rpc_error(req, RPC_INTERNAL_ERROR, "reading the testkv index failed");
    }
    *result = arr;
    return true;
}

/* ---- notes: objects gossiped by inventory ---------------------------------- */

static bool testkv_note_have(struct plugin_ctx *pc, const uint8_t hash[32])
{
    plugin_db_lock(pc);
    sqlite3_stmt *st = NULL;
    bool have = false;
    if (sqlite3_prepare_v2(pc->db, "SELECT 1 FROM notes WHERE id = ?1", -1, &st, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
        have = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    plugin_db_unlock(pc);
    return have;
}

/* The note's body into out (reset first); false when unknown. */
static bool testkv_note_read(struct plugin_ctx *pc, const uint8_t hash[32], struct buf *out)
{
    buf_reset(out);
    plugin_db_lock(pc);
    sqlite3_stmt *st = NULL;
    bool ok = false;
    if (sqlite3_prepare_v2(pc->db, "SELECT body FROM notes WHERE id = ?1", -1, &st, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
        ok = sqlite3_step(st) == SQLITE_ROW &&
             buf_append(out, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0));
    }
    sqlite3_finalize(st);
    plugin_db_unlock(pc);
    return ok;
}

/* Stores a note; *added false when it was known. */
static bool testkv_note_store(struct plugin_ctx *pc, const uint8_t *body, size_t len,
                              uint8_t id[32], bool *added)
{
    sha256(body, len, id);
    plugin_db_lock(pc);
    sqlite3_stmt *st = NULL;
    bool ok = sqlite3_prepare_v2(pc->db, "INSERT OR IGNORE INTO notes VALUES(?1, ?2)", -1, &st,
                                 NULL) == SQLITE_OK;
    if (ok) {
        sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
        sqlite3_bind_blob(st, 2, body, (int)len, SQLITE_STATIC);
        ok = sqlite3_step(st) == SQLITE_DONE;
    }
    *added = ok && sqlite3_changes(pc->db) > 0;
    sqlite3_finalize(st);
    plugin_db_unlock(pc);
    return ok;
}

static bool testkv_note_get(struct plugin_ctx *pc, const uint8_t hash[32], struct ser_writer *w)
{
    struct buf body;
    buf_init(&body);
    bool ok = testkv_note_read(pc, hash, &body);
    if (ok) {
        ser_write_array(w, 1);
        ser_write_bin(w, body.data, body.len);
    }
    buf_clear(&body);
    return ok;
}

static int testkv_note_receive(struct plugin_ctx *pc, const msgpack_object *payload,
                               uint8_t hash[32], bool *relay)
{
    const msgpack_object *f;
    const uint8_t *body;
    size_t len;
    *relay = false;
    if (ser_get_array(payload, 1, &f) != SER_OK ||
        ser_get_bin(&f[0], TESTKV_NOTE_MAX, &body, &len) != SER_OK || len == 0)
        return 100;
    bool added = false;
    if (!testkv_note_store(pc, body, len, hash, &added))
        return 0;
    *relay = added;
    return 0;
}

const struct plugin_inv testkv_invs[1] = {
    {.type = TESTKV_INV_NOTE,
     .command = "kvnote",
     .have = testkv_note_have,
     .get = testkv_note_get,
     .receive = testkv_note_receive},
};

static bool rpc_testkv_addnote(struct rpc_request *req, json_t **result)
{
    struct plugin_ctx *pc = testkv_ctx(req);
    struct buf body;
    buf_init(&body);
    if (pc == NULL || !rpc_param_hex(req, 0, &body)) {
        buf_clear(&body);
        return false;
    }
    if (body.len == 0 || body.len > TESTKV_NOTE_MAX) {
        buf_clear(&body);
        return rpc_error(req, RPC_INVALID_PARAMETER, "a note is 1 to %d bytes", TESTKV_NOTE_MAX);
    }
    uint8_t id[32];
    bool added = false;
    bool ok = testkv_note_store(pc, body.data, body.len, id, &added);
    buf_clear(&body);
    if (!ok)
        return rpc_error(req, RPC_INTERNAL_ERROR, "storing the note failed");
    if (added && pc->announce != NULL)
        pc->announce(pc, TESTKV_INV_NOTE, id);
    *result = rpc_hex_json(id, 32);
    return true;
}

static bool rpc_testkv_getnote(struct rpc_request *req, json_t **result)
{
    struct plugin_ctx *pc = testkv_ctx(req);
    uint8_t id[32];
    if (pc == NULL || !rpc_param_hash(req, 0, id))
        return false;
    struct buf body;
    buf_init(&body);
    bool found = testkv_note_read(pc, id, &body);
    if (found)
        *result = rpc_hex_json(body.data, body.len);
    buf_clear(&body);
    return found || rpc_error(req, RPC_INVALID_ADDRESS_OR_KEY, "no note with this id");
}

static const struct rpc_method testkv_rpc_methods[] = {
    {"testkv", "testkv_get", rpc_testkv_get, "Returns a key of the test key-value store.",
     "Result: {\"key\", \"owner\": address, \"value\": hex, \"height\": n,\n"
     "         \"expires_at\": height or null}, or null when the key is not set",
     {{"key", RPC_ARG_STR, false, "The key"}}},
    {"testkv", "testkv_history", rpc_testkv_history,
     "Lists the kv_put and kv_del transactions of a key in the active chain (from the index).",
     "Result: [{\"height\": n, \"txid\": \"hex\", \"op\": \"put\"|\"del\"}, ...]",
     {{"key", RPC_ARG_STR, false, "The key"}}},
    {"testkv", "testkv_addnote", rpc_testkv_addnote,
     "Stores a note and announces it to peers.", "Result: the note's id (hex)",
     {{"hex", RPC_ARG_HEX, false, "The note, 1 to 256 bytes"}}},
    {"testkv", "testkv_getnote", rpc_testkv_getnote, "Returns a note this node holds.",
     "Result: the note (hex)",
     {{"id", RPC_ARG_HASH, false, "The note's id"}}},
};

static const struct args_option testkv_options[] = {
    {"testkvindexdelay", "<ms>", "0",
     "Make the testkv index wait this long before each block it adds (0 to 10000), to show "
     "that a slow index never holds up validation.", 0, NULL},
};

static struct testkv_state testkv_running;

static bool testkv_start(struct plugin_ctx *pc, char *err, size_t errlen)
{
    struct testkv_state ts = {0};
    if (args_get_int(pc->node->args, "testkvindexdelay", 0, 0, 10000, &ts.index_delay_ms, err,
                     errlen) != ARGS_OK)
        return false;
    testkv_running = ts;
    pc->state = &testkv_running;
    return true;
}

const struct plugin testkv_plugin = {
    .name = "testkv",
    .summary = "a key-value store that exists to test the plugin host (regtest, -testplugin)",
    .types = testkv_types,
    .n_types = TESTKV_N_TYPES,
    .rules = testkv_rules,
    .n_rules = TESTKV_N_RULES,
    .deadlines = testkv_deadlines,
    .n_deadlines = 1,
    .block_prologue = testkv_prologue,
    .prefixes = testkv_prefixes,
    .n_prefixes = 1,
    .db_file = "testkv.sqlite",
    .schema = testkv_schema,
    .n_schema = TESTKV_N_SCHEMA,
    .index_connect = testkv_index_connect,
    .index_disconnect = testkv_index_disconnect,
    .index_reset = testkv_index_reset,
    .rpc_methods = testkv_rpc_methods,
    .n_rpc_methods = sizeof testkv_rpc_methods / sizeof testkv_rpc_methods[0],
    .invs = testkv_invs,
    .n_invs = 1,
    .options = testkv_options,
    .n_options = sizeof testkv_options / sizeof testkv_options[0],
    .start = testkv_start,
};
