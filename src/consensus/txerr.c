#include "consensus/txerr.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/strutil.h"

static const struct txerr_def txerr_core[TXERR_COUNT_] = {
    [TXERR_OK] = {TXERR_OK, "ok", "no error", TXCLASS_NONE},
    [TXERR_NON_CANONICAL] = {TXERR_NON_CANONICAL, "non-canonical",
                             "the transaction is not in canonical encoding", TXCLASS_INVALID},
    [TXERR_TOO_LARGE] = {TXERR_TOO_LARGE, "tx-too-large",
                         "the encoded transaction is larger than 65536 bytes", TXCLASS_INVALID},
    [TXERR_UNKNOWN_TYPE] = {TXERR_UNKNOWN_TYPE, "unknown-type", "no transaction type has this id",
                            TXCLASS_UNKNOWN_TYPE},
    [TXERR_BAD_PAYLOAD] = {TXERR_BAD_PAYLOAD, "bad-payload",
                           "the payload does not decode for its transaction type",
                           TXCLASS_INVALID},
    [TXERR_BAD_SENDER] = {TXERR_BAD_SENDER, "bad-sender",
                          "the sender is not a valid x-only public key", TXCLASS_INVALID},
    [TXERR_BAD_SIGNATURE] = {TXERR_BAD_SIGNATURE, "bad-signature",
                             "the signature does not verify for this network", TXCLASS_INVALID},
    [TXERR_BAD_FEE] = {TXERR_BAD_FEE, "bad-fee", "the fee is larger than the largest amount",
                       TXCLASS_INVALID},
    [TXERR_AMOUNT_ZERO] = {TXERR_AMOUNT_ZERO, "bad-amount-zero",
                           "the amount must be greater than zero", TXCLASS_INVALID},
    [TXERR_AMOUNT_RANGE] = {TXERR_AMOUNT_RANGE, "bad-amount-range",
                            "the amount (plus fee) exceeds the largest amount", TXCLASS_INVALID},
    [TXERR_BAD_RECIPIENT] = {TXERR_BAD_RECIPIENT, "bad-recipient",
                             "the recipient is not a valid x-only public key", TXCLASS_INVALID},
    [TXERR_COINBASE_FEE] = {TXERR_COINBASE_FEE, "bad-coinbase-fee",
                            "a coinbase must have a zero fee", TXCLASS_INVALID},
    /* A nonce already used is what two txs racing for the same slot look
     * like; a later one waits as a future in the mempool, not here. */
    [TXERR_BAD_NONCE] = {TXERR_BAD_NONCE, "bad-nonce",
                         "the nonce is not the sender account's next nonce", TXCLASS_STATE},
    [TXERR_INSUFFICIENT_FUNDS] = {TXERR_INSUFFICIENT_FUNDS, "insufficient-funds",
                                  "the sender's balance does not cover amount and fee",
                                  TXCLASS_STATE},
    [TXERR_STORAGE] = {TXERR_STORAGE, "storage-error", "the state could not be read or written",
                       TXCLASS_LOCAL},
    [TXERR_COINBASE] = {TXERR_COINBASE, "coinbase",
                        "a coinbase is only valid as the first transaction of a block",
                        TXCLASS_INVALID},
    [TXERR_WRONG_NETWORK] = {TXERR_WRONG_NETWORK, "wrong-network",
                             "the transaction is signed for another network", TXCLASS_INVALID},
    /* A module's own mistake, never the sender's. */
    [TXERR_DEADLINE_PAST] = {TXERR_DEADLINE_PAST, "deadline-in-past",
                             "work was scheduled for a height already reached", TXCLASS_LOCAL},
};

static const struct txerr_def *txerr_plugins[TXERR_MAX_PLUGIN_CODES];
static size_t txerr_n_plugins;

static const struct txerr_def *txerr_find(int code)
{
    if (code >= 0 && code < TXERR_COUNT_)
        return &txerr_core[code];
    for (size_t i = 0; i < txerr_n_plugins; i++)
        if (txerr_plugins[i]->code == code)
            return txerr_plugins[i];
    return NULL;
}

