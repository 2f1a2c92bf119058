#include "unit.h"
#include "fixture.h"

#include <string.h>

#include "consensus/coinbase.h"
#include "consensus/transfer.h"
#include "consensus/txtype.h"

static enum txerr plugin_check(const struct tx *tx, const struct txpayload *p)
{
    (void)p;
    return tx->fee == 7 ? TXERR_BAD_FEE : TXERR_OK;
}

static enum txerr plugin_apply(struct state_view *v, const struct tx *tx,
                               const struct apply_ctx *ctx)
{
    (void)v;
    (void)tx;
    (void)ctx;
    return TXERR_OK;
}

static const struct txfield one_field[] = {{.name = "id", .kind = TXFIELD_HASH}};
#define TYPE(i, n) \
    {.id = (i), .name = (n), .fields = one_field, .n_fields = 1, .check = plugin_check, \
     .apply = plugin_apply}

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
    /* The core types go through the same rules as plugins' would. */
    ck_assert_ptr_nonnull(coinbase_txtype.apply);
    ck_assert_ptr_nonnull(transfer_txtype.apply);
    ck_assert(txfield_table_valid(coinbase_txtype.fields, coinbase_txtype.n_fields, NULL, 0));
    ck_assert(txfield_table_valid(transfer_txtype.fields, transfer_txtype.n_fields, NULL, 0));
}
END_TEST

START_TEST(plugins_register_and_reset)
{
    static const struct txtype_def listing = TYPE(17, "listing_create");
    static const struct txtype_def same_id = TYPE(17, "other");
    static const struct txtype_def same_name = TYPE(18, "listing_create");
    static const struct txtype_def core_id = TYPE(1, "mine");
    static const struct txtype_def core_name = TYPE(19, "transfer");
    static const struct txtype_def no_apply = {
        .id = 20, .name = "x", .fields = one_field, .n_fields = 1, .check = plugin_check};
    static const struct txtype_def no_name = TYPE(21, "");
    static const struct txtype_def no_fields = {.id = 22, .name = "y", .apply = plugin_apply};
    static const struct txfield unbounded[] = {{.name = "t", .kind = TXFIELD_TEXT}};
    static const struct txtype_def no_max = {
        .id = 23, .name = "z", .fields = unbounded, .n_fields = 1, .apply = plugin_apply};

    char err[128];
    ck_assert(txtype_register(&listing, err, sizeof err));
    ck_assert_ptr_eq(txtype_find(17), &listing);
    ck_assert_ptr_eq(txtype_find_name("listing_create"), &listing);
    ck_assert(!txtype_register(&same_id, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "taken"));
    ck_assert(!txtype_register(&same_name, err, sizeof err));
    ck_assert(!txtype_register(&core_id, err, sizeof err));
    ck_assert(!txtype_register(&core_name, err, sizeof err));
    ck_assert(!txtype_register(&no_apply, err, sizeof err));
    ck_assert_str_eq(err, "type x has no apply");
    ck_assert(!txtype_register(&no_name, err, sizeof err));
    ck_assert(!txtype_register(&no_fields, err, sizeof err));
    ck_assert(!txtype_register(&no_max, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "needs a maximum"));
    ck_assert(!txtype_register(NULL, NULL, 0));
    ck_assert_ptr_eq(txtype_find(1), &transfer_txtype);
    ck_assert_ptr_null(txtype_find(18));
    ck_assert_ptr_null(txtype_find(20));

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
        ck_assert(e == TXERR_OK || txerr_class((enum txerr)e) != TXCLASS_NONE);
    }
    ck_assert_str_eq(txerr_reason(TXERR_COUNT_), "unknown-error");
}
END_TEST

START_TEST(core_rejections_have_classes)
{
    /* A peer may relay these honestly: never scored. */
    ck_assert_int_eq(txerr_class(TXERR_BAD_NONCE), TXCLASS_STATE);
    ck_assert_int_eq(txerr_class(TXERR_INSUFFICIENT_FUNDS), TXCLASS_STATE);
    ck_assert_int_eq(txerr_class(TXERR_UNKNOWN_TYPE), TXCLASS_UNKNOWN_TYPE);
    ck_assert_int_eq(txerr_class(TXERR_STORAGE), TXCLASS_LOCAL);
    /* The sender's own mistakes. */
    ck_assert_int_eq(txerr_class(TXERR_BAD_SIGNATURE), TXCLASS_INVALID);
    ck_assert_int_eq(txerr_class(TXERR_BAD_PAYLOAD), TXCLASS_INVALID);
    ck_assert_int_eq(txerr_class(TXERR_WRONG_NETWORK), TXCLASS_INVALID);
    ck_assert_int_eq(txerr_class(TXERR_OK), TXCLASS_NONE);
    /* Nobody registered it: not blamed on the sender. */
    ck_assert_int_eq(txerr_class((enum txerr)4000), TXCLASS_LOCAL);
    ck_assert_str_eq(txerr_class_name(TXCLASS_STATE), "state");
}
END_TEST

