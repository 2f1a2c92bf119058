#include "unit.h"
#include "fixture.h"

#include <stdio.h>
#include <string.h>

#include "node/chainstate.h"

static char dir[256];

static void setup(void)
{
    fixture_tmpdir_make(dir, sizeof dir, "chainstate");
}

static void teardown(void)
{
    fixture_tmpdir_remove(dir);
}

static void open_cs(struct chainstate *cs)
{
    char err[256] = "";
    char path[300];
    snprintf(path, sizeof path, "%s/chainstate", dir);
    ck_assert_msg(chainstate_open(cs, path, 0, false, err, sizeof err), "%s", err);
}

static void hash_of(const char *s, uint8_t h[32])
{
    sha256(s, strlen(s), h);
}

static void put(struct state_view *v, const char *k, const char *val)
{
    ck_assert(state_put(v, k, strlen(k), val, strlen(val)));
}

static struct chainstate_info info(struct chainstate *cs)
{
    struct chainstate_info i;
    char err[256];
    ck_assert(chainstate_info(cs, &i, err, sizeof err));
    return i;
}

START_TEST(connect_disconnect_restores_state_hash)
{
    struct chainstate cs;
    char err[256];
    open_cs(&cs);
    ck_assert(!cs.has_best);
    uint8_t g[32], b1[32];
    hash_of("genesis", g);
    hash_of("block1", b1);
    ck_assert(chainstate_init_genesis(&cs, g, err, sizeof err));
    ck_assert(cs.has_best);
    ck_assert_uint_eq(cs.best_height, 0);
    struct chainstate_info empty = info(&cs);
    ck_assert_uint_eq(empty.keys, 0); /* the best-block record is not state */

    /* block 1 */
    struct state_backend be;
    chainstate_backend(&cs, &be);
    struct state_view v;
    state_view_init(&v, &be);
    put(&v, "a1", "x");
    put(&v, "a2", "y");
    struct buf undo;
    buf_init(&undo);
    ck_assert(state_view_undo_encode(&v, &undo));
    struct blockstore_pos pos = {3, 77};
    ck_assert(chainstate_commit_connect(&cs, &v, b1, 1, pos, err, sizeof err));
    state_view_clear(&v);
    struct chainstate_info one = info(&cs);
    ck_assert_uint_eq(one.keys, 2);
    ck_assert(memcmp(one.state_hash, empty.state_hash, 32) != 0);
    ck_assert(memcmp(cs.best_hash, b1, 32) == 0);

    struct blockstore_pos got;
    bool found = false;
    ck_assert(chainstate_undo_pos(&cs, b1, &got, &found, err, sizeof err));
    ck_assert(found);
    ck_assert_uint_eq(got.file, 3);
    ck_assert_uint_eq(got.offset, 77);

    /* disconnecting anything but the best block is refused */
    ck_assert(!chainstate_commit_disconnect(&cs, g, undo.data, undo.len, g, 0, err, sizeof err));
    /* a corrupt undo record changes nothing */
    uint8_t junk[] = {0x91, 0x91, 0xa1, 0x61};
    ck_assert(!chainstate_commit_disconnect(&cs, b1, junk, sizeof junk, g, 0, err, sizeof err));
    ck_assert_uint_eq(cs.best_height, 1);
    ck_assert(memcmp(info(&cs).state_hash, one.state_hash, 32) == 0);

    ck_assert(chainstate_commit_disconnect(&cs, b1, undo.data, undo.len, g, 0, err, sizeof err));
    ck_assert_uint_eq(cs.best_height, 0);
    ck_assert(memcmp(info(&cs).state_hash, empty.state_hash, 32) == 0);
    ck_assert(chainstate_undo_pos(&cs, b1, &got, &found, err, sizeof err));
    ck_assert(!found);
    buf_clear(&undo);
    chainstate_close(&cs);
}
END_TEST

START_TEST(best_block_persists_and_meta_is_hidden)
{
    struct chainstate cs;
    char err[256];
    open_cs(&cs);
    uint8_t g[32], b1[32];
    hash_of("genesis", g);
    hash_of("block1", b1);
    ck_assert(chainstate_init_genesis(&cs, g, err, sizeof err));
    struct state_backend be;
    chainstate_backend(&cs, &be);
    struct state_view v;
    state_view_init(&v, &be);
    put(&v, "k", "v");
    struct blockstore_pos pos = {0, 0};
    ck_assert(chainstate_commit_connect(&cs, &v, b1, 1, pos, err, sizeof err));
    state_view_clear(&v);
    struct chainstate_info before = info(&cs);
    chainstate_close(&cs);

    open_cs(&cs);
    ck_assert(cs.has_best);
    ck_assert_uint_eq(cs.best_height, 1);
    ck_assert(memcmp(cs.best_hash, b1, 32) == 0);
    ck_assert(memcmp(info(&cs).state_hash, before.state_hash, 32) == 0);

    /* a view cannot see or write the meta records */
    chainstate_backend(&cs, &be);
    state_view_init(&v, &be);
    struct buf val;
    buf_init(&val);
    bool found = true;
    uint8_t best_key[2] = {0x00, 'B'};
    ck_assert(state_get(&v, best_key, 2, &val, &found));
    ck_assert(!found);
    ck_assert(state_put(&v, best_key, 2, "evil", 4));
    ck_assert(!chainstate_commit_connect(&cs, &v, g, 2, pos, err, sizeof err));
    ck_assert_uint_eq(cs.best_height, 1);
    buf_clear(&val);
    state_view_clear(&v);
    chainstate_close(&cs);
}
END_TEST

Suite *unit_suite(void)
{
    static const struct fixture_case tc = {.setup = setup, .teardown = teardown};
    const TTest *tests[] = {
        connect_disconnect_restores_state_hash, best_block_persists_and_meta_is_hidden, NULL
    };
    return fixture_suite("chainstate", &tc, tests);
}
