#define _POSIX_C_SOURCE 200809L
#include "node/pluginhost.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "consensus/account.h"
#include "node/chainstate.h"
#include "node/eventbus.h"
#include "node/services.h"
#include "util/log.h"
#include "util/crashpoint.h"
#include "util/sqlitedb.h"
#include "util/sqlitepool.h"
#include "util/strutil.h"

const uint8_t pluginhost_core_prefixes[] = {CHAINSTATE_META_PREFIX, ACCOUNT_PREFIX,
                                            DEADLINE_PREFIX};
const size_t pluginhost_n_core_prefixes = sizeof pluginhost_core_prefixes;

/* The inventory types P2P itself uses (tx 1, block 2). */
#define PLUGINHOST_FIRST_INV_TYPE 3

/* "SOUP": the application id of every plugin file. */
#define PLUGINHOST_APP_ID 0x534f5550

/* The host's table in each plugin file: the index's best-block marker. */
static const char pluginhost_marker_table[] =
    "CREATE TABLE souk_index_best(id INTEGER PRIMARY KEY CHECK (id = 0), hash BLOB NOT NULL, "
    "height INTEGER NOT NULL)";

void pluginhost_init(struct pluginhost *h)
{
    memset(h, 0, sizeof *h);
}

void pluginhost_clear(struct pluginhost *h)
{
    pluginhost_stop(h);
    if (h->installed)
        pluginhost_uninstall(h);
    for (size_t i = 0; i < h->n; i++)
        pthread_mutex_destroy(&h->ctx[i].db_mu);
    memset(h, 0, sizeof *h);
}

static bool name_ok(const char *name)
{
    size_t len = name != NULL ? strlen(name) : 0;
    if (len == 0 || len > 32)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
              name[i] == '_'))
            return false;
    return true;
}

static bool refuse(char *err, size_t errlen, const char *plugin, const char *what)
{
    snprintf(err, errlen, "plugin %s: %s", plugin != NULL ? plugin : "(unnamed)", what);
    return false;
}

static bool prefix_taken(const struct pluginhost *h, uint8_t prefix, const char **owner)
{
    for (size_t i = 0; i < pluginhost_n_core_prefixes; i++)
        if (pluginhost_core_prefixes[i] == prefix) {
            *owner = "the core";
            return true;
        }
    for (size_t i = 0; i < h->n; i++)
        for (size_t k = 0; k < h->plugins[i]->n_prefixes; k++)
            if (h->plugins[i]->prefixes[k] == prefix) {
                *owner = h->plugins[i]->name;
                return true;
            }
    return false;
}

/* Checks p's registrations against each other and everything added so far
 * (the consensus registries hold the core's). */
