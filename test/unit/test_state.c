#include "unit.h"
#include "fixture.h"

#include <stdlib.h>
#include <string.h>

#include "consensus/state.h"

/* A tiny committed store for the view to read through. */
struct mem {
    char keys[32][16];
    char vals[32][16];
    int n;
    bool broken;
};

static int mem_find(const struct mem *m, const uint8_t *key, size_t klen)
{
    for (int i = 0; i < m->n; i++)
        if (strlen(m->keys[i]) == klen && memcmp(m->keys[i], key, klen) == 0)
            return i;
    return -1;
}

static bool mem_get(void *ctx, const uint8_t *key, size_t klen, struct buf *val, bool *found)
{
    struct mem *m = ctx;
    if (m->broken)
        return false;
    buf_reset(val);
    int i = mem_find(m, key, klen);
    *found = i >= 0;
    return i < 0 || buf_append(val, m->vals[i], strlen(m->vals[i]));
}

/* Applies a change (or an undo entry) to the store. */
static bool mem_apply(void *ctx, const uint8_t *key, size_t klen, bool present, const uint8_t *val,
                      size_t vlen)
{
    struct mem *m = ctx;
    int i = mem_find(m, key, klen);
    if (!present) {
        if (i >= 0) {
            m->n--;
            memmove(m->keys[i], m->keys[m->n], 16);
            memmove(m->vals[i], m->vals[m->n], 16);
        }
        return true;
    }
    if (i < 0) {
        i = m->n++;
        memcpy(m->keys[i], key, klen);
        m->keys[i][klen] = '\0';
    }
    memcpy(m->vals[i], val, vlen);
    m->vals[i][vlen] = '\0';
    return true;
}

static void mem_set(struct mem *m, const char *k, const char *v)
{
    mem_apply(m, (const uint8_t *)k, strlen(k), true, (const uint8_t *)v, strlen(v));
}

static const char *mem_value(struct mem *m, const char *k)
{
    int i = mem_find(m, (const uint8_t *)k, strlen(k));
    return i < 0 ? NULL : m->vals[i];
}

static struct state_backend mem_backend(struct mem *m)
{
    return (struct state_backend){.ctx = m, .get = mem_get};
}

static void expect(struct state_view *v, const char *k, const char *want)
{
    struct buf b;
    buf_init(&b);
    bool found = true;
    ck_assert(state_get(v, k, strlen(k), &b, &found));
    if (want == NULL) {
        ck_assert_msg(!found, "%s should be absent", k);
    } else {
        ck_assert_msg(found, "%s should be present", k);
        ck_assert_uint_eq(b.len, strlen(want));
        ck_assert(memcmp(b.data, want, b.len) == 0);
    }
    buf_clear(&b);
}

static void put(struct state_view *v, const char *k, const char *val)
{
    ck_assert(state_put(v, k, strlen(k), val, strlen(val)));
}

START_TEST(reads_fall_through_writes_stay)
{
    struct mem m = {0};
    mem_set(&m, "a", "1");
    mem_set(&m, "b", "2");
    struct state_backend be = mem_backend(&m);
    struct state_view v;
    state_view_init(&v, &be);
    expect(&v, "a", "1");
    expect(&v, "zz", NULL);
    put(&v, "a", "10");
    put(&v, "c", "3");
    ck_assert(state_del(&v, "b", 1));
    expect(&v, "a", "10");
    expect(&v, "b", NULL);
    expect(&v, "c", "3");
    /* the backend is untouched until the caller commits */
    ck_assert_str_eq(mem_value(&m, "a"), "1");
    ck_assert_ptr_null(mem_value(&m, "c"));
    ck_assert_uint_eq(state_view_change_count(&v), 3);
    ck_assert(!state_view_failed(&v));
    state_view_clear(&v);
}
END_TEST

