#include "unit.h"
#include "fixture.h"

#include <string.h>

#include "consensus/blockcheck.h"
#include "consensus/txcheck.h"
#include "consensus/txsign.h"
#include "node/pluginhost.h"
#include "plugins/testkv/testkv.h"

/* ---- a second plugin to clash with testkv in one way at a time ------------ */

static enum txerr noop_apply(struct state_view *v, const struct tx *tx,
                             const struct apply_ctx *ctx)
{
    (void)v;
    (void)tx;
    (void)ctx;
    return TXERR_OK;
}

static enum txerr noop_fire(struct state_view *v, const uint8_t *key, size_t klen,
                            const uint8_t *data, size_t dlen, const struct apply_ctx *ctx)
{
    (void)v;
    (void)key;
    (void)klen;
    (void)data;
    (void)dlen;
    (void)ctx;
    return TXERR_OK;
}

static const struct txfield one[] = {{.name = "x", .kind = TXFIELD_UINT}};
static const struct txtype_def same_id = {.id = 250, .name = "other", .fields = one,
                                          .n_fields = 1, .apply = noop_apply};
static const struct txtype_def same_name = {.id = 77, .name = "kv_put", .fields = one,
                                            .n_fields = 1, .apply = noop_apply};
static const struct txtype_def core_id = {.id = 1, .name = "pay", .fields = one, .n_fields = 1,
                                          .apply = noop_apply};
static const struct txtype_def no_apply = {.id = 78, .name = "lazy", .fields = one,
                                           .n_fields = 1};
static const struct txtype_def fine = {.id = 79, .name = "fine", .fields = one, .n_fields = 1,
                                       .apply = noop_apply};

static bool add_clash(struct pluginhost *h, struct plugin *p, const char *expect)
{
    char err[256] = "";
    bool ok = pluginhost_add(h, p, err, sizeof err);
    if (!ok && expect != NULL)
        ck_assert_msg(strstr(err, expect) != NULL, "'%s' does not say '%s'", err, expect);
    return ok;
}

START_TEST(clashes_are_refused)
{
    struct pluginhost h;
    pluginhost_init(&h);
    char err[256];
    ck_assert(pluginhost_add(&h, &testkv_plugin, err, sizeof err));
    ck_assert(!add_clash(&h, (struct plugin *)&testkv_plugin, "added twice"));

    static const struct txtype_def *t_id[] = {&same_id};
    static const struct txtype_def *t_name[] = {&same_name};
    static const struct txtype_def *t_core[] = {&core_id};
    static const struct txtype_def *t_lazy[] = {&no_apply};
    static const struct txtype_def *t_fine[] = {&fine};
    struct plugin p = {.name = "other", .types = t_id, .n_types = 1};
    ck_assert(!add_clash(&h, &p, "clashes with type kv_put"));
    p.types = t_name;
    ck_assert(!add_clash(&h, &p, "clashes with type kv_put"));
    p.types = t_core;
    ck_assert(!add_clash(&h, &p, "clashes with type transfer"));
    p.types = t_lazy;
    ck_assert(!add_clash(&h, &p, "has no apply"));
    p.types = t_fine;

    static const uint8_t core_prefix[] = {'a'};
    static const uint8_t kv_prefix[] = {'k'};
    static const uint8_t twice[] = {'q', 'q'};
    p.prefixes = core_prefix;
    p.n_prefixes = 1;
    ck_assert(!add_clash(&h, &p, "owned by the core"));
    p.prefixes = kv_prefix;
    ck_assert(!add_clash(&h, &p, "owned by testkv"));
    p.prefixes = twice;
    p.n_prefixes = 2;
    ck_assert(!add_clash(&h, &p, "0x71"));
    p.n_prefixes = 1;

    static const struct deadline_handler dl_kv[] = {{.owner = 'k', .name = "x", .fire = noop_fire}};
    static const struct deadline_handler dl_core[] = {{.owner = 'm', .name = "x", .fire = noop_fire}};
    p.deadlines = dl_kv;
    p.n_deadlines = 1;
    ck_assert(!add_clash(&h, &p, "deadline owner"));
    p.deadlines = dl_core;
    ck_assert(!add_clash(&h, &p, "deadline owner"));
    p.n_deadlines = 0;

    static const struct txerr_def rule_code[] = {{2500, "fresh-reason", "x y z", TXCLASS_STATE}};
    static const struct txerr_def rule_reason[] = {{2600, "kv-not-owner", "x y z", TXCLASS_STATE}};
    p.rules = rule_code;
    p.n_rules = 1;
    ck_assert(!add_clash(&h, &p, "is taken"));
    p.rules = rule_reason;
    ck_assert(!add_clash(&h, &p, "is taken"));
    p.n_rules = 0;

    static const struct plugin_inv inv_kv[] = {{.type = 200, .command = "x"}};
    static const struct plugin_inv inv_block[] = {{.type = 2, .command = "x"}};
    p.invs = inv_kv;
    p.n_invs = 1;
    ck_assert(!add_clash(&h, &p, "inventory type 200"));
    p.invs = inv_block;
    ck_assert(!add_clash(&h, &p, "inventory type 2"));
    p.n_invs = 0;

    p.name = "Bad Name";
    ck_assert(!add_clash(&h, &p, "a name is"));
    p.name = "other";
    /* With every clash gone it is accepted. */
    ck_assert(add_clash(&h, &p, NULL));
    ck_assert_uint_eq(h.n, 2);
    ck_assert_ptr_nonnull(pluginhost_find(&h, "other"));
    ck_assert_ptr_null(pluginhost_find(&h, "nope"));
    pluginhost_clear(&h);
}
END_TEST