static bool pluginhost_check(const struct pluginhost *h, const struct plugin *p, char *err,
                             size_t errlen)
{
    char msg[192];
    if (!name_ok(p->name))
        return refuse(err, errlen, p->name, "a name is 1 to 32 of [a-z0-9_]");
    for (size_t i = 0; i < h->n; i++)
        if (strcmp(h->plugins[i]->name, p->name) == 0)
            return refuse(err, errlen, p->name, "added twice");
    for (size_t t = 0; t < p->n_types; t++) {
        const struct txtype_def *d = p->types[t];
        if (d == NULL)
            return refuse(err, errlen, p->name, "a type slot is empty");
        const struct txtype_def *core = txtype_find(d->id);
        if (core == NULL)
            core = txtype_find_name(d->name);
        for (size_t i = 0; core == NULL && i < h->n; i++)
            for (size_t k = 0; core == NULL && k < h->plugins[i]->n_types; k++)
                if (h->plugins[i]->types[k]->id == d->id ||
                    strcmp(h->plugins[i]->types[k]->name, d->name) == 0)
                    core = h->plugins[i]->types[k];
        for (size_t k = 0; core == NULL && k < t; k++)
            if (p->types[k]->id == d->id || strcmp(p->types[k]->name, d->name) == 0)
                core = p->types[k];
        if (core != NULL) {
            snprintf(msg, sizeof msg, "type %s (id %u) clashes with type %s (id %u)", d->name,
                     (unsigned)d->id, core->name, (unsigned)core->id);
            return refuse(err, errlen, p->name, msg);
        }
        if (d->apply == NULL) {
            snprintf(msg, sizeof msg, "type %s has no apply", d->name);
            return refuse(err, errlen, p->name, msg);
        }
    }
    for (size_t k = 0; k < p->n_prefixes; k++) {
        const char *owner = NULL;
        bool taken = prefix_taken(h, p->prefixes[k], &owner);
        for (size_t j = 0; !taken && j < k; j++)
            if (p->prefixes[j] == p->prefixes[k]) {
                taken = true;
                owner = p->name;
            }
        if (taken) {
            snprintf(msg, sizeof msg, "chainstate prefix 0x%02x is owned by %s", p->prefixes[k],
                     owner);
            return refuse(err, errlen, p->name, msg);
        }
    }
    for (size_t k = 0; k < p->n_deadlines; k++) {
        uint8_t o = p->deadlines[k].owner;
        bool taken = deadline_handler_find(o) != NULL;
        for (size_t i = 0; !taken && i < h->n; i++)
            for (size_t j = 0; j < h->plugins[i]->n_deadlines; j++)
                taken = taken || h->plugins[i]->deadlines[j].owner == o;
        for (size_t j = 0; !taken && j < k; j++)
            taken = p->deadlines[j].owner == o;
        if (taken) {
            snprintf(msg, sizeof msg, "deadline owner 0x%02x is taken", o);
            return refuse(err, errlen, p->name, msg);
        }
    }
    for (size_t k = 0; k < p->n_rules; k++) {
        const struct txerr_def *r = &p->rules[k];
        bool taken = false;
        for (size_t i = 0; !taken && i < h->n; i++)
            for (size_t j = 0; j < h->plugins[i]->n_rules; j++)
                taken = taken || h->plugins[i]->rules[j].code == r->code ||
                        strcmp(h->plugins[i]->rules[j].reason, r->reason) == 0;
        if (taken) {
            snprintf(msg, sizeof msg, "rule %s (code %d) is taken", r->reason, r->code);
            return refuse(err, errlen, p->name, msg);
        }
    }
    for (size_t k = 0; k < p->n_invs; k++) {
        uint32_t type = p->invs[k].type;
        bool taken = type < PLUGINHOST_FIRST_INV_TYPE;
        for (size_t i = 0; !taken && i < h->n; i++)
            for (size_t j = 0; j < h->plugins[i]->n_invs; j++)
                taken = taken || h->plugins[i]->invs[j].type == type;
        for (size_t j = 0; !taken && j < k; j++)
            taken = p->invs[j].type == type;
        if (taken) {
            snprintf(msg, sizeof msg, "inventory type %u is taken", (unsigned)type);
            return refuse(err, errlen, p->name, msg);
        }
    }
    bool has_index = p->index_connect != NULL || p->index_disconnect != NULL ||
                     p->index_reset != NULL;
    if (has_index && (p->index_connect == NULL || p->index_disconnect == NULL ||
                      p->index_reset == NULL || p->db_file == NULL))
        return refuse(err, errlen, p->name,
                      "an index needs connect, disconnect, reset and a database file");
    return true;
}

bool pluginhost_add(struct pluginhost *h, const struct plugin *p, char *err, size_t errlen)
{
    if (p == NULL)
        return refuse(err, errlen, NULL, "no plugin");
    if (h->installed)
        return refuse(err, errlen, p->name, "plugins are added before the chain opens");
    if (h->n == PLUGINHOST_MAX)
        return refuse(err, errlen, p->name, "too many plugins");
    if (!pluginhost_check(h, p, err, errlen))
        return false;
    h->plugins[h->n] = p;
    h->ctx[h->n].plugin = p;
    pthread_mutex_init(&h->ctx[h->n].db_mu, NULL);
    h->n++;
    return true;
}

bool pluginhost_install(struct pluginhost *h, char *err, size_t errlen)
{
    char msg[192];
    bool ok = true;
    for (size_t i = 0; ok && i < h->n; i++) {
        const struct plugin *p = h->plugins[i];
        ok = txerr_register(p->rules, p->n_rules, msg, sizeof msg);
        for (size_t k = 0; ok && k < p->n_types; k++)
            ok = txtype_register(p->types[k], msg, sizeof msg);
        for (size_t k = 0; ok && k < p->n_deadlines; k++)
            ok = deadline_register(&p->deadlines[k], msg, sizeof msg);
        if (ok && p->block_prologue != NULL)
            ok = prologue_register(p->name, p->block_prologue, msg, sizeof msg);
        if (!ok)
            refuse(err, errlen, p->name, msg);
    }
    h->installed = true;
    if (!ok)
        pluginhost_uninstall(h);
    return ok;
}

void pluginhost_uninstall(struct pluginhost *h)
{
    txtype_reset();
    txerr_reset();
    deadline_reset();
    prologue_reset();
    h->installed = false;
}