START_TEST(plugins_add_rules)
{
    static const struct txerr_def rules[] = {
        {1600, "order-not-yours", "only the seller may accept an order", TXCLASS_INVALID},
        {1601, "out-of-stock", "the listing has no stock left", TXCLASS_STATE},
    };
    char err[128];
    ck_assert(txerr_register(rules, 2, err, sizeof err));
    ck_assert_str_eq(txerr_reason((enum txerr)1600), "order-not-yours");
    ck_assert_str_eq(txerr_strerror((enum txerr)1601), "the listing has no stock left");
    ck_assert_int_eq(txerr_class((enum txerr)1600), TXCLASS_INVALID);
    ck_assert_int_eq(txerr_class((enum txerr)1601), TXCLASS_STATE);

    static const struct txerr_def dup_code[] = {{1600, "other", "x y z", TXCLASS_STATE}};
    static const struct txerr_def dup_reason[] = {{1700, "out-of-stock", "x y z", TXCLASS_STATE}};
    static const struct txerr_def core_reason[] = {{1701, "bad-nonce", "x y z", TXCLASS_STATE}};
    static const struct txerr_def core_code[] = {{5, "fine-name", "x y z", TXCLASS_STATE}};
    static const struct txerr_def bad_reason[] = {{1702, "Bad Reason", "x y z", TXCLASS_STATE}};
    static const struct txerr_def no_class[] = {{1703, "no-class", "x y z", TXCLASS_NONE}};
    static const struct txerr_def twice[] = {{1704, "twice", "x y z", TXCLASS_STATE},
                                             {1704, "twice-too", "x y z", TXCLASS_STATE}};
    ck_assert(!txerr_register(dup_code, 1, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "taken"));
    ck_assert(!txerr_register(dup_reason, 1, err, sizeof err));
    ck_assert(!txerr_register(core_reason, 1, err, sizeof err));
    ck_assert(!txerr_register(core_code, 1, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "plugin range"));
    ck_assert(!txerr_register(bad_reason, 1, err, sizeof err));
    ck_assert(!txerr_register(no_class, 1, err, sizeof err));
    ck_assert(!txerr_register(twice, 2, err, sizeof err));
    /* All or nothing: the first of the pair was not added either. */
    ck_assert_str_eq(txerr_reason((enum txerr)1704), "unknown-error");

    txerr_reset();
    ck_assert_str_eq(txerr_reason((enum txerr)1600), "unknown-error");
    ck_assert_str_eq(txerr_reason(TXERR_BAD_NONCE), "bad-nonce");
}
END_TEST

/* A payload of every kind, to drive the generic codec. */
static const struct txfield all_kinds[] = {
    {.name = "who", .kind = TXFIELD_ACCOUNT, .err = TXERR_BAD_RECIPIENT},
    {.name = "arbiter", .kind = TXFIELD_ACCOUNT_OPT},
    {.name = "id", .kind = TXFIELD_HASH},
    {.name = "media", .kind = TXFIELD_HASH_LIST, .max = 2},
    {.name = "price", .kind = TXFIELD_AMOUNT, .min = 1, .err = TXERR_AMOUNT_ZERO},
    {.name = "quantity", .kind = TXFIELD_UINT, .min = 1, .max = 1000},
    {.name = "note", .kind = TXFIELD_BYTES, .max = 4},
    {.name = "name", .kind = TXFIELD_TEXT, .min = 3, .max = 8, .charset = "abc_-"},
};
#define N_KINDS (sizeof all_kinds / sizeof all_kinds[0])

struct sample {
    uint8_t who[32], id[32], media[64], note[4];
    char name[16];
    struct txvalue v[N_KINDS];
};

