/* txtype: the registry of transaction types.
 *
 * Every transaction names its type by id. Each type describes its payload
 * as a table of fields (consensus/txfield.h), from which it is decoded and
 * bounds-checked, adds any other stateless rule in `check`, and changes
 * state in `apply`. The core types (coinbase, transfer) are built in;
 * plugins add theirs at start-up with txtype_register (the plugin host
 * does, before the chain opens and before any other thread looks types
 * up). The registry owns only its table of pointers: definitions are static
 * data of their modules.
 *
 * enum txerr (consensus/txerr.h) is shared by every layer that rejects a
 * transaction, so a rejection reads the same whether it comes from block
 * validation, the mempool or RPC. */
#ifndef SOUK_CONSENSUS_TXTYPE_H
#define SOUK_CONSENSUS_TXTYPE_H

#include <stdbool.h>
#include <stdint.h>

#include "consensus/serialize.h"
#include "consensus/state.h"
#include "consensus/tx.h"
#include "consensus/txerr.h"
#include "consensus/txfield.h"

struct chain_params;

/* What applying a transaction may know about where it is applied. */
struct apply_ctx {
    const struct chain_params *params;
    uint64_t height;  /* of the block the tx is in (or would be in) */
    uint64_t time;    /* that block's time */
    /* Set by blockcheck for each tx it applies: */
    const uint8_t *txid;              /* the tx's id (ids of listings, orders...) */
    const struct txpayload *payload;  /* its payload, decoded and bounds-checked */
    amount_t fees;                    /* coinbase only: the fees of the block's other txs */
    /* Told of each scheduled entry (consensus/deadline.h) that fell due and
     * ran, for event clients: consensus never reads it. NULL: nobody. */
    void (*on_deadline)(void *arg, uint8_t owner, const uint8_t *key, size_t klen);
    void *on_deadline_arg;
};

/* Highest id a type may have; ids index a fixed table. */
#define TXTYPE_MAX_ID 255

struct txtype_def {
    uint8_t id;
    const char *name;  /* lower-case, e.g. "transfer" */
    /* The payload's fields, in order: decoding and bounds come from here. */
    const struct txfield *fields;
    size_t n_fields;
    /* Rules needing no state that the field bounds do not express (e.g.
     * amount + fee in range). Called on a payload that decoded and met
     * its bounds; must not look at the signature (checked by core). May be
     * NULL. */
    enum txerr (*check)(const struct tx *tx, const struct txpayload *p);
    /* Applies the type's effect through the view, after core has checked the
     * nonce and taken the fee; ctx carries the txid and the decoded
     * payload. Called only on txs that passed check. On failure the caller
     * rolls the view back: apply need not clean up. For the coinbase,
     * block validation calls it after checking height and amount, with
     * ctx->fees set. Required. */
    enum txerr (*apply)(struct state_view *v, const struct tx *tx, const struct apply_ctx *ctx);
    /* Writes the accounts the tx concerns besides its sender (recipient,
     * counterparties) to out, at most max of them, and returns how many.
     * Feeds the per-account history index. NULL: every account field of
     * the payload. */
    size_t (*counterparties)(const struct tx *tx, const struct txpayload *p, uint8_t (*out)[32],
                             size_t max);
};

/* Most counterparties a tx may name for the history index. */
#define TXTYPE_MAX_COUNTERPARTIES 8

/* Registers a plugin's type. False (err, which may be NULL, says why) if
 * the id or the name is already taken (core ids included), the type has
 * no apply, or its field table is not valid. */
bool txtype_register(const struct txtype_def *def, char *err, size_t errlen);
/* Removes every plugin registration (tests; shutdown). */
void txtype_reset(void);
/* Changes with every registration and reset: what a cached check verdict
 * was made under (consensus/sigcache.h). */
uint64_t txtype_generation(void);
/* NULL when no type has this id / name. */
const struct txtype_def *txtype_find(uint64_t id);
const struct txtype_def *txtype_find_name(const char *name);

/* Decodes tx's payload by its type's fields and runs the type's check:
 * every stateless rule of the type. out is initialized by the caller and
 * holds the payload on success. For TXERR_BAD_PAYLOAD, *detail (may be
 * NULL) names the codec rule. */
enum txerr txtype_decode_check(const struct txtype_def *def, const struct tx *tx,
                               struct txpayload *out, enum ser_err *detail);
/* The accounts besides the sender that tx concerns (see counterparties),
 * from a decoded payload. */
size_t txtype_counterparties(const struct txtype_def *def, const struct tx *tx,
                             const struct txpayload *p, uint8_t (*out)[32], size_t max);
/* The same for a tx whose payload is not decoded yet: 0 for an unknown
 * type or a payload that does not decode. */
size_t txtype_tx_counterparties(const struct tx *tx, uint8_t (*out)[32], size_t max);

#endif