enum txerr pluginhost_supply_held(const struct pluginhost *h, struct state_view *v,
                                  amount_t *out)
{
    *out = 0;
    for (size_t i = 0; i < h->n; i++) {
        if (h->plugins[i]->supply_held == NULL)
            continue;
        amount_t held = 0;
        enum txerr err = h->plugins[i]->supply_held(v, &held);
        if (err != TXERR_OK)
            return err;
        if (!amount_add(*out, held, out))
            return TXERR_AMOUNT_RANGE;
    }
    return TXERR_OK;
}

/* ---- a plugin's chain-following index ------------------------------------ */

static bool plugin_sql(struct plugin_ctx *pc, const char *sql, char *err, size_t errlen)
{
    return sqlitedb_exec(pc->db, sql, err, errlen);
}

static bool plugin_set_marker(struct plugin_ctx *pc, const uint8_t *hash, uint64_t height,
                              char *err, size_t errlen)
{
    char why[200];
    sqlite3_stmt *st = sqlitedb_prepare(pc->db,
                                        "INSERT OR REPLACE INTO souk_index_best(id, hash, height) "
                                        "VALUES(0, ?1, ?2)", why, sizeof why);
    if (st != NULL) {
        sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)height);
    }
    if (st == NULL || !sqlitedb_step_done(pc->db, st, why, sizeof why)) {
        snprintf(err, errlen, "writing the index marker: %s", why);
        return false;
    }
    return true;
}

static bool plugin_get_best(void *ctx, uint8_t hash[32], bool *found, char *err, size_t errlen)
{
    struct plugin_ctx *pc = ctx;
    sqlite3_stmt *st = NULL;
    *found = false;
    plugin_db_lock(pc);
    int rc = sqlite3_prepare_v2(pc->db, "SELECT hash FROM souk_index_best WHERE id = 0", -1, &st,
                                NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    bool ok = rc == SQLITE_ROW || rc == SQLITE_DONE;
    if (rc == SQLITE_ROW) {
        if (sqlite3_column_bytes(st, 0) == 32) {
            memcpy(hash, sqlite3_column_blob(st, 0), 32);
            *found = true;
        } else {
            snprintf(err, errlen, "the index marker is damaged");
            ok = false;
        }
    } else if (!ok) {
        snprintf(err, errlen, "reading the index marker: %s", sqlite3_errmsg(pc->db));
    }
    sqlite3_finalize(st);
    plugin_db_unlock(pc);
    return ok;
}

/* Runs one change of the index and its marker as one SQLite transaction. */
static bool plugin_index_change(struct plugin_ctx *pc, const struct block *b,
                                const uint8_t hash[32], uint64_t height,
                                const uint8_t *new_best, uint64_t new_height, bool connect,
                                char *err, size_t errlen)
{
    plugin_db_lock(pc);
    pc->index_disk_failed = false;
    if (!plugin_sql(pc, "BEGIN IMMEDIATE", err, errlen)) {
        int code = sqlite3_extended_errcode(pc->db) & 0xff;
        pc->index_disk_failed = code == SQLITE_FULL || code == SQLITE_IOERR;
        plugin_db_unlock(pc);
        return false;
    }
    struct plugin_block pb = {.block = b, .hash = hash, .height = height};
    const struct plugin *p = pc->plugin;
    bool ok = connect ? p->index_connect(pc, &pb, err, errlen)
                      : p->index_disconnect(pc, &pb, err, errlen);
    ok = ok && plugin_set_marker(pc, new_best, new_height, err, errlen);
    if (ok)
        crashpoint("plugin-index-before-commit");
    ok = ok && plugin_sql(pc, "COMMIT", err, errlen);
    if (!ok) {
        int code = sqlite3_extended_errcode(pc->db) & 0xff;
        pc->index_disk_failed = code == SQLITE_FULL || code == SQLITE_IOERR;
        sqlitedb_rollback(pc->db);
    }
    plugin_db_unlock(pc);
    if (ok)
        crashpoint("plugin-index-after-commit");
    return ok;
}

static bool plugin_connect(void *ctx, const struct block *b, const uint8_t hash[32],
                           uint64_t height, char *err, size_t errlen)
{
    return plugin_index_change(ctx, b, hash, height, hash, height, true, err, errlen);
}

static bool plugin_disconnect(void *ctx, const struct block *b, const uint8_t hash[32],
                              uint64_t height, const uint8_t prev_hash[32], char *err,
                              size_t errlen)
{
    return plugin_index_change(ctx, b, hash, height, prev_hash, height - 1, false, err, errlen);
}

static bool plugin_disk_failed(void *ctx)
{
    struct plugin_ctx *pc = ctx;
    return pc->index_disk_failed;
}

static bool plugin_reset(void *ctx, char *err, size_t errlen)
{
    struct plugin_ctx *pc = ctx;
    plugin_db_lock(pc);
    bool ok = plugin_sql(pc, "BEGIN IMMEDIATE", err, errlen);
    if (ok) {
        ok = pc->plugin->index_reset(pc, err, errlen) &&
             plugin_sql(pc, "DELETE FROM souk_index_best", err, errlen) &&
             plugin_sql(pc, "COMMIT", err, errlen);
        if (!ok)
            sqlitedb_rollback(pc->db);
    }
    plugin_db_unlock(pc);
    return ok;
}

/* ---- start / stop ---------------------------------------------------------- */

/* Moves a plugin's file (and its -wal, -shm) aside with that suffix:
 * never destroyed, and a new one starts. */
static bool move_aside(const char *path, const char *suffix)
{
    static const char *const parts[] = {"-wal", "-shm", ""};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        char from[PATH_MAX + 96], to[PATH_MAX + 160];
        snprintf(from, sizeof from, "%s%s", path, parts[i]);
        snprintf(to, sizeof to, "%s%s%s", path, suffix, parts[i]);
        if (access(from, F_OK) == 0 && rename(from, to) != 0)
            return false;
    }
    return true;
}

