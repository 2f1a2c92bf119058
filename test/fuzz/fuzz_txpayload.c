/* txpayload_decode: any bytes against any of a few field tables (the first
 * byte picks one: the core types' and one with a field of every kind). An
 * accepted payload meets its bounds and re-encodes to exactly the input;
 * a refused one names a rule and leaves nothing allocated. */
#include "fuzz.h"

#include <string.h>

#include "consensus/coinbase.h"
#include "consensus/transfer.h"
#include "consensus/txfield.h"

static const struct txfield fuzz_all_kinds[] = {
    {.name = "who", .kind = TXFIELD_ACCOUNT, .err = TXERR_BAD_RECIPIENT},
    {.name = "arbiter", .kind = TXFIELD_ACCOUNT_OPT},
    {.name = "id", .kind = TXFIELD_HASH},
    {.name = "media", .kind = TXFIELD_HASH_LIST, .max = 8},
    {.name = "price", .kind = TXFIELD_AMOUNT, .min = 1, .err = TXERR_AMOUNT_ZERO},
    {.name = "quantity", .kind = TXFIELD_UINT, .min = 1, .max = 1000000},
    {.name = "note", .kind = TXFIELD_BYTES, .max = 1024},
    {.name = "name", .kind = TXFIELD_TEXT, .min = 3, .max = 32,
     .charset = "abcdefghijklmnopqrstuvwxyz0123456789_-"},
    {.name = "about", .kind = TXFIELD_TEXT, .max = 1024},
};

void fuzz_one(const uint8_t *data, size_t size)
{
    if (size == 0)
        return;
    const struct txfield *fields;
    size_t n;
    switch (data[0] % 3) {
    case 0:
        fields = coinbase_txtype.fields;
        n = coinbase_txtype.n_fields;
        break;
    case 1:
        fields = transfer_txtype.fields;
        n = transfer_txtype.n_fields;
        break;
    default:
        fields = fuzz_all_kinds;
        n = sizeof fuzz_all_kinds / sizeof fuzz_all_kinds[0];
        break;
    }
    FUZZ_ASSERT(txfield_table_valid(fields, n, NULL, 0));
    const uint8_t *bytes = data + 1;
    size_t len = size - 1;
    struct txpayload p;
    txpayload_init(&p);
    enum ser_err detail = SER_OK;
    int field = -2;
    enum txerr err = txpayload_decode(fields, n, bytes, len, &p, &detail, &field);
    if (err == TXERR_OK) {
        FUZZ_ASSERT(p.n == n);
        FUZZ_ASSERT(txpayload_check_values(fields, n, p.v, NULL, NULL) == TXERR_OK);
        struct buf out;
        buf_init(&out);
        FUZZ_ASSERT(txpayload_encode(fields, n, p.v, &out));
        FUZZ_ASSERT(out.len == len && memcmp(out.data, bytes, len) == 0);
        buf_clear(&out);
    } else {
        /* Every refusal names a registered rule and where it was found. */
        FUZZ_ASSERT(strcmp(txerr_reason(err), "unknown-error") != 0);
        FUZZ_ASSERT(field >= -1 && field < (int)n);
        FUZZ_ASSERT(detail != SER_OK);
        FUZZ_ASSERT(p.n == 0);
    }
    txpayload_clear(&p);
}