static void sample_init(struct sample *s)
{
    memset(s, 0, sizeof *s);
    fixture_pubkey(s->who);
    memset(s->id, 0x11, 32);
    memset(s->media, 0x22, 64);
    memcpy(s->note, "\x01\x02\x03\x04", 4);
    strcpy(s->name, "ab_c");
    s->v[0] = (struct txvalue){.p = s->who, .len = 32};
    s->v[1] = (struct txvalue){.p = (const uint8_t *)"", .len = 0};
    s->v[2] = (struct txvalue){.p = s->id, .len = 32};
    s->v[3] = (struct txvalue){.p = s->media, .len = 2};
    s->v[4] = (struct txvalue){.u = 500};
    s->v[5] = (struct txvalue){.u = 3};
    s->v[6] = (struct txvalue){.p = s->note, .len = 4};
    s->v[7] = (struct txvalue){.p = (const uint8_t *)s->name, .len = strlen(s->name)};
}

/* Encodes s and decodes it back: the rule the decode reports. */
static enum txerr sample_roundtrip(const struct sample *s, enum ser_err *detail, int *field)
{
    struct buf b;
    buf_init(&b);
    ck_assert(txpayload_encode(all_kinds, N_KINDS, s->v, &b));
    struct txpayload p;
    txpayload_init(&p);
    enum txerr err = txpayload_decode(all_kinds, N_KINDS, b.data, b.len, &p, detail, field);
    if (err == TXERR_OK) {
        /* Re-encoding the decoded values gives the same bytes. */
        struct buf again;
        buf_init(&again);
        ck_assert(txpayload_encode(all_kinds, N_KINDS, p.v, &again));
        ck_assert_uint_eq(again.len, b.len);
        ck_assert_mem_eq(again.data, b.data, b.len);
        buf_clear(&again);
        ck_assert_mem_eq(p.v[3].p, s->media, 64);
        ck_assert_uint_eq(p.v[5].u, s->v[5].u);
    }
    txpayload_clear(&p);
    buf_clear(&b);
    return err;
}

START_TEST(fields_decode_and_bound)
{
    struct sample s;
    enum ser_err detail;
    int field;
    sample_init(&s);
    ck_assert(txfield_table_valid(all_kinds, N_KINDS, NULL, 0));
    ck_assert_int_eq(sample_roundtrip(&s, &detail, &field), TXERR_OK);

    /* Each bound, and the rule its field names (or bad-payload). */
    sample_init(&s);
    s.v[4].u = 0;
    ck_assert_int_eq(sample_roundtrip(&s, &detail, &field), TXERR_AMOUNT_ZERO);
    ck_assert_int_eq(field, 4);
    s.v[4].u = AMOUNT_MAX + 1;
    ck_assert_int_eq(sample_roundtrip(&s, &detail, &field), TXERR_AMOUNT_RANGE);

    sample_init(&s);
    s.v[5].u = 1001;
    ck_assert_int_eq(sample_roundtrip(&s, &detail, &field), TXERR_BAD_PAYLOAD);
    ck_assert_int_eq(detail, SER_ERR_INT_RANGE);
    ck_assert_int_eq(field, 5);
    s.v[5].u = 0;
    ck_assert_int_eq(sample_roundtrip(&s, &detail, &field), TXERR_BAD_PAYLOAD);

    sample_init(&s);
    strcpy(s.name, "ab");
    s.v[7].len = 2;
    ck_assert_int_eq(sample_roundtrip(&s, &detail, &field), TXERR_BAD_PAYLOAD);
    ck_assert_int_eq(detail, SER_ERR_TOO_SHORT);
    strcpy(s.name, "abcabcabc");
    s.v[7].len = 9;
    ck_assert_int_eq(sample_roundtrip(&s, &detail, &field), TXERR_BAD_PAYLOAD);
    ck_assert_int_eq(detail, SER_ERR_TOO_LONG);
    strcpy(s.name, "abXc");
    s.v[7].len = 4;
    ck_assert_int_eq(sample_roundtrip(&s, &detail, &field), TXERR_BAD_PAYLOAD);
    ck_assert_int_eq(detail, SER_ERR_CHARSET);
    ck_assert_int_eq(field, 7);

    sample_init(&s);
    s.v[6].len = 5;
    uint8_t five[5] = {0};
    s.v[6].p = five;
    ck_assert_int_eq(sample_roundtrip(&s, &detail, &field), TXERR_BAD_PAYLOAD);
    ck_assert_int_eq(detail, SER_ERR_TOO_LONG);

    sample_init(&s);
    uint8_t three[96];
    memset(three, 0x33, sizeof three);
    s.v[3] = (struct txvalue){.p = three, .len = 3};
    ck_assert_int_eq(sample_roundtrip(&s, &detail, &field), TXERR_BAD_PAYLOAD);
    ck_assert_int_eq(detail, SER_ERR_TOO_MANY_ITEMS);

    sample_init(&s);
    memset(s.who, 0xff, 32); /* not a curve point */
    ck_assert_int_eq(sample_roundtrip(&s, &detail, &field), TXERR_BAD_RECIPIENT);
    ck_assert_int_eq(detail, SER_ERR_BAD_KEY);
    sample_init(&s);
    s.v[1] = (struct txvalue){.p = s.who, .len = 32}; /* an arbiter given */
    ck_assert_int_eq(sample_roundtrip(&s, &detail, &field), TXERR_OK);
}
END_TEST