START_TEST(install_and_uninstall)
{
    struct pluginhost h;
    pluginhost_init(&h);
    char err[256];
    ck_assert(pluginhost_add(&h, &testkv_plugin, err, sizeof err));
    ck_assert_ptr_null(txtype_find(TESTKV_TYPE_PUT));
    ck_assert(pluginhost_install(&h, err, sizeof err));
    ck_assert_ptr_nonnull(txtype_find(TESTKV_TYPE_PUT));
    ck_assert_ptr_nonnull(txtype_find_name("kv_del"));
    ck_assert_str_eq(txerr_reason((enum txerr)2501), "kv-not-owner");
    ck_assert_int_eq(txerr_class((enum txerr)2501), TXCLASS_STATE);
    ck_assert_ptr_nonnull(deadline_handler_find('k'));
    /* Nothing is added once the chain could have opened. */
    struct plugin late = {.name = "late"};
    ck_assert(!pluginhost_add(&h, &late, err, sizeof err));
    pluginhost_clear(&h);
    ck_assert_ptr_null(txtype_find(TESTKV_TYPE_PUT));
    ck_assert_str_eq(txerr_reason((enum txerr)2501), "unknown-error");
    ck_assert_ptr_null(deadline_handler_find('k'));
}
END_TEST

/* ---- testkv's consensus through the same paths as block validation -------- */

static void kv_tx(struct tx *tx, const struct fixture_user *u, uint64_t type, const char *key,
                  const char *value, uint64_t ttl, uint64_t nonce)
{
    const struct txtype_def *def = txtype_find(type);
    ck_assert_ptr_nonnull(def);
    struct txvalue v[3] = {
        {.p = (const uint8_t *)key, .len = strlen(key)},
        {.p = (const uint8_t *)value, .len = strlen(value)},
        {.u = ttl},
    };
    struct buf b;
    buf_init(&b);
    ck_assert(txpayload_encode(def->fields, def->n_fields, v, &b));
    tx->type = type;
    tx->nonce = nonce;
    tx->fee = 100;
    ck_assert_int_eq(tx_set_payload(tx, b.data, b.len), SER_OK);
    buf_clear(&b);
    ck_assert(txsign_sign(tx, u->sk, fixture_regtest()->genesis.hash));
}

static bool kv_present(struct state_view *v, const char *key)
{
    uint8_t k[40] = {'k'};
    memcpy(k + 1, key, strlen(key));
    struct buf val;
    buf_init(&val);
    bool found = false;
    ck_assert(state_get(v, k, 1 + strlen(key), &val, &found));
    buf_clear(&val);
    return found;
}