static const struct txerr_def *txerr_find_reason(const char *reason)
{
    for (int i = 0; i < TXERR_COUNT_; i++)
        if (strcmp(txerr_core[i].reason, reason) == 0)
            return &txerr_core[i];
    for (size_t i = 0; i < txerr_n_plugins; i++)
        if (strcmp(txerr_plugins[i]->reason, reason) == 0)
            return txerr_plugins[i];
    return NULL;
}

const char *txerr_reason(enum txerr err)
{
    const struct txerr_def *d = txerr_find((int)err);
    return d != NULL ? d->reason : "unknown-error";
}

const char *txerr_strerror(enum txerr err)
{
    const struct txerr_def *d = txerr_find((int)err);
    return d != NULL ? d->text : "unknown error";
}

enum txerr_class txerr_class(enum txerr err)
{
    const struct txerr_def *d = txerr_find((int)err);
    return d != NULL ? d->cls : TXCLASS_LOCAL;
}

const char *txerr_class_name(enum txerr_class cls)
{
    switch (cls) {
    case TXCLASS_NONE:
        return "none";
    case TXCLASS_INVALID:
        return "invalid";
    case TXCLASS_STATE:
        return "state";
    case TXCLASS_UNKNOWN_TYPE:
        return "unknown-type";
    case TXCLASS_LOCAL:
        return "local";
    }
    return "local";
}

/* Lower-case letters and digits in words joined by single '-'. */
static bool txerr_reason_ok(const char *r)
{
    size_t len = r != NULL ? strlen(r) : 0;
    if (len == 0 || len > TXERR_REASON_MAX || r[0] == '-' || r[len - 1] == '-')
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = r[i];
        bool word = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!word && !(c == '-' && r[i + 1] != '-'))
            return false;
    }
    return true;
}

static bool txerr_refuse(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool txerr_refuse(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    str_set_errv(err, errlen, fmt, ap);
    va_end(ap);
    return false;
}

bool txerr_register(const struct txerr_def *defs, size_t n, char *err, size_t errlen)
{
    if (n > 0 && defs == NULL)
        return txerr_refuse(err, errlen, "%s (%d)", "no rule table", 0);
    if (n > TXERR_MAX_PLUGIN_CODES - txerr_n_plugins)
        return txerr_refuse(err, errlen, "%s: at most %d plugin rules", "rule table full",
                            TXERR_MAX_PLUGIN_CODES);
    for (size_t i = 0; i < n; i++) {
        const struct txerr_def *d = &defs[i];
        const char *name = d->reason != NULL ? d->reason : "(null)";
        if (d->code < TXERR_PLUGIN_FIRST || d->code > TXERR_CODE_MAX)
            return txerr_refuse(err, errlen, "rule %s: code %d is outside the plugin range", name,
                                d->code);
        if (!txerr_reason_ok(d->reason))
            return txerr_refuse(err, errlen, "rule %s (code %d): a reason is lower-case words "
                                "joined by '-'", name, d->code);
        if (d->text == NULL || d->text[0] == '\0')
            return txerr_refuse(err, errlen, "rule %s (code %d) has no text", name, d->code);
        if (d->cls != TXCLASS_INVALID && d->cls != TXCLASS_STATE &&
            d->cls != TXCLASS_UNKNOWN_TYPE && d->cls != TXCLASS_LOCAL)
            return txerr_refuse(err, errlen, "rule %s (code %d) has no class", name, d->code);
        if (txerr_find(d->code) != NULL)
            return txerr_refuse(err, errlen, "rule %s: code %d is taken", name, d->code);
        if (txerr_find_reason(d->reason) != NULL)
            return txerr_refuse(err, errlen, "rule %s (code %d): the reason is taken", name,
                                d->code);
        for (size_t j = 0; j < i; j++)
            if (defs[j].code == d->code || strcmp(defs[j].reason, d->reason) == 0)
                return txerr_refuse(err, errlen, "rule %s (code %d) appears twice", name,
                                    d->code);
    }
    for (size_t i = 0; i < n; i++)
        txerr_plugins[txerr_n_plugins++] = &defs[i];
    return true;
}

void txerr_reset(void)
{
    memset(txerr_plugins, 0, sizeof txerr_plugins);
    txerr_n_plugins = 0;
}
