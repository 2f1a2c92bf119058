/* txerr: why a transaction was rejected, and what kind of rejection it is.
 *
 * A rejection is a code with a short reason ("bad-signature",
 * "order-not-yours"), a sentence, and a class that tells the layers above
 * how to treat whoever sent the tx:
 *   - INVALID: the sender broke a rule no state can cure (a bad signature,
 *     a malformed payload, a field out of range). A peer relaying it is
 *     scored as misbehaving.
 *   - STATE: the tx conflicts with the current state (a spent nonce, funds
 *     not there yet, an order that is not known yet, the last item sold to
 *     someone else). An honest peer can relay it in a race, so it is never
 *     scored; where it can become valid it is kept as an orphan.
 *   - UNKNOWN_TYPE: a type this node does not know (a newer node's). Never
 *     scored, never relayed.
 *   - LOCAL: the node's own failure (storage). Never the sender's fault.
 *
 * The core's codes are the enumerators below. Plugins add their own rules
 * with txerr_register, from static tables, at codes in
 * [TXERR_PLUGIN_FIRST, TXERR_CODE_MAX]; a duplicate code or reason is
 * refused, so every reason names one rule. Registration happens before any
 * thread looks codes up (the plugin host does it before the chain opens). */
#ifndef SOUK_CONSENSUS_TXERR_H
#define SOUK_CONSENSUS_TXERR_H

#include <stdbool.h>
#include <stddef.h>

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
    TXERR_DEADLINE_PAST,    /* a module scheduled work at a height already reached */
    TXERR_COUNT_,           /* number of core codes; not an error */
    /* Plugins' codes live in this range (so the enum can hold them). */
    TXERR_PLUGIN_FIRST = 256,
    TXERR_CODE_MAX = 65535,
};

enum txerr_class {
    TXCLASS_NONE = 0,     /* TXERR_OK */
    TXCLASS_INVALID,
    TXCLASS_STATE,
    TXCLASS_UNKNOWN_TYPE,
    TXCLASS_LOCAL,
};

/* One rule a plugin names. reason: lower-case words joined by '-', at most
 * TXERR_REASON_MAX bytes. */
struct txerr_def {
    int code;
    const char *reason;
    const char *text;
    enum txerr_class cls;
};

#define TXERR_REASON_MAX 48
/* Most plugin codes registered at once. */
#define TXERR_MAX_PLUGIN_CODES 512

/* The short reject reason, e.g. "bad-signature"; "unknown-error" for a
 * code nobody registered; never NULL. */
const char *txerr_reason(enum txerr err);
/* A sentence explaining the rule; never NULL. */
const char *txerr_strerror(enum txerr err);
/* The class of a code; TXCLASS_LOCAL for an unregistered one (whatever
 * produced it, the sender cannot be blamed for it). */
enum txerr_class txerr_class(enum txerr err);
/* "invalid", "state", "unknown-type", "local", "none". */
const char *txerr_class_name(enum txerr_class cls);

/* Registers n rules, all or none: false (nothing added) when a code is
 * outside the plugin range or taken, a reason is malformed or taken (the
 * core's reasons included), a class is NONE or unknown, or the table is
 * full. err (may be NULL) says which. */
bool txerr_register(const struct txerr_def *defs, size_t n, char *err, size_t errlen);
/* Removes every plugin registration (tests; shutdown). */
void txerr_reset(void);

#endif
