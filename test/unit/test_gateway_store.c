/* gateway.sqlite through gw_account: accounts inserted and read back,
 * usernames unique, the two-phase password change, the two-phase
 * deletion, persistence across a reopen, and a file of another kind
 * refused. */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "fixture.h"
#include "gateway/gw_account.h"

static struct gw_account make_account(const char *user, uint8_t fill)
{
    struct gw_account a;
    memset(&a, 0, sizeof a);
    snprintf(a.username, sizeof a.username, "%s", user);
    gw_wallet_name(user, a.wallet);
    ck_assert(gw_kdf_new(&a.kdf));
    memset(a.verifier, fill, sizeof a.verifier);
    return a;
}

static size_t n_deleting;
static void count_deleting(void *ctx, const struct gw_account *a)
{
    (void)ctx;
    ck_assert(a->deleting);
    ck_assert_str_eq(a->username, "bob");
    n_deleting++;
}

START_TEST(accounts_roundtrip)
{
    char dir[256], path[320], err[256];
    fixture_tmpdir_make(dir, sizeof dir, "gwstore");
    snprintf(path, sizeof path, "%s/gateway.sqlite", dir);
    struct gw_store *s;
    ck_assert_msg(gw_store_open(path, &s, err, sizeof err), "%s", err);

    struct gw_account alice = make_account("alice", 0xa1), got;
    ck_assert_int_eq(gw_store_insert(s, &alice), GW_STORE_OK);
    ck_assert_int_gt(alice.id, 0);
    struct gw_account again = make_account("alice", 0xa2);
    ck_assert_int_eq(gw_store_insert(s, &again), GW_STORE_EXISTS);
    ck_assert_int_eq(gw_store_get(s, "nobody", &got), GW_STORE_NOT_FOUND);
    ck_assert_int_eq(gw_store_set_address(s, "alice", "rsouk1qalice"), GW_STORE_OK);
    ck_assert_int_eq(gw_store_set_address(s, "nobody", "x"), GW_STORE_NOT_FOUND);

    ck_assert_int_eq(gw_store_get(s, "alice", &got), GW_STORE_OK);
    ck_assert_str_eq(got.wallet, "gw-alice");
    ck_assert_str_eq(got.address, "rsouk1qalice");
    ck_assert(memcmp(got.verifier, alice.verifier, 32) == 0);
    ck_assert(memcmp(got.kdf.salt, alice.kdf.salt, GW_KDF_SALT_LEN) == 0);
    ck_assert_uint_eq(got.kdf.n, GW_KDF_N);
    ck_assert(!got.pending);
    ck_assert(!got.deleting);

    /* Password change: pending, then promoted. */
    struct gw_kdf k2;
    ck_assert(gw_kdf_new(&k2));
    uint8_t v2[32];
    memset(v2, 0xb2, sizeof v2);
    ck_assert_int_eq(gw_store_set_pending(s, "alice", &k2, v2), GW_STORE_OK);
    ck_assert_int_eq(gw_store_get(s, "alice", &got), GW_STORE_OK);
    ck_assert(got.pending);
    ck_assert(memcmp(got.verifier, alice.verifier, 32) == 0); /* still the old one */
    ck_assert(memcmp(got.pending_verifier, v2, 32) == 0);
    ck_assert_int_eq(gw_store_promote(s, "alice"), GW_STORE_OK);
    ck_assert_int_eq(gw_store_get(s, "alice", &got), GW_STORE_OK);
    ck_assert(!got.pending);
    ck_assert(memcmp(got.verifier, v2, 32) == 0);
    ck_assert(memcmp(got.kdf.salt, k2.salt, GW_KDF_SALT_LEN) == 0);
    ck_assert_int_eq(gw_store_promote(s, "alice"), GW_STORE_NOT_FOUND); /* nothing pending */
    /* ... or dropped. */
    memset(v2, 0xc3, sizeof v2);
    ck_assert_int_eq(gw_store_set_pending(s, "alice", &k2, v2), GW_STORE_OK);
    ck_assert_int_eq(gw_store_drop_pending(s, "alice"), GW_STORE_OK);
    ck_assert_int_eq(gw_store_get(s, "alice", &got), GW_STORE_OK);
    ck_assert(!got.pending);
    ck_assert_uint_eq(got.verifier[0], 0xb2);

    /* Deletion: marked, listed, removed; the name is then free. */
    struct gw_account bob = make_account("bob", 0xb0);
    ck_assert_int_eq(gw_store_insert(s, &bob), GW_STORE_OK);
    ck_assert_int_eq(gw_store_mark_deleting(s, "bob"), GW_STORE_OK);
    n_deleting = 0;
    ck_assert_int_eq(gw_store_each_deleting(s, count_deleting, NULL), GW_STORE_OK);
    ck_assert_uint_eq(n_deleting, 1);
    gw_store_close(s);

    /* Everything survives a reopen. */
    ck_assert_msg(gw_store_open(path, &s, err, sizeof err), "%s", err);
    n_deleting = 0;
    ck_assert_int_eq(gw_store_each_deleting(s, count_deleting, NULL), GW_STORE_OK);
    ck_assert_uint_eq(n_deleting, 1);
    ck_assert_int_eq(gw_store_remove(s, "bob"), GW_STORE_OK);
    ck_assert_int_eq(gw_store_remove(s, "bob"), GW_STORE_NOT_FOUND);
    ck_assert_int_eq(gw_store_get(s, "bob", &got), GW_STORE_NOT_FOUND);
    struct gw_account bob2 = make_account("bob", 0xb1);
    ck_assert_int_eq(gw_store_insert(s, &bob2), GW_STORE_OK);
    ck_assert_int_gt(bob2.id, bob.id); /* ids are never reused */
    ck_assert_int_eq(gw_store_get(s, "alice", &got), GW_STORE_OK);
    ck_assert_uint_eq(got.verifier[0], 0xb2);
    gw_store_close(s);
    fixture_tmpdir_remove(dir);
}
END_TEST

START_TEST(foreign_file_refused)
{
    char dir[256], path[320], err[256];
    fixture_tmpdir_make(dir, sizeof dir, "gwstore");
    snprintf(path, sizeof path, "%s/other.sqlite", dir);
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "CREATE TABLE t (x); PRAGMA user_version=1; "
                                      "PRAGMA application_id=7", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    struct gw_store *s = NULL;
    ck_assert(!gw_store_open(path, &s, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "another application"));
    fixture_tmpdir_remove(dir);
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {accounts_roundtrip, foreign_file_refused, NULL};
    return fixture_suite("gateway_store", NULL, tests);
}