START_TEST(net_changes_only)
{
    struct mem m = {0};
    mem_set(&m, "a", "1");
    struct state_backend be = mem_backend(&m);
    struct state_view v;
    state_view_init(&v, &be);
    put(&v, "a", "2");
    put(&v, "a", "1");           /* back to what it was */
    put(&v, "n", "x");
    ck_assert(state_del(&v, "n", 1)); /* created and removed */
    expect(&v, "q", NULL);       /* read only */
    ck_assert_uint_eq(state_view_change_count(&v), 0);
    struct buf undo;
    buf_init(&undo);
    ck_assert(state_view_undo_encode(&v, &undo));
    ck_assert_uint_eq(undo.len, 1);
    ck_assert_uint_eq(undo.data[0], 0x90); /* empty array */
    buf_clear(&undo);
    state_view_clear(&v);
}
END_TEST

/* Commit the changes, then apply the undo record: the store is as before. */
START_TEST(undo_restores_exactly)
{
    struct mem m = {0};
    mem_set(&m, "a", "1");
    mem_set(&m, "b", "2");
    mem_set(&m, "c", "3");
    struct mem before = m;
    struct state_backend be = mem_backend(&m);
    struct state_view v;
    state_view_init(&v, &be);
    put(&v, "a", "one");
    ck_assert(state_del(&v, "b", 1));
    put(&v, "d", "4");
    expect(&v, "c", "3");
    struct buf undo;
    buf_init(&undo);
    ck_assert(state_view_undo_encode(&v, &undo));
    ck_assert(state_view_for_each_change(&v, mem_apply, &m));
    state_view_clear(&v);

    ck_assert_str_eq(mem_value(&m, "a"), "one");
    ck_assert_ptr_null(mem_value(&m, "b"));
    ck_assert_str_eq(mem_value(&m, "d"), "4");

    ck_assert_int_eq(state_undo_for_each(undo.data, undo.len, mem_apply, &m), SER_OK);
    ck_assert_int_eq(m.n, before.n);
    const char *keys[] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++)
        ck_assert_str_eq(mem_value(&m, keys[i]), mem_value(&before, keys[i]));
    ck_assert_ptr_null(mem_value(&m, "d"));
    buf_clear(&undo);
}
END_TEST

START_TEST(savepoints_nest)
{
    struct mem m = {0};
    mem_set(&m, "a", "1");
    struct state_backend be = mem_backend(&m);
    struct state_view v;
    state_view_init(&v, &be);
    put(&v, "a", "2");
    size_t sp1 = state_savepoint(&v);
    put(&v, "a", "3");
    put(&v, "b", "x");
    size_t sp2 = state_savepoint(&v);
    ck_assert(state_del(&v, "a", 1));
    expect(&v, "a", NULL);
    state_rollback(&v, sp2);
    expect(&v, "a", "3");
    expect(&v, "b", "x");
    state_rollback(&v, sp1);
    expect(&v, "a", "2");
    expect(&v, "b", NULL);
    ck_assert_uint_eq(state_view_change_count(&v), 1);
    state_rollback(&v, 0);
    expect(&v, "a", "1");
    ck_assert_uint_eq(state_view_change_count(&v), 0);
    state_view_clear(&v);
}
END_TEST

START_TEST(limits_and_failures)
{
    struct mem m = {0};
    struct state_backend be = mem_backend(&m);
    struct state_view v;
    state_view_init(&v, &be);
    uint8_t key[STATE_KEY_MAX + 1];
    memset(key, 'k', sizeof key);
    ck_assert(!state_put(&v, key, sizeof key, "v", 1));
    ck_assert(!state_put(&v, key, 0, "v", 1));
    ck_assert(state_put(&v, key, STATE_KEY_MAX, "v", 1));
    uint8_t *big = calloc(1, STATE_VALUE_MAX + 1);
    ck_assert(!state_put(&v, "k", 1, big, STATE_VALUE_MAX + 1));
    free(big);
    ck_assert(!state_view_failed(&v)); /* refusals are not failures */
    ck_assert_uint_eq(state_view_change_count(&v), 1);

    m.broken = true;
    struct buf b;
    buf_init(&b);
    bool found;
    ck_assert(!state_get(&v, "new", 3, &b, &found));
    ck_assert(state_view_failed(&v));
    buf_clear(&b);
    state_view_clear(&v);
}
END_TEST

