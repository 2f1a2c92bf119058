/* The block index records (blocks/index in LevelDB) as blockindex_load
 * reads them, without the database: the input is a sequence of records,
 * each one length byte and that many bytes (cut at the input's end); the
 * first is the metadata record, the others entry values.
 *
 * An entry's key is its checksum (the header must hash to it), so the
 * target computes the key from the decoded header itself: a value that
 * decodes is then accepted unless its hash was loaded already, and refused
 * under any other key. Decoded values and the metadata re-encode to the
 * same bytes. When the records link into a tree, every entry's parent is
 * one block lower with less work, its ancestors and skip pointers lead to
 * the one root, and the best tip makes an active chain of the right
 * height. One index serves every input, emptied (blockindex_reset) after
 * each. */
#include <string.h>

#include "fuzz.h"

#include "node/blockindex.h"

static struct blockindex bi;
static struct buf enc;

static void setup(void)
{
    static bool done;
    if (done)
        return;
    blockindex_init(&bi);
    buf_init(&enc);
    done = true;
}

static void check_meta(const uint8_t *val, size_t len)
{
    struct blockindex_meta m;
    if (blockindex_meta_decode(val, len, &m) != SER_OK)
        return;
    buf_reset(&enc);
    FUZZ_ASSERT(blockindex_meta_encode(&m, &enc));
    FUZZ_ASSERT(enc.len == len && memcmp(enc.data, val, len) == 0);
}

static void load_entry(const uint8_t *val, size_t len)
{
    char err[256];
    size_t before = blockindex_count(&bi);
    struct blockindex_entry e;
    memset(&e, 0, sizeof e);
    uint8_t key[BLOCKINDEX_ENTRY_KEY_LEN];
    if (blockindex_entry_decode(val, len, &e) != SER_OK) {
        memset(key, 0, sizeof key);
        key[0] = 'b';
        FUZZ_ASSERT(blockindex_load_record(&bi, key, sizeof key, val, len, err, sizeof err) ==
                    BLOCKINDEX_ERR_CORRUPT);
        FUZZ_ASSERT(blockindex_count(&bi) == before);
        return;
    }
    buf_reset(&enc);
    FUZZ_ASSERT(blockindex_entry_encode(&e, &enc));
    FUZZ_ASSERT(enc.len == len && memcmp(enc.data, val, len) == 0);

    uint8_t hash[SHA256_LEN];
    block_header_hash(&e.header, hash);
    blockindex_entry_key(hash, key);
    /* Under another key (one bit off) the header does not match. */
    key[1 + hash[0] % SHA256_LEN] ^= 1;
    FUZZ_ASSERT(blockindex_load_record(&bi, key, sizeof key, val, len, err, sizeof err) ==
                BLOCKINDEX_ERR_CORRUPT);
    key[1 + hash[0] % SHA256_LEN] ^= 1;
    bool known = blockindex_find(&bi, hash) != NULL;
    enum blockindex_err r = blockindex_load_record(&bi, key, sizeof key, val, len, err, sizeof err);
    FUZZ_ASSERT(r == (known ? BLOCKINDEX_ERR_CORRUPT : BLOCKINDEX_OK));
    FUZZ_ASSERT(blockindex_count(&bi) == before + !known);
}

static void check_tree(void)
{
    size_t n = blockindex_count(&bi);
    struct blockindex_entry *root = blockindex_root(&bi), *best = NULL;
    FUZZ_ASSERT((root == NULL) == (n == 0));
    for (size_t i = 0; i < n; i++) {
        struct blockindex_entry *e = blockindex_entry_at(&bi, i);
        FUZZ_ASSERT(blockindex_find(&bi, e->hash) == e);
        struct blockindex_entry *p = e->prev;
        if (p == NULL) {
            FUZZ_ASSERT(e == root && e->height == 0 && e->skip == NULL);
        } else {
            FUZZ_ASSERT(e->height == p->height + 1);
            FUZZ_ASSERT(memcmp(e->header.prev_hash, p->hash, SHA256_LEN) == 0);
            FUZZ_ASSERT(u256_cmp(&e->chainwork, &p->chainwork) > 0);
            FUZZ_ASSERT(e->time_max >= p->time_max);
            FUZZ_ASSERT(e->skip != NULL && e->skip->height < e->height);
            FUZZ_ASSERT(blockindex_ancestor(e, e->skip->height) == e->skip);
        }
        FUZZ_ASSERT(e->time_max >= e->header.time);
        FUZZ_ASSERT(blockindex_ancestor(e, 0) == root);
        FUZZ_ASSERT(blockindex_ancestor(e, e->height) == e);
        (void)blockindex_median_time_past(e);
        if (best == NULL || blockindex_better(e, best))
            best = e;
    }
    if (best == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        struct blockindex_entry *e = blockindex_entry_at(&bi, i);
        struct blockindex_entry *common = blockindex_last_common_ancestor(e, best);
        FUZZ_ASSERT(common != NULL && common->height <= e->height);
        FUZZ_ASSERT(blockindex_ancestor(e, common->height) == common);
        FUZZ_ASSERT(blockindex_ancestor(best, common->height) == common);
    }
    struct blockindex_chain c;
    blockindex_chain_init(&c);
    if (blockindex_chain_set_tip(&c, best)) {
        FUZZ_ASSERT(blockindex_chain_tip(&c) == best && blockindex_chain_genesis(&c) == root);
        FUZZ_ASSERT(blockindex_chain_height(&c) == (int64_t)best->height);
        for (uint64_t h = 0; h <= best->height; h++)
            FUZZ_ASSERT(blockindex_chain_at(&c, h)->height == h);
    }
    blockindex_chain_clear(&c);
}

void fuzz_one(const uint8_t *data, size_t size)
{
    setup();
    size_t off = 0;
    bool first = true;
    while (off < size) {
        size_t len = data[off++];
        if (len > size - off)
            len = size - off;
        if (first)
            check_meta(data + off, len);
        else
            load_entry(data + off, len);
        first = false;
        off += len;
    }
    char err[256];
    if (blockindex_load_link(&bi, err, sizeof err) == BLOCKINDEX_OK)
        check_tree();
    blockindex_reset(&bi);
}
