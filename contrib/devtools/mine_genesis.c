/* Searches the nonce of each network's genesis block and prints the nonce
 * and hash to put in src/consensus/chainparams.c. Run after changing any
 * genesis input:  make contrib/devtools/mine_genesis && contrib/devtools/mine_genesis */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "consensus/chainparams.h"
#include "util/hex.h"

int main(void)
{
    for (int net = 0; net < CHAIN_NETWORK_COUNT_; net++) {
        const struct chain_params *p = chainparams_get((enum chain_network)net);
        struct u256 limit;
        chainparams_pow_limit(p, &limit);
        struct block b;
        block_init(&b);
        if (!chainparams_build_genesis_nonce(p, 0, &b)) {
            fprintf(stderr, "%s: cannot build the genesis block\n", p->name);
            return EXIT_FAILURE;
        }
        uint8_t hash[SHA256_LEN];
        for (uint64_t nonce = 0;; nonce++) {
            b.header.nonce = nonce;
            block_hash(&b, hash);
            if (pow_check(hash, b.header.bits, &limit) == POW_OK)
                break;
        }
        char hex[2 * SHA256_LEN + 1];
        hex_encode(hash, sizeof hash, hex);
        printf("%s: nonce %" PRIu64 " hash %s\n", p->name, b.header.nonce, hex);
        block_clear(&b);
    }
    return EXIT_SUCCESS;
}
