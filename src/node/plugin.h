/* plugin: what a plugin is — the one struct a feature (market, review,
 * chat, ...) fills to be hosted by the node.
 *
 * A plugin is a folder under src/plugins/ exporting one `const struct
 * plugin` and one registration line in the start-up code. The host
 * (node/pluginhost.h) takes it from there:
 *   - consensus: its transaction types (field tables, check, apply), the
 *     rejection rules it names, its deadline-index handlers and a per-block
 *     hook are registered before the chain opens, so block validation, the
 *     miner and the mempool all apply them, from start-up and -reindex on;
 *   - state: the chainstate key prefixes it owns (a prefix owned twice is
 *     refused); it writes state only through the state view, so reorgs
 *     undo its writes with no code of its own;
 *   - its own SQLite file in the datadir, opened by the host, and a
 *     chain-following index in it: the host feeds connect/disconnect from a
 *     thread outside the chain lock, keeps the index's best-block marker in
 *     the same SQLite transaction, catches it up at start-up, and rebuilds
 *     it (reset, then from the genesis block) after -reindex or when it is
 *     lost or corrupt;
 *   - its RPC methods (named <plugin>_<method>) and P2P inventory types;
 *   - start and stop.
 * A plugin sees this header, consensus primitives, the RPC method-table
 * interface for its methods and node/eventbus.h for the events it
 * publishes; never another plugin's or P2P internals. */
#ifndef SOUK_NODE_PLUGIN_H
#define SOUK_NODE_PLUGIN_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "consensus/block.h"
#include "consensus/deadline.h"
#include "consensus/prologue.h"
#include "consensus/serialize.h"
#include "consensus/state.h"
#include "consensus/txerr.h"
#include "consensus/txtype.h"

struct args_option;
struct node_ctx;
struct node_event;
struct rpc_method;
struct plugin_ctx;
struct sqlitepool;

/* A kind of object the plugin gossips between nodes by inventory (as
 * transactions are). The callbacks run on the P2P event-loop thread
 * without the chain lock. */
struct plugin_inv {
    uint32_t type;        /* inventory type id, unique among plugins (3+) */
    const char *command;  /* the P2P message that carries one object */
    /* True when the object is known (it is then not requested). */
    bool (*have)(struct plugin_ctx *pc, const uint8_t hash[32]);
    /* Writes the object as the command's payload; false when unknown. */
    bool (*get)(struct plugin_ctx *pc, const uint8_t hash[32], struct ser_writer *w);
    /* An object arrived: returns misbehaviour points (0 when fine); *hash
     * is its id, *relay true when it is new and valid. */
    int (*receive)(struct plugin_ctx *pc, const msgpack_object *payload, uint8_t hash[32],
                   bool *relay);
    /* Optional: ids of the objects held after `after` (NULL: from the
     * first) in a fixed order, at most max; returns how many. New peers
     * are offered them in batches. */
    size_t (*list)(struct plugin_ctx *pc, const uint8_t *after, uint8_t (*ids)[32], size_t max);
};

/* One block as a chain-following index sees it. */
struct plugin_block {
    const struct block *block;
    const uint8_t *hash;
    uint64_t height;
};

struct plugin {
    const char *name;  /* lower-case letters, digits, '_'; RPC methods start "<name>_" */
    const char *summary;

    /* Consensus. */
    const struct txtype_def *const *types;
    size_t n_types;
    const struct txerr_def *rules;
    size_t n_rules;
    const struct deadline_handler *deadlines;
    size_t n_deadlines;
    prologue_fn block_prologue;  /* per-block consensus work; NULL for none */
    const uint8_t *prefixes;     /* chainstate key prefixes it writes */
    size_t n_prefixes;
    /* Coins its state holds outside accounts (the market's escrow), read
     * through v: getsupplyinfo adds them up so that balances + held +
     * immature can be checked against the subsidy. NULL: it holds none. */
    enum txerr (*supply_held)(struct state_view *v, amount_t *out);
    /* For event clients (node/eventbus.h): the accounts a tx of one of its
     * types concerns that neither its sender nor its payload names (the
     * seller an order_place buys from, an order's parties at each later
     * step), read through v — the state at the tip, chain lock held — with
     * p its decoded payload. Writes at most max; returns how many. NULL:
     * the sender and the payload's accounts are all. */
    size_t (*tx_parties)(struct state_view *v, const struct tx *tx, const struct txpayload *p,
                         uint8_t (*out)[32], size_t max);
    /* For event clients too: an entry of one of its deadline handlers that
     * fell due in a block (an order that timed out), read through v — the
     * state after that block. Fills e's type (a name like a tx type's,
     * "order_timeout", whose first word groups it with the object's other
     * events), object and keys; false: no event. NULL: none. */
    bool (*deadline_event)(struct state_view *v, uint8_t owner, const uint8_t *key, size_t klen,
                           struct node_event *e);

