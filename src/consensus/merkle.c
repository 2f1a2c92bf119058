#include "consensus/merkle.h"

#include <string.h>

/* Distinct prefixes for leaves and inner nodes keep a leaf from ever being
 * mistaken for a node (the second-preimage trick against plain trees). */
static void leaf_hash(const uint8_t txid[SHA256_LEN], uint8_t out[SHA256_LEN])
{
    uint8_t pre[1 + SHA256_LEN];
    pre[0] = 0x00;
    memcpy(pre + 1, txid, SHA256_LEN);
    sha256(pre, sizeof pre, out);
}

static void node_hash(const uint8_t left[SHA256_LEN], const uint8_t right[SHA256_LEN],
                      uint8_t out[SHA256_LEN])
{
    uint8_t pre[1 + 2 * SHA256_LEN];
    pre[0] = 0x01;
    memcpy(pre + 1, left, SHA256_LEN);
    memcpy(pre + 1 + SHA256_LEN, right, SHA256_LEN);
    sha256(pre, sizeof pre, out);
}

void merkle_init(struct merkle *m)
{
    memset(m, 0, sizeof *m);
}

/* Like incrementing a binary counter: the new leaf merges with the pending
 * subtree of equal size, and the result carries on upwards. */
void merkle_add(struct merkle *m, const uint8_t txid[SHA256_LEN])
{
    uint8_t h[SHA256_LEN];
    uint8_t level = 0;
    leaf_hash(txid, h);
    while (m->depth > 0 && m->level[m->depth - 1] == level) {
        node_hash(m->hash[m->depth - 1], h, h);
        m->depth--;
        level++;
    }
    memcpy(m->hash[m->depth], h, SHA256_LEN);
    m->level[m->depth] = level;
    m->depth++;
    m->count++;
}

/* Level by level, the pending subtrees to the right are exactly the part
 * that gets promoted unpaired until it meets its left neighbour, so the
 * root joins them right to left. */
void merkle_final(const struct merkle *m, uint8_t root[SHA256_LEN])
{
    if (m->depth == 0) {
        sha256("", 0, root);
        return;
    }
    uint8_t h[SHA256_LEN];
    memcpy(h, m->hash[m->depth - 1], SHA256_LEN);
    for (size_t i = m->depth - 1; i > 0; i--)
        node_hash(m->hash[i - 1], h, h);
    memcpy(root, h, SHA256_LEN);
}

void merkle_root(const uint8_t (*txids)[SHA256_LEN], size_t n, uint8_t root[SHA256_LEN])
{
    struct merkle m;
    merkle_init(&m);
    for (size_t i = 0; i < n; i++)
        merkle_add(&m, txids[i]);
    merkle_final(&m, root);
}