START_TEST(fields_refuse_wrong_shapes)
{
    struct txpayload p;
    txpayload_init(&p);
    enum ser_err detail;
    int field;
    /* [] for eight fields */
    static const uint8_t empty[] = {0x90};
    ck_assert_int_eq(txpayload_decode(all_kinds, N_KINDS, empty, sizeof empty, &p, &detail,
                                      &field), TXERR_BAD_PAYLOAD);
    ck_assert_int_eq(detail, SER_ERR_ARRAY_LENGTH);
    ck_assert_int_eq(field, -1);
    /* a str where the transfer's recipient bin must be */
    static const struct txfield one[] = {{.name = "id", .kind = TXFIELD_HASH}};
    static const uint8_t str[] = {0x91, 0xa1, 'x'};
    ck_assert_int_eq(txpayload_decode(one, 1, str, sizeof str, &p, &detail, &field),
                     TXERR_BAD_PAYLOAD);
    ck_assert_int_eq(detail, SER_ERR_BIN_GOT_STR);
    ck_assert_int_eq(field, 0);
    /* a hash of 31 bytes */
    uint8_t short_hash[35] = {0x91, 0xc4, 31};
    ck_assert_int_eq(txpayload_decode(one, 1, short_hash, 34, &p, &detail, &field),
                     TXERR_BAD_PAYLOAD);
    /* trailing bytes */
    static const uint8_t trailing[] = {0x90, 0x00};
    ck_assert_int_eq(txpayload_decode(one, 0, trailing, sizeof trailing, &p, &detail, &field),
                     TXERR_BAD_PAYLOAD);
    ck_assert_int_eq(detail, SER_ERR_TRAILING);
    txpayload_clear(&p);

    char err[96];
    static const struct txfield dup[] = {{.name = "a", .kind = TXFIELD_UINT},
                                         {.name = "a", .kind = TXFIELD_UINT}};
    ck_assert(!txfield_table_valid(dup, 2, err, sizeof err));
    ck_assert_str_eq(err, "field a appears twice");
    static const struct txfield inverted[] = {{.name = "a", .kind = TXFIELD_UINT, .min = 5, .max = 2}};
    ck_assert(!txfield_table_valid(inverted, 1, err, sizeof err));
    static const struct txfield charset_on_bytes[] = {
        {.name = "a", .kind = TXFIELD_BYTES, .max = 2, .charset = "ab"}};
    ck_assert(!txfield_table_valid(charset_on_bytes, 1, err, sizeof err));
}
END_TEST

/* A list of small uints: count and item bounds, the field's rule for an
 * item above item_max, a shape error for one that is no uint8, and the
 * exact bytes again on re-encoding. */