    /* Its SQLite file in the network datadir ("market.sqlite"), created
     * with `schema` (statements run in order; the host adds its own table
     * for the index marker). NULL: no file. */
    const char *db_file;
    const char *const *schema;
    size_t n_schema;
    int db_version;  /* the schema's version (0 counts as 1) */
    /* A chain-following index in that file. Each call runs inside a SQLite
     * transaction the host commits together with the new marker. reset
     * empties the index (it is then rebuilt from the genesis block). */
    bool (*index_connect)(struct plugin_ctx *pc, const struct plugin_block *b, char *err,
                          size_t errlen);
    bool (*index_disconnect)(struct plugin_ctx *pc, const struct plugin_block *b, char *err,
                             size_t errlen);
    bool (*index_reset)(struct plugin_ctx *pc, char *err, size_t errlen);

    /* Interfaces. Options join soukd's option table (and -help); the
     * plugin reads them from node->args in start. */
    const struct args_option *options;
    size_t n_options;
    const struct rpc_method *rpc_methods;
    size_t n_rpc_methods;
    const struct plugin_inv *invs;
    size_t n_invs;

    /* Life cycle: start runs after the chain is open and the plugin's file
     * and index are ready; stop before they close. Either may be NULL. */
    bool (*start)(struct plugin_ctx *pc, char *err, size_t errlen);
    void (*stop)(struct plugin_ctx *pc);
};

/* What the host gives a running plugin. */
struct plugin_ctx {
    const struct plugin *plugin;
    struct node_ctx *node;
    /* The plugin's file (NULL without db_file). Index callbacks run with
     * db_mu held by the host; anything else (RPC handlers, inventory
     * callbacks) takes it with plugin_db_lock around its use. */
    sqlite3 *db;
    pthread_mutex_t db_mu;
    /* Host-owned: read-only connections to the same file (below). */
    struct sqlitepool *readers;
    void *state;                 /* the plugin's own, set in start */
    struct index_runner *index;  /* NULL without an index */
    /* Host-owned: the last index step failed on the disk (SQLite said the
     * disk is full or an I/O error), not in the plugin's code. */
    bool index_disk_failed;
    /* Announces an object of one of the plugin's inventory types to peers
     * (set by the start-up code when P2P runs; NULL otherwise). */
    void (*announce)(struct plugin_ctx *pc, uint32_t type, const uint8_t hash[32]);
    /* Asks the peers that announced an object of one of its types for it:
     * for an object it did not want when it was announced (set with
     * announce; NULL without P2P). */
    void (*request)(struct plugin_ctx *pc, uint32_t type, const uint8_t hash[32]);
};

/* The running plugin of that name, or NULL (from an RPC handler:
 * plugin_find(req->node, "market")). */
struct plugin_ctx *plugin_find(struct node_ctx *node, const char *name);

/* Publishes an event on the node's event bus (node/eventbus.h) for event
 * clients: what the plugin learns outside blocks and the mempool (a chat
 * message kept). Safe from any thread; quick; nothing without a bus. */
void plugin_publish(struct plugin_ctx *pc, const struct node_event *e);

void plugin_db_lock(struct plugin_ctx *pc);
void plugin_db_unlock(struct plugin_ctx *pc);

/* A connection for reading the plugin's file without db_mu, for one
 * caller until plugin_db_reader_put: a read-only connection inside a read
 * transaction, so everything read through it is one snapshot — the file
 * as of its last committed change (an index's last committed block; WAL
 * lets it read while the index writes). RPC handlers that only read the
 * index use it, so searches run side by side on every core instead of one
 * at a time behind the index. At most PLUGIN_DB_READERS are open at once
 * (a caller past that waits for one). When none can be opened the
 * plugin's own connection is returned, locked, until the put. NULL only
 * for a plugin without a file. */
#define PLUGIN_DB_READERS 8
sqlite3 *plugin_db_reader_get(struct plugin_ctx *pc);
void plugin_db_reader_put(struct plugin_ctx *pc, sqlite3 *db);

/* Waits until the plugin's index has caught up with the chain as of the
 * call (an RPC that reads the index calls this first, as bitcoind's wallet
 * calls do). At once without an index. Do not hold the chain lock. */
bool plugin_index_sync(struct plugin_ctx *pc, char *err, size_t errlen);

/* Runs fn with a view over the committed state at the tip (reads only:
 * the view is discarded) and the tip's height, under the chain lock. */
typedef bool (*plugin_tip_fn)(struct state_view *v, uint64_t height, void *arg);
bool plugin_with_tip(struct plugin_ctx *pc, plugin_tip_fn fn, void *arg);

#endif