START_TEST(many_keys)
{
    struct mem m = {0};
    struct state_backend be = mem_backend(&m);
    struct state_view v;
    state_view_init(&v, &be);
    char k[16], val[16];
    for (int i = 0; i < 5000; i++) {
        snprintf(k, sizeof k, "k%d", i);
        snprintf(val, sizeof val, "v%d", i);
        put(&v, k, val);
    }
    for (int i = 0; i < 5000; i += 7) {
        snprintf(k, sizeof k, "k%d", i);
        snprintf(val, sizeof val, "v%d", i);
        expect(&v, k, val);
    }
    ck_assert_uint_eq(state_view_change_count(&v), 5000);
    state_view_clear(&v);
}
END_TEST

START_TEST(stacked_views)
{
    struct mem m = {0};
    mem_set(&m, "a", "1");
    struct state_backend be = mem_backend(&m);
    struct state_view lower, upper;
    state_view_init(&lower, &be);
    put(&lower, "b", "2");
    struct state_backend lb;
    state_view_as_backend(&lower, &lb);
    state_view_init(&upper, &lb);
    expect(&upper, "a", "1");
    expect(&upper, "b", "2");
    put(&upper, "a", "9");
    expect(&lower, "a", "1");
    ck_assert(state_view_for_each_change(&upper, mem_apply, &m));
    ck_assert_str_eq(mem_value(&m, "a"), "9");
    state_view_clear(&upper);
    state_view_clear(&lower);
}
END_TEST

START_TEST(corrupt_undo_changes_nothing)
{
    struct mem m = {0};
    mem_set(&m, "a", "1");
    static const char *bad[] = {
        "92" "92c40161c40162" "93c40161c40162c40163", /* an entry of 3 elements */
        "91" "90",                                  /* an empty entry */
        "91" "91c400",                              /* an empty key */
        "91" "91a161",                              /* str key */
        "91" "91c401",                              /* truncated */
        "92" "92c40161c40178" "91cc05",             /* second entry not bin */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t bytes[64];
        size_t n = strlen(bad[i]) / 2;
        unit_hex(bad[i], bytes, n);
        ck_assert_int_ne(state_undo_for_each(bytes, n, mem_apply, &m), SER_OK);
        ck_assert_int_eq(m.n, 1);
        ck_assert_str_eq(mem_value(&m, "a"), "1");
    }
}
END_TEST

START_TEST(empty_backend_has_nothing)
{
    struct buf val;
    buf_init(&val);
    ck_assert(buf_append(&val, "stale", 5));
    bool found = true;
    ck_assert(state_empty_backend.get(state_empty_backend.ctx, (const uint8_t *)"k", 1, &val,
                                      &found));
    ck_assert(!found);
    ck_assert_uint_eq(val.len, 0);
    buf_clear(&val);

    /* A view over it reads nothing until written. */
    struct state_view v;
    state_view_init(&v, &state_empty_backend);
    found = true;
    ck_assert(state_get(&v, "k", 1, &val, &found));
    ck_assert(!found);
    ck_assert(state_put(&v, "k", 1, "v", 1));
    ck_assert(state_get(&v, "k", 1, &val, &found));
    ck_assert(found);
    ck_assert_uint_eq(val.len, 1);
    buf_clear(&val);
    state_view_clear(&v);
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {
        reads_fall_through_writes_stay, net_changes_only, undo_restores_exactly, savepoints_nest,
        limits_and_failures, many_keys, stacked_views, corrupt_undo_changes_nothing,
        empty_backend_has_nothing, NULL
    };
    return fixture_suite("state", NULL, tests);
}