static bool aside(const char *path, const char *suffix, char *err, size_t errlen)
{
    if (move_aside(path, suffix))
        return true;
    str_set_err(err, errlen, "cannot move %s aside: %s", path, strerror(errno));
    return false;
}

/* ---- read-only connections ---------------------------------------------- */

sqlite3 *plugin_db_reader_get(struct plugin_ctx *pc)
{
    if (pc->db == NULL)
        return NULL;
    sqlite3 *db = pc->readers != NULL ? sqlitepool_get(pc->readers) : NULL;
    if (db != NULL)
        return db;
    plugin_db_lock(pc);
    return pc->db;
}

void plugin_db_reader_put(struct plugin_ctx *pc, sqlite3 *db)
{
    if (db == NULL)
        return;
    if (db == pc->db)
        plugin_db_unlock(pc);
    else
        sqlitepool_put(pc->readers, db);
}

static bool plugin_open_db(struct plugin_ctx *pc, const char *datadir, char *err, size_t errlen)
{
    const struct plugin *p = pc->plugin;
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", datadir, p->db_file);
    const char **stmts = calloc(p->n_schema + 1, sizeof *stmts);
    if (stmts == NULL) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    for (size_t i = 0; i < p->n_schema; i++)
        stmts[i] = p->schema[i];
    stmts[p->n_schema] = pluginhost_marker_table;
    struct sqlitedb_schema schema = {.app_id = PLUGINHOST_APP_ID,
                                     .version = p->db_version > 0 ? p->db_version : 1,
                                     .statements = stmts,
                                     .n_statements = p->n_schema + 1};
    bool ok = sqlitedb_open(path, &schema, &pc->db, err, errlen);
    char suffix[64];
    int64_t version = schema.version;
    if (ok && sqlitedb_query_int(pc->db, "PRAGMA user_version", &version, NULL, 0) &&
        version < schema.version) {
        /* A file of an older schema holds what the chain and the peers
         * give again: it is set aside and started afresh (an index is then
         * rebuilt from the genesis block). */
        LOG_INFO(LOG_CAT_PLUGIN, "plugin %s: %s has schema version %d, this version writes %d; "
                 "moving it aside and starting a new one",
                 p->name, path, (int)version, schema.version);
        sqlite3_close(pc->db);
        pc->db = NULL;
        snprintf(suffix, sizeof suffix, ".v%d-%lld", (int)version, (long long)time(NULL));
        ok = aside(path, suffix, err, errlen) && sqlitedb_open(path, &schema, &pc->db, err, errlen);
    } else if (!ok && access(path, F_OK) == 0) {
        /* A file that cannot be opened is moved aside, never destroyed, and
         * started afresh: the index is rebuilt from the chain. */
        snprintf(suffix, sizeof suffix, ".damaged-%lld", (long long)time(NULL));
        LOG_WARN(LOG_CAT_PLUGIN, "plugin %s: %s; moving it to %s%s and starting a new one",
                 p->name, err, path, suffix);
        ok = aside(path, suffix, err, errlen) && sqlitedb_open(path, &schema, &pc->db, err, errlen);
    }
    free(stmts);
    if (ok && (pc->readers = sqlitepool_new(path, PLUGIN_DB_READERS)) == NULL) {
        snprintf(err, errlen, "out of memory");
        sqlite3_close(pc->db);
        pc->db = NULL;
        ok = false;
    }
    return ok;
}

