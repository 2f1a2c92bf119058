/* tx_decode: any bytes; a decoded tx re-encodes to exactly the input (one
 * encoding per tx), its stateless check never crashes, and its txid is the
 * hash of the input. */
#include "fuzz.h"

#include <string.h>

#include "consensus/chainparams.h"
#include "consensus/tx.h"
#include "consensus/txcheck.h"
#include "rpc/txjson.h"

void fuzz_one(const uint8_t *data, size_t size)
{
    struct tx tx;
    tx_init(&tx);
    if (tx_decode(data, size, &tx) == SER_OK) {
        struct buf out;
        buf_init(&out);
        FUZZ_ASSERT(tx_encode(&tx, &out));
        FUZZ_ASSERT(out.len == size && memcmp(out.data, data, size) == 0);
        FUZZ_ASSERT(tx_encoded_size(&tx) == size);
        uint8_t txid[32], h[32];
        tx_txid(&tx, txid);
        sha256(data, size, h);
        FUZZ_ASSERT(memcmp(txid, h, 32) == 0);
        const struct chain_params *p = chainparams_get(CHAIN_REGTEST);
        (void)txcheck_stateless(&tx, p->genesis.hash, NULL);
        json_t *j = txjson_tx(&tx, p);
        FUZZ_ASSERT(j != NULL);
        json_decref(j);
        buf_clear(&out);
    }
    tx_clear(&tx);
}
