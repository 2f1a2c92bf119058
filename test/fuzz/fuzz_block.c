/* block_decode: any bytes; a decoded block re-encodes to exactly the input,
 * and its stateless checks never crash. */
#include "fuzz.h"

#include <string.h>

#include "consensus/block.h"
#include "consensus/blockcheck.h"
#include "consensus/chainparams.h"

void fuzz_one(const uint8_t *data, size_t size)
{
    struct block b;
    block_init(&b);
    if (block_decode(data, size, &b) == SER_OK) {
        struct buf out;
        buf_init(&out);
        FUZZ_ASSERT(block_encode(&b, &out));
        FUZZ_ASSERT(out.len == size && memcmp(out.data, data, size) == 0);
        struct block_fault f;
        (void)blockcheck_stateless(&b, chainparams_get(CHAIN_REGTEST), &f);
        buf_clear(&out);
    }
    block_header_decode(data, size, &b.header);
    block_clear(&b);
}