START_TEST(uint8_lists_decode_and_bound)
{
    static const struct txfield scores[] = {
        {.name = "scores", .kind = TXFIELD_UINT8_LIST, .min = 4, .max = 4, .item_max = 5,
         .err = TXERR_AMOUNT_RANGE},
    };
    ck_assert(txfield_table_valid(scores, 1, NULL, 0));
    struct txpayload p;
    txpayload_init(&p);
    enum ser_err detail;
    int field;
    /* [[5, 0, 3, 1]] */
    static const uint8_t ok[] = {0x91, 0x94, 0x05, 0x00, 0x03, 0x01};
    ck_assert_int_eq(txpayload_decode(scores, 1, ok, sizeof ok, &p, &detail, &field), TXERR_OK);
    ck_assert_uint_eq(p.v[0].len, 4);
    ck_assert_mem_eq(p.v[0].p, "\x05\x00\x03\x01", 4);
    struct buf again;
    buf_init(&again);
    ck_assert(txpayload_encode(scores, 1, p.v, &again));
    ck_assert_uint_eq(again.len, sizeof ok);
    ck_assert_mem_eq(again.data, ok, sizeof ok);
    buf_clear(&again);
    /* an item of 6: the field's rule */
    static const uint8_t six[] = {0x91, 0x94, 0x05, 0x06, 0x03, 0x01};
    ck_assert_int_eq(txpayload_decode(scores, 1, six, sizeof six, &p, &detail, &field),
                     TXERR_AMOUNT_RANGE);
    ck_assert_int_eq(detail, SER_ERR_INT_RANGE);
    ck_assert_int_eq(field, 0);
    /* three items, five items */
    static const uint8_t three[] = {0x91, 0x93, 0x05, 0x00, 0x03};
    ck_assert_int_eq(txpayload_decode(scores, 1, three, sizeof three, &p, &detail, &field),
                     TXERR_AMOUNT_RANGE);
    ck_assert_int_eq(detail, SER_ERR_TOO_FEW_ITEMS);
    static const uint8_t five[] = {0x91, 0x95, 0x05, 0x00, 0x03, 0x01, 0x01};
    ck_assert_int_eq(txpayload_decode(scores, 1, five, sizeof five, &p, &detail, &field),
                     TXERR_AMOUNT_RANGE);
    ck_assert_int_eq(detail, SER_ERR_TOO_MANY_ITEMS);
    /* 256 is no uint8; a string is no uint: the payload's shape */
    static const uint8_t big[] = {0x91, 0x94, 0x05, 0xcd, 0x01, 0x00, 0x03, 0x01};
    ck_assert_int_eq(txpayload_decode(scores, 1, big, sizeof big, &p, &detail, &field),
                     TXERR_BAD_PAYLOAD);
    static const uint8_t str[] = {0x91, 0x94, 0x05, 0xa1, 'x', 0x03, 0x01};
    ck_assert_int_eq(txpayload_decode(scores, 1, str, sizeof str, &p, &detail, &field),
                     TXERR_BAD_PAYLOAD);
    /* a non-canonical 5 (uint8 form) */
    static const uint8_t wide[] = {0x91, 0x94, 0xcc, 0x05, 0x00, 0x03, 0x01};
    ck_assert_int_eq(txpayload_decode(scores, 1, wide, sizeof wide, &p, &detail, &field),
                     TXERR_BAD_PAYLOAD);
    txpayload_clear(&p);
    /* the table needs item_max for this kind, and only for it */
    char err[128];
    static const struct txfield no_item_max[] = {
        {.name = "a", .kind = TXFIELD_UINT8_LIST, .max = 4}};
    ck_assert(!txfield_table_valid(no_item_max, 1, err, sizeof err));
    static const struct txfield stray[] = {{.name = "a", .kind = TXFIELD_UINT, .item_max = 3}};
    ck_assert(!txfield_table_valid(stray, 1, err, sizeof err));
}
END_TEST

START_TEST(counterparties_default_to_account_fields)
{
    struct tx tx;
    tx_init(&tx);
    uint8_t sk[32], to[32];
    fixture_pubkey(to);
    memset(sk, 7, sizeof sk);
    fixture_transfer(&tx, sk, to, 5, 0, 1);
    uint8_t out[4][32];
    ck_assert_uint_eq(txtype_tx_counterparties(&tx, out, 4), 1);
    ck_assert_mem_eq(out[0], to, 32);
    ck_assert_uint_eq(txtype_tx_counterparties(&tx, out, 0), 0);
    tx.type = 99;
    ck_assert_uint_eq(txtype_tx_counterparties(&tx, out, 4), 0);
    tx_clear(&tx);
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {
        core_types_are_built_in, plugins_register_and_reset, reasons_are_named,
        core_rejections_have_classes, plugins_add_rules, fields_decode_and_bound,
        fields_refuse_wrong_shapes, uint8_lists_decode_and_bound, counterparties_default_to_account_fields, NULL
    };
    return fixture_suite("txtype", NULL, tests);
}
