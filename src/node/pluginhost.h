/* pluginhost: the node's list of plugins and their life cycle.
 *
 * The start-up code adds each plugin (one line per plugin), then:
 *   1. pluginhost_install, before the chain opens: every plugin's types,
 *      rules, deadline handlers and per-block hook go into the consensus
 *      registries, so the blocks of start-up and -reindex already see them;
 *   2. pluginhost_start, once the chain is open: each plugin's SQLite file
 *      is opened (created with its schema), its index starts following the
 *      chain on a thread of its own (rebuilt after -reindex), and its start
 *      hook runs;
 *   3. pluginhost_stop and pluginhost_uninstall in reverse.
 * pluginhost_add refuses a plugin whose name, type id or name, rule code or
 * reason, deadline owner, inventory type or chainstate prefix is already
 * taken (the core's included), so two plugins can never write each other's
 * state; the RPC table refuses a duplicate method name when the start-up
 * code registers the plugins' methods. Owns the plugin contexts, the
 * SQLite handles and the index runners; the plugin structs are static data
 * of their folders. Not thread-safe: start-up and shutdown run it. */
#ifndef SOUK_NODE_PLUGINHOST_H
#define SOUK_NODE_PLUGINHOST_H

#include <stdbool.h>
#include <stddef.h>

#include "node/index.h"
#include "node/node.h"
#include "node/plugin.h"

#define PLUGINHOST_MAX 16
/* How long an RPC call waits for a plugin's index to catch up. */
#define PLUGINHOST_SYNC_TIMEOUT_MS 30000

struct pluginhost {
    const struct plugin *plugins[PLUGINHOST_MAX];
    struct plugin_ctx ctx[PLUGINHOST_MAX];
    size_t n;
    bool installed;
    size_t started;  /* plugins whose start ran (in order) */
};

void pluginhost_init(struct pluginhost *h);
/* Stops, uninstalls and forgets every plugin. */
void pluginhost_clear(struct pluginhost *h);

/* Adds p after checking it against the core and every plugin added so
 * far; nothing is registered yet. False with a message naming the clash. */
bool pluginhost_add(struct pluginhost *h, const struct plugin *p, char *err, size_t errlen);

/* Registers every plugin's consensus parts. All or nothing. */
bool pluginhost_install(struct pluginhost *h, char *err, size_t errlen);
/* Removes every plugin registration from the consensus registries. */
void pluginhost_uninstall(struct pluginhost *h);

/* Opens the plugins' files and indexes and runs their start hooks, in
 * order; on failure the ones started are stopped again. With reindex the
 * indexes are rebuilt from the genesis block. node->chain must be open. */
bool pluginhost_start(struct pluginhost *h, struct node_ctx *node, bool reindex, char *err,
                      size_t errlen);
/* Stop hooks, index runners and files, in reverse order. */
void pluginhost_stop(struct pluginhost *h);

/* The coins every plugin's state holds outside accounts (supply_held),
 * summed over the plugins, read through v. */
enum txerr pluginhost_supply_held(const struct pluginhost *h, struct state_view *v,
                                  amount_t *out);

/* The running context of a plugin by name, or NULL. */
struct plugin_ctx *pluginhost_find(struct pluginhost *h, const char *name);

/* The chainstate prefixes the core owns (0x00 meta, 'a' accounts, 'd'
 * deadlines), for collision checks and getplugininfo. */
extern const uint8_t pluginhost_core_prefixes[];
extern const size_t pluginhost_n_core_prefixes;

#endif
