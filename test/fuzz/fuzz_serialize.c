/* ser_doc_parse: any bytes; an accepted document re-encodes (through
 * msgpack-c's packer) to exactly the input, and the undo-record walker and
 * the record decoders built on it never crash. */
#include "fuzz.h"

#include <string.h>

#include "consensus/account.h"
#include "consensus/coinbase.h"
#include "consensus/serialize.h"
#include "consensus/state.h"
#include "consensus/transfer.h"

static bool count_change(void *ctx, const uint8_t *key, size_t klen, bool present,
                         const uint8_t *val, size_t vlen)
{
    (void)key;
    (void)val;
    (void)present;
    FUZZ_ASSERT(klen > 0 && klen <= STATE_KEY_MAX && vlen <= STATE_VALUE_MAX);
    (*(size_t *)ctx)++;
    return true;
}

void fuzz_one(const uint8_t *data, size_t size)
{
    struct ser_doc doc;
    ser_doc_init(&doc);
    if (ser_doc_parse(&doc, data, size) == SER_OK) {
        struct buf out;
        buf_init(&out);
        struct ser_writer w;
        ser_writer_init(&w, &out);
        ser_write_object(&w, ser_doc_root(&doc));
        FUZZ_ASSERT(ser_writer_ok(&w));
        FUZZ_ASSERT(out.len == size && memcmp(out.data, data, size) == 0);
        buf_clear(&out);
    }
    ser_doc_clear(&doc);
    size_t n = 0;
    (void)state_undo_for_each(data, size, count_change, &n);
    struct account a;
    (void)account_decode(data, size, &a);
    struct coinbase_payload cp;
    (void)coinbase_payload_decode(data, size, &cp);
    struct transfer_payload tp;
    (void)transfer_payload_decode(data, size, &tp);
}