static void plugin_close(struct plugin_ctx *pc)
{
    index_runner_stop(pc->index);
    pc->index = NULL;
    /* The plugin's RPCs no longer run: every reader is back. */
    sqlitepool_free(pc->readers);
    pc->readers = NULL;
    if (pc->db != NULL)
        sqlite3_close(pc->db);
    pc->db = NULL;
}

static bool plugin_start_one(struct plugin_ctx *pc, struct node_ctx *node, bool reindex,
                             char *err, size_t errlen)
{
    const struct plugin *p = pc->plugin;
    char msg[256] = "";
    pc->node = node;
    pc->announce = NULL;
    pc->request = NULL;
    bool ok = p->db_file == NULL || plugin_open_db(pc, node->datadir, msg, sizeof msg);
    if (ok && p->index_connect != NULL) {
        struct index_def def = {.name = p->name,
                                .ctx = pc,
                                .get_best = plugin_get_best,
                                .connect = plugin_connect,
                                .disconnect = plugin_disconnect,
                                .reset = plugin_reset,
                                .disk_failed = plugin_disk_failed};
        ok = index_runner_start(node, &def, reindex, &pc->index, msg, sizeof msg);
    }
    if (ok && p->start != NULL)
        ok = p->start(pc, msg, sizeof msg);
    if (!ok) {
        plugin_close(pc);
        pc->node = NULL;
        return refuse(err, errlen, p->name, msg);
    }
    LOG_INFO(LOG_CAT_PLUGIN, "plugin %s started", p->name);
    return true;
}

bool pluginhost_start(struct pluginhost *h, struct node_ctx *node, bool reindex, char *err,
                      size_t errlen)
{
    for (size_t i = 0; i < h->n; i++) {
        if (!plugin_start_one(&h->ctx[i], node, reindex, err, errlen)) {
            pluginhost_stop(h);
            return false;
        }
        h->started = i + 1;
    }
    return true;
}

void pluginhost_stop(struct pluginhost *h)
{
    while (h->started > 0) {
        struct plugin_ctx *pc = &h->ctx[--h->started];
        if (pc->plugin->stop != NULL)
            pc->plugin->stop(pc);
        plugin_close(pc);
        pc->state = NULL;
        pc->node = NULL;
    }
}

struct plugin_ctx *pluginhost_find(struct pluginhost *h, const char *name)
{
    for (size_t i = 0; h != NULL && i < h->n; i++)
        if (strcmp(h->plugins[i]->name, name) == 0)
            return &h->ctx[i];
    return NULL;
}

struct plugin_ctx *plugin_find(struct node_ctx *node, const char *name)
{
    if (node == NULL)
        return NULL;
    struct plugin_ctx *pc = pluginhost_find(node->plugins, name);
    return pc != NULL && pc->node != NULL ? pc : NULL;
}

void plugin_publish(struct plugin_ctx *pc, const struct node_event *e)
{
    if (pc != NULL && pc->node != NULL)
        eventbus_publish(pc->node->events, e);
}

void plugin_db_lock(struct plugin_ctx *pc)
{
    pthread_mutex_lock(&pc->db_mu);
}

void plugin_db_unlock(struct plugin_ctx *pc)
{
    pthread_mutex_unlock(&pc->db_mu);
}

bool plugin_with_tip(struct plugin_ctx *pc, plugin_tip_fn fn, void *arg)
{
    struct node_ctx *node = pc->node;
    pthread_mutex_lock(&node->lock);
    struct state_backend be;
    chain_tip_backend(services_chain(node), &be);
    struct state_view v;
    state_view_init(&v, &be);
    bool ok = fn(&v, chain_tip(services_chain(node))->height, arg) && !state_view_failed(&v);
    state_view_clear(&v);
    pthread_mutex_unlock(&node->lock);
    return ok;
}

bool plugin_index_sync(struct plugin_ctx *pc, char *err, size_t errlen)
{
    if (pc->index == NULL)
        return true;
    return index_runner_sync(pc->index, PLUGINHOST_SYNC_TIMEOUT_MS, err, errlen);
}
