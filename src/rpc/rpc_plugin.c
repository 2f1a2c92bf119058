#include "rpc/rpc_plugin.h"

#include <stdio.h>
#include <string.h>

#include "consensus/coinbase.h"
#include "consensus/transfer.h"
#include "node/pluginhost.h"
#include "node/services.h"
#include "rpc/server.h"

static json_t *json_uint(uint64_t v)
{
    return json_integer(v <= (uint64_t)INT64_MAX ? (json_int_t)v : INT64_MAX);
}

static json_t *field_json(const struct txfield *f)
{
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(f->name));
    json_object_set_new(o, "kind", json_string(txfield_kind_name(f->kind)));
    bool bounded = f->kind == TXFIELD_UINT || f->kind == TXFIELD_AMOUNT ||
                   f->kind == TXFIELD_BYTES || f->kind == TXFIELD_TEXT ||
                   f->kind == TXFIELD_HASH_LIST || f->kind == TXFIELD_UINT8_LIST;
    if (bounded) {
        json_object_set_new(o, "min", json_uint(f->min));
        /* Amounts are shown in coins, like every amount. */
        if (f->kind == TXFIELD_AMOUNT) {
            json_object_set_new(o, "min", rpc_amount_json(f->min));
            json_object_set_new(o, "max", rpc_amount_json(f->max != 0 ? f->max : AMOUNT_MAX));
        } else {
            json_object_set_new(o, "max", f->max != 0 ? json_uint(f->max) : json_null());
        }
    }
    if (f->kind == TXFIELD_UINT8_LIST)
        json_object_set_new(o, "item_max", json_integer(f->item_max));
    if (f->charset != NULL)
        json_object_set_new(o, "charset", json_string(f->charset));
    if (f->err != TXERR_OK)
        json_object_set_new(o, "rule", json_string(txerr_reason(f->err)));
    return o;
}

static json_t *type_json(const struct txtype_def *d)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(d->id));
    json_object_set_new(o, "name", json_string(d->name));
    json_t *fields = json_array();
    for (size_t i = 0; i < d->n_fields; i++)
        json_array_append_new(fields, field_json(&d->fields[i]));
    json_object_set_new(o, "fields", fields);
    return o;
}

static json_t *prefixes_json(const uint8_t *p, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, rpc_hex_json(&p[i], 1));
    return arr;
}

static json_t *plugin_json(const struct pluginhost *host, size_t i)
{
    const struct plugin *p = host->plugins[i];
    const struct plugin_ctx *pc = &host->ctx[i];
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(p->name));
    json_object_set_new(o, "summary", json_string(p->summary != NULL ? p->summary : ""));
    json_object_set_new(o, "running", json_boolean(pc->node != NULL));
    json_t *types = json_array();
    for (size_t k = 0; k < p->n_types; k++)
        json_array_append_new(types, type_json(p->types[k]));
    json_object_set_new(o, "types", types);
    json_t *rules = json_array();
    for (size_t k = 0; k < p->n_rules; k++) {
        json_t *r = json_object();
        json_object_set_new(r, "code", json_integer(p->rules[k].code));
        json_object_set_new(r, "reason", json_string(p->rules[k].reason));
        json_object_set_new(r, "class", json_string(txerr_class_name(p->rules[k].cls)));
        json_object_set_new(r, "text", json_string(p->rules[k].text));
        json_array_append_new(rules, r);
    }
    json_object_set_new(o, "rules", rules);
    json_object_set_new(o, "prefixes", prefixes_json(p->prefixes, p->n_prefixes));
    json_t *deadlines = json_array();
    for (size_t k = 0; k < p->n_deadlines; k++) {
        json_t *d = json_object();
        json_object_set_new(d, "owner", rpc_hex_json(&p->deadlines[k].owner, 1));
        json_object_set_new(d, "name", json_string(p->deadlines[k].name));
        json_array_append_new(deadlines, d);
    }
    json_object_set_new(o, "deadlines", deadlines);
    json_object_set_new(o, "block_hook", json_boolean(p->block_prologue != NULL));
    json_t *methods = json_array();
    for (size_t k = 0; k < p->n_rpc_methods; k++)
        json_array_append_new(methods, json_string(p->rpc_methods[k].name));
    json_object_set_new(o, "methods", methods);
    json_t *invs = json_array();
    for (size_t k = 0; k < p->n_invs; k++) {
        json_t *v = json_object();
        json_object_set_new(v, "type", json_integer(p->invs[k].type));
        json_object_set_new(v, "command", json_string(p->invs[k].command));
        json_array_append_new(invs, v);
    }
    json_object_set_new(o, "inventory", invs);
    json_object_set_new(o, "database", p->db_file != NULL ? json_string(p->db_file) : json_null());
    if (pc->index != NULL) {
        struct index_status s;
        index_runner_status(pc->index, &s);
        json_t *ix = json_object();
        json_object_set_new(ix, "height", json_uint(s.height));
        json_object_set_new(ix, "bestblock", rpc_hex_json(s.best, 32));
        json_object_set_new(ix, "synced", json_boolean(s.synced));
        if (s.failed)
            json_object_set_new(ix, "error", json_string(s.error));
        json_object_set_new(o, "index", ix);
    } else {
        json_object_set_new(o, "index", json_null());
    }
    return o;
}

