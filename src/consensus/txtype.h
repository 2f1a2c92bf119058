/* txtype: the registry of transaction types and the reasons a tx is rejected.
 *
 * Every transaction names its type by id. Each type supplies a stateless
 * check that decodes its payload and checks everything that needs no chain
 * state (field ranges, keys that must be curve points, amount sums). The core
 * types (coinbase, transfer) are built in; plugins add theirs at start-up
 * with txtype_register, before any thread looks types up. The registry owns
 * only its table of pointers: definitions are static data of their modules.
 *
 * enum txerr is shared by every layer that rejects a transaction, so a
 * rejection reads the same ("bad-signature", "bad-payload", ...) whether it
 * comes from block validation, the mempool or RPC. */
#ifndef SOUK_CONSENSUS_TXTYPE_H
#define SOUK_CONSENSUS_TXTYPE_H

#include <stdbool.h>
#include <stdint.h>

#include "consensus/serialize.h"
#include "consensus/state.h"
#include "consensus/tx.h"

struct chain_params;

enum txerr {
    TXERR_OK = 0,
    TXERR_NON_CANONICAL,    /* the encoding broke a rule of the canonical format */
    TXERR_TOO_LARGE,        /* encoding over TX_MAX_SIZE */
    TXERR_UNKNOWN_TYPE,     /* no registered type has this id */
    TXERR_BAD_PAYLOAD,      /* the payload does not decode for its type */
    TXERR_BAD_SENDER,       /* sender is not a valid x-only public key */
    TXERR_BAD_SIGNATURE,    /* signature does not verify for this network */
    TXERR_BAD_FEE,          /* fee above the largest amount */
    TXERR_AMOUNT_ZERO,      /* an amount that must be positive is zero */
    TXERR_AMOUNT_RANGE,     /* an amount, or amount + fee, above the largest amount */
    TXERR_BAD_RECIPIENT,    /* recipient is not a valid x-only public key */
    TXERR_COINBASE_FEE,     /* a coinbase with a non-zero fee */
    TXERR_BAD_NONCE,        /* nonce is not the sender account's next nonce */
    TXERR_INSUFFICIENT_FUNDS, /* balance does not cover what the tx spends */
    TXERR_STORAGE,          /* the state could not be read or written */
    TXERR_COINBASE,         /* a coinbase outside a block's first position */
    TXERR_WRONG_NETWORK,    /* signed for another network's genesis hash */
    TXERR_COUNT_            /* number of codes; not an error */
};

/* The short reject reason, e.g. "bad-signature"; never NULL. */
const char *txerr_reason(enum txerr err);
/* A sentence explaining the rule; never NULL. */
const char *txerr_strerror(enum txerr err);

/* What applying a transaction may know about where it is applied. */
struct apply_ctx {
    const struct chain_params *params;
    uint64_t height;  /* of the block the tx is in (or would be in) */
    uint64_t time;    /* that block's time */
};

/* How each payload field is encoded and shown, so tools (RPC, wallet) can
 * read and build the payload of any registered type without knowing it. */
enum txfield_kind {
    TXFIELD_ACCOUNT,      /* bin(32): x-only key, shown as an address */
    TXFIELD_ACCOUNT_OPT,  /* bin(32) or bin(0): an optional account */
    TXFIELD_HASH,         /* bin(32): an id (txid), shown as hex */
    TXFIELD_HASH_LIST,    /* array of bin(32) */
    TXFIELD_AMOUNT,       /* uint: base units, shown as coins */
    TXFIELD_UINT,         /* uint */
    TXFIELD_BYTES,        /* bin: shown as hex */
    TXFIELD_TEXT,         /* str (UTF-8) */
};

struct txfield {
    const char *name;
    enum txfield_kind kind;
};

/* Highest id a type may have; ids index a fixed table. */
#define TXTYPE_MAX_ID 255

struct txtype_def {
    uint8_t id;
    const char *name;  /* lower-case, e.g. "transfer" */
    /* Decodes the payload and checks everything that needs no state. On a
     * payload decoding error returns TXERR_BAD_PAYLOAD and writes the codec's
     * reason to *detail. Must not look at the signature (checked by core). */
    enum txerr (*check)(const struct tx *tx, enum ser_err *detail);
    /* Applies the type's effect through the view, after core has checked the
     * nonce and taken the fee. Called only on txs that passed check. On
     * failure the caller rolls the view back: apply need not clean up.
     * NULL for the coinbase, which block validation applies itself. */
    enum txerr (*apply)(struct state_view *v, const struct tx *tx, const struct apply_ctx *ctx);
    /* Writes the accounts the tx concerns besides its sender (recipient,
     * counterparties) to out, at most max of them, and returns how many.
     * Feeds the per-account history index. Called only on checked txs. */
    size_t (*counterparties)(const struct tx *tx, uint8_t (*out)[32], size_t max);
    /* The payload's fields, in order. */
    const struct txfield *fields;
    size_t n_fields;
};

/* Most counterparties a tx may name for the history index. */
#define TXTYPE_MAX_COUNTERPARTIES 8

/* Registers a plugin's type. False if the id or the name is already taken
 * (core ids included) or the definition is incomplete. */
bool txtype_register(const struct txtype_def *def);
/* Removes every plugin registration (tests; shutdown). */
void txtype_reset(void);
/* NULL when no type has this id / name. */
const struct txtype_def *txtype_find(uint64_t id);
const struct txtype_def *txtype_find_name(const char *name);

#endif