START_TEST(testkv_rules_and_deadlines)
{
    struct pluginhost h;
    pluginhost_init(&h);
    char err[256];
    ck_assert(pluginhost_add(&h, &testkv_plugin, err, sizeof err));
    ck_assert(pluginhost_install(&h, err, sizeof err));

    struct state_view v;
    state_view_init(&v, &state_empty_backend);
    struct fixture_user alice, bob;
    fixture_user_new(&alice);
    fixture_user_new(&bob);
    fixture_fund(&v, alice.pub, 100000, 0);
    fixture_fund(&v, bob.pub, 100000, 0);
    struct apply_ctx at10 = {.params = fixture_regtest(), .height = 10};

    struct tx tx;
    tx_init(&tx);
    /* alice claims "name" for 5 blocks */
    kv_tx(&tx, &alice, TESTKV_TYPE_PUT, "name", "v1", 5, 0);
    ck_assert_int_eq(txcheck_stateless(&tx, fixture_regtest()->genesis.hash, NULL), TXERR_OK);
    ck_assert_int_eq(blockcheck_apply_tx(&v, &tx, &at10), TXERR_OK);
    ck_assert(kv_present(&v, "name"));
    /* bob cannot take it: a state conflict, and his fee and nonce stay */
    kv_tx(&tx, &bob, TESTKV_TYPE_PUT, "name", "mine", 0, 0);
    enum txerr e = blockcheck_apply_tx(&v, &tx, &at10);
    ck_assert_str_eq(txerr_reason(e), "kv-not-owner");
    ck_assert_int_eq(txerr_class(e), TXCLASS_STATE);
    ck_assert_uint_eq(fixture_account(&v, bob.pub).nonce, 0);
    kv_tx(&tx, &bob, TESTKV_TYPE_DEL, "name", "", 0, 0);
    ck_assert_str_eq(txerr_reason(blockcheck_apply_tx(&v, &tx, &at10)), "kv-not-owner");
    kv_tx(&tx, &bob, TESTKV_TYPE_DEL, "ghost", "", 0, 0);
    ck_assert_str_eq(txerr_reason(blockcheck_apply_tx(&v, &tx, &at10)), "kv-unknown-key");
    /* a reserved key is the sender's own mistake, found without state */
    kv_tx(&tx, &bob, TESTKV_TYPE_PUT, "_admin", "", 0, 0);
    e = txcheck_stateless(&tx, fixture_regtest()->genesis.hash, NULL);
    ck_assert_str_eq(txerr_reason(e), "kv-reserved-key");
    ck_assert_int_eq(txerr_class(e), TXCLASS_INVALID);
    /* a key outside the character set breaks the field's bound */
    kv_tx(&tx, &bob, TESTKV_TYPE_PUT, "Name", "", 0, 0);
    ck_assert_int_eq(txcheck_stateless(&tx, fixture_regtest()->genesis.hash, NULL), TXERR_BAD_PAYLOAD);

    /* the ttl runs out when block 15 starts; the block hook counts blocks */
    for (uint64_t height = 11; height <= 15; height++) {
        struct apply_ctx at = {.params = fixture_regtest(), .height = height};
        ck_assert_int_eq(prologue_run(&v, &at), TXERR_OK);
        ck_assert(kv_present(&v, "name") == (height < 15));
    }
    /* re-putting with ttl 0 cancels the expiry */
    struct apply_ctx at16 = {.params = fixture_regtest(), .height = 16};
    kv_tx(&tx, &alice, TESTKV_TYPE_PUT, "keep", "", 2, 1);
    ck_assert_int_eq(blockcheck_apply_tx(&v, &tx, &at16), TXERR_OK);
    kv_tx(&tx, &alice, TESTKV_TYPE_PUT, "keep", "", 0, 2);
    ck_assert_int_eq(blockcheck_apply_tx(&v, &tx, &at16), TXERR_OK);
    for (uint64_t height = 17; height <= 20; height++) {
        struct apply_ctx at = {.params = fixture_regtest(), .height = height};
        ck_assert_int_eq(prologue_run(&v, &at), TXERR_OK);
    }
    ck_assert(kv_present(&v, "keep"));

    tx_clear(&tx);
    state_view_clear(&v);
    pluginhost_clear(&h);
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {clashes_are_refused, install_and_uninstall,
                            testkv_rules_and_deadlines, NULL};
    return fixture_suite("pluginhost", NULL, tests);
}