static bool rpc_getplugininfo(struct rpc_request *req, json_t **result)
{
    const struct pluginhost *host = req->node != NULL ? req->node->plugins : NULL;
    json_t *core = json_object();
    json_t *types = json_array();
    json_array_append_new(types, type_json(&coinbase_txtype));
    json_array_append_new(types, type_json(&transfer_txtype));
    json_object_set_new(core, "types", types);
    json_object_set_new(core, "prefixes",
                        prefixes_json(pluginhost_core_prefixes, pluginhost_n_core_prefixes));
    json_t *plugins = json_array();
    for (size_t i = 0; host != NULL && i < host->n; i++)
        json_array_append_new(plugins, plugin_json(host, i));
    json_t *o = json_object();
    json_object_set_new(o, "core", core);
    json_object_set_new(o, "plugins", plugins);
    *result = o;
    return true;
}

static json_t *index_json(struct index_runner *r)
{
    struct index_status st;
    index_runner_status(r, &st);
    json_t *o = json_object();
    json_object_set_new(o, "synced", json_boolean(st.synced && !st.failed));
    json_object_set_new(o, "best_block_height", json_uint(st.height));
    if (st.failed)
        json_object_set_new(o, "error", json_string(st.error));
    return o;
}

static bool rpc_getindexinfo(struct rpc_request *req, json_t **result)
{
    const char *only;
    if (!rpc_param_str(req, 0, NULL, &only))
        return false;
    if (req->node == NULL)
        return rpc_error(req, RPC_INTERNAL_ERROR, "the chain is not loaded");
    json_t *o = json_object();
    struct index_runner *tx = services_txindex(req->node);
    if (tx != NULL && (only == NULL || strcmp(only, "txindex") == 0))
        json_object_set_new(o, "txindex", index_json(tx));
    const struct pluginhost *host = req->node->plugins;
    for (size_t i = 0; host != NULL && i < host->n; i++) {
        struct index_runner *r = host->ctx[i].index;
        if (r != NULL && (only == NULL || strcmp(only, index_runner_name(r)) == 0))
            json_object_set_new(o, index_runner_name(r), index_json(r));
    }
    *result = o;
    return true;
}

static const struct rpc_method plugin_methods[] = {
    {"blockchain", "getindexinfo", rpc_getindexinfo,
     "Returns the state of the chain-following indexes (the tx index, plugins' indexes).",
     "Each index follows the chain on its own thread from its own best block; \"synced\"\n"
     "is false while it catches up (after a start, a -reindex, a burst of blocks).\n"
     "Result: {\"txindex\": {\"synced\": bool, \"best_block_height\": n, \"error\": \"...\"\n"
     "         (only when it stopped)}, \"<plugin>\": {...}, ...}",
     {{"index_name", RPC_ARG_STR, true, "Only this index (default: all)"}}},
    {"control", "getplugininfo", rpc_getplugininfo,
     "Lists the plugins this node hosts, with their transaction types, rules and methods.",
     "Result: {\"core\": {\"types\": [type, ...], \"prefixes\": [\"hex\", ...]},\n"
     "         \"plugins\": [{\"name\", \"summary\", \"running\", \"types\": [type, ...],\n"
     "           \"rules\": [{\"code\", \"reason\", \"class\", \"text\"}], \"prefixes\",\n"
     "           \"deadlines\": [{\"owner\", \"name\"}], \"block_hook\", \"methods\": [name, ...],\n"
     "           \"inventory\": [{\"type\", \"command\"}], \"database\",\n"
     "           \"index\": {\"height\", \"bestblock\", \"synced\", \"error\"} or null}, ...]}\n"
     "type: {\"id\", \"name\", \"fields\": [{\"name\", \"kind\", \"min\", \"max\", \"charset\",\n"
     "       \"rule\"}, ...]} (bounds as the kind has them)",
     {{NULL, 0, false, NULL}}},
};

bool rpc_plugin_register(struct rpc_table *t, const struct pluginhost *host, char *err,
                         size_t errlen)
{
    if (!rpc_register_table(t, plugin_methods, sizeof plugin_methods / sizeof plugin_methods[0],
                            err, errlen))
        return false;
    for (size_t i = 0; host != NULL && i < host->n; i++) {
        const struct plugin *p = host->plugins[i];
        char why[192];
        if (p->n_rpc_methods > 0 &&
            !rpc_register_table(t, p->rpc_methods, p->n_rpc_methods, why, sizeof why)) {
            snprintf(err, errlen, "plugin %s: %s", p->name, why);
            return false;
        }
        size_t len = strlen(p->name);
        for (size_t k = 0; k < p->n_rpc_methods; k++)
            if (strncmp(p->rpc_methods[k].name, p->name, len) != 0 ||
                p->rpc_methods[k].name[len] != '_') {
                snprintf(err, errlen, "plugin %s: method %s does not start with \"%s_\"", p->name,
                         p->rpc_methods[k].name, p->name);
                return false;
            }
    }
    return true;
}
