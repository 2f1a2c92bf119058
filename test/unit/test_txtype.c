#include "unit.h"
#include "fixture.h"

#include <string.h>

#include "consensus/coinbase.h"
#include "consensus/transfer.h"
#include "consensus/txtype.h"

static enum txerr plugin_check(const struct tx *tx, enum ser_err *detail)
{
    (void)detail;
    return tx->fee == 7 ? TXERR_BAD_FEE : TXERR_OK;
}

START_TEST(core_types_are_built_in)
{
    ck_assert_ptr_eq(txtype_find(0), &coinbase_txtype);
    ck_assert_ptr_eq(txtype_find(1), &transfer_txtype);
    ck_assert_ptr_eq(txtype_find_name("coinbase"), &coinbase_txtype);
    ck_assert_ptr_eq(txtype_find_name("transfer"), &transfer_txtype);
    ck_assert_ptr_null(txtype_find(2));
    ck_assert_ptr_null(txtype_find(16));
    ck_assert_ptr_null(txtype_find(TXTYPE_MAX_ID + 1));
    ck_assert_ptr_null(txtype_find(UINT64_MAX));
    ck_assert_ptr_null(txtype_find_name("nope"));
}
END_TEST

START_TEST(plugins_register_and_reset)
{
    static const struct txtype_def listing = {.id = 17, .name = "listing_create", .check = plugin_check};
    static const struct txtype_def same_id = {.id = 17, .name = "other", .check = plugin_check};
    static const struct txtype_def same_name = {.id = 18, .name = "listing_create", .check = plugin_check};
    static const struct txtype_def core_id = {.id = 1, .name = "mine", .check = plugin_check};
    static const struct txtype_def core_name = {.id = 19, .name = "transfer", .check = plugin_check};
    static const struct txtype_def no_check = {.id = 20, .name = "x"};
    static const struct txtype_def no_name = {.id = 21, .name = "", .check = plugin_check};

    ck_assert(txtype_register(&listing));
    ck_assert_ptr_eq(txtype_find(17), &listing);
    ck_assert_ptr_eq(txtype_find_name("listing_create"), &listing);
    ck_assert(!txtype_register(&same_id));
    ck_assert(!txtype_register(&same_name));
    ck_assert(!txtype_register(&core_id));
    ck_assert(!txtype_register(&core_name));
    ck_assert(!txtype_register(&no_check));
    ck_assert(!txtype_register(&no_name));
    ck_assert(!txtype_register(NULL));
    ck_assert_ptr_eq(txtype_find(1), &transfer_txtype);
    ck_assert_ptr_null(txtype_find(18));

    txtype_reset();
    ck_assert_ptr_null(txtype_find(17));
    ck_assert_ptr_eq(txtype_find(1), &transfer_txtype);
}
END_TEST

START_TEST(reasons_are_named)
{
    ck_assert_str_eq(txerr_reason(TXERR_BAD_SIGNATURE), "bad-signature");
    ck_assert_str_eq(txerr_reason(TXERR_NON_CANONICAL), "non-canonical");
    ck_assert_str_eq(txerr_reason(TXERR_TOO_LARGE), "tx-too-large");
    for (int e = 0; e < TXERR_COUNT_; e++) {
        ck_assert_ptr_nonnull(txerr_reason((enum txerr)e));
        ck_assert_uint_gt(strlen(txerr_strerror((enum txerr)e)), 5);
        for (int f = e + 1; f < TXERR_COUNT_; f++)
            ck_assert_str_ne(txerr_reason((enum txerr)e), txerr_reason((enum txerr)f));
    }
    ck_assert_str_eq(txerr_reason(TXERR_COUNT_), "unknown-error");
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {
        core_types_are_built_in, plugins_register_and_reset, reasons_are_named, NULL
    };
    return fixture_suite("txtype", NULL, tests);
}
