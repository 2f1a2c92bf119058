/* txfield: transaction payloads described by a table of fields.
 *
 * Every payload is a msgpack array with one element per field. A type
 * describes its fields once — kind, bounds, allowed characters, the rule a
 * value out of bounds breaks — and this module decodes, checks and encodes
 * any payload from that table, so no type writes a codec, and tools (RPC,
 * wallets, getplugininfo) can read and build payloads of types they do not
 * know.
 *
 * Bounds per kind (min/max):
 *   UINT, AMOUNT  value range; max 0 means none (AMOUNT is always at most
 *                 AMOUNT_MAX, else TXERR_AMOUNT_RANGE)
 *   BYTES, TEXT   length in bytes; max is required
 *   HASH_LIST     number of ids; max is required
 *   UINT8_LIST    number of items; max is required; each item is a uint
 *                 from 0 to item_max (1..255, required)
 *   ACCOUNT(_OPT), HASH  fixed form; an ACCOUNT must be a valid x-only key
 * A value breaking its bounds (or an ACCOUNT that is no key, or TEXT with a
 * byte outside charset) is rejected with the field's `err` rule, or with
 * TXERR_BAD_PAYLOAD and a codec detail when the field names none. A payload
 * of the wrong shape is always TXERR_BAD_PAYLOAD.
 *
 * A decoded struct txpayload owns a private copy of the encoding; byte
 * values point into it and stay valid until txpayload_clear. */
#ifndef SOUK_CONSENSUS_TXFIELD_H
#define SOUK_CONSENSUS_TXFIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/serialize.h"
#include "consensus/txerr.h"
#include "util/buf.h"

enum txfield_kind {
    TXFIELD_ACCOUNT,      /* bin(32): x-only key, shown as an address */
    TXFIELD_ACCOUNT_OPT,  /* bin(32) or bin(0): an optional account */
    TXFIELD_HASH,         /* bin(32): an id (txid), shown as hex */
    TXFIELD_HASH_LIST,    /* array of bin(32) */
    TXFIELD_AMOUNT,       /* uint: base units, shown as coins */
    TXFIELD_UINT,         /* uint */
    TXFIELD_BYTES,        /* bin: shown as hex */
    TXFIELD_TEXT,         /* str (UTF-8) */
    TXFIELD_UINT8_LIST,   /* array of small uints: ratings, flags */
    TXFIELD_KIND_COUNT_
};

struct txfield {
    const char *name;
    enum txfield_kind kind;
    uint64_t min, max;
    /* TEXT only: the bytes allowed (ASCII), or NULL for any UTF-8. */
    const char *charset;
    /* The rule a value out of bounds breaks; TXERR_OK: bad-payload. */
    enum txerr err;
    /* UINT8_LIST only: the largest value an item may take. */
    uint8_t item_max;
};

/* Most fields a payload may have. */
#define TXFIELD_MAX 16

/* "account", "amount", ... as getplugininfo shows kinds. */
const char *txfield_kind_name(enum txfield_kind kind);
/* Whether a table is usable: 1..TXFIELD_MAX named fields, known kinds,
 * min <= max, a max for every BYTES/TEXT/HASH_LIST field. err (may be
 * NULL) says what is wrong. */
bool txfield_table_valid(const struct txfield *fields, size_t n, char *err, size_t errlen);

struct txvalue {
    uint64_t u;          /* UINT, AMOUNT */
    const uint8_t *p;    /* byte kinds: the bytes; HASH_LIST: len * 32 bytes;
                            UINT8_LIST: one byte per item */
    size_t len;          /* bytes; HASH_LIST, UINT8_LIST: number of items */
};

struct txpayload {
    struct txvalue v[TXFIELD_MAX];
    size_t n;
    struct ser_doc doc;  /* owns the bytes values point into */
    struct buf lists;    /* HASH_LIST ids and UINT8_LIST items, copied together */
};

void txpayload_init(struct txpayload *p);
void txpayload_clear(struct txpayload *p);

/* Decodes and checks a payload against a field table. On success the
 * payload's previous contents are released. On failure returns the rule
 * broken, *detail (may be NULL) the codec's view of it and *field (may be
 * NULL) the field's index, or -1 for the whole payload. */
enum txerr txpayload_decode(const struct txfield *fields, size_t n, const void *bytes, size_t len,
                            struct txpayload *out, enum ser_err *detail, int *field);

/* The same for the payload of a tx that already passed its stateless
 * check (a tx being applied): its keys are not verified again, which is
 * the costly part of decoding; shape and every other bound are. */
enum txerr txpayload_decode_checked(const struct txfield *fields, size_t n, const void *bytes,
                                    size_t len, struct txpayload *out);

/* Checks values against the table's bounds (as decoding does). */
enum txerr txpayload_check_values(const struct txfield *fields, size_t n,
                                  const struct txvalue *values, enum ser_err *detail, int *field);
/* Appends the canonical encoding of values (one per field). Values are
 * not bounds-checked here: txpayload_check_values does that. False on
 * allocation failure, out as before. */
bool txpayload_encode(const struct txfield *fields, size_t n, const struct txvalue *values,
                      struct buf *out);

#endif
