/* The chat envelope and the plaintext inside it (consensus/envelope.h):
 * what every node decodes from any peer, and every wallet from any sender.
 *
 * The input is decoded as an envelope: one that decodes re-encodes to
 * exactly the input, has an id, and its checks (time, work, signature)
 * give an error of the table or pass, never crash; an envelope is at most
 * its size limit. The same bytes are decoded as a plaintext: one that
 * decodes re-encodes to the input. */
#include <string.h>

#include "fuzz.h"

#include "consensus/envelope.h"
#include "consensus/serialize.h"

static struct buf again;

void fuzz_one(const uint8_t *data, size_t size)
{
    struct envelope e;
    envelope_init(&e);
    enum envelope_err err = envelope_decode(data, size, &e);
    FUZZ_ASSERT((unsigned)err < ENVELOPE_ERR_COUNT_);
    if (err == ENVELOPE_OK) {
        FUZZ_ASSERT(size <= ENVELOPE_MAX_SIZE);
        FUZZ_ASSERT(e.ciphertext.len <= ENVELOPE_CIPHERTEXT_MAX);
        buf_reset(&again);
        FUZZ_ASSERT(envelope_encode(&e, &again));
        FUZZ_ASSERT(again.len == size && memcmp(again.data, data, size) == 0);
        uint8_t id[32];
        FUZZ_ASSERT(envelope_id(&e, id));
        /* At its own time and no work asked, only the ttl and the
         * signature can refuse it. */
        enum envelope_err c = envelope_check(&e, 0, (int64_t)(e.timestamp & INT32_MAX));
        FUZZ_ASSERT((unsigned)c < ENVELOPE_ERR_COUNT_ && c != ENVELOPE_ERR_MALFORMED);
    } else {
        FUZZ_ASSERT(e.ciphertext.len == 0);
    }
    envelope_clear(&e);

    struct ser_doc doc;
    ser_doc_init(&doc);
    struct envelope_plaintext p;
    if (envelope_plaintext_decode(data, size, &doc, &p) == ENVELOPE_OK) {
        buf_reset(&again);
        FUZZ_ASSERT(envelope_plaintext_encode(&p, &again));
        FUZZ_ASSERT(again.len == size && memcmp(again.data, data, size) == 0);
    }
    ser_doc_clear(&doc);
}
