/* The market's payloads: any bytes as the payload of any market type (the
 * first byte picks one), through the type's field table and its stateless
 * check, as a node reads them from a tx. An accepted payload meets its
 * bounds and re-encodes to exactly the input; a refused one names a
 * registered rule and leaves nothing allocated; the stateless check of an
 * accepted one answers with a registered rule or OK. */
#include "fuzz.h"

#include <stdbool.h>
#include <string.h>

#include "consensus/txerr.h"
#include "consensus/txfield.h"
#include "consensus/txtype.h"
#include "node/plugin.h"
#include "node/pluginhost.h"
#include "plugins/market/market.h"

/* The market's rules and types, installed once as the node's host does, so
 * its refusals have their registered reasons. */
static void install_market(void)
{
    static bool done;
    static struct pluginhost host;
    if (done)
        return;
    char err[256];
    pluginhost_init(&host);
    FUZZ_ASSERT(pluginhost_add(&host, &market_plugin, err, sizeof err));
    FUZZ_ASSERT(pluginhost_install(&host, err, sizeof err));
    done = true;
}

void fuzz_one(const uint8_t *data, size_t size)
{
    install_market();
    if (size < 1 + 32)
        return;
    const struct txtype_def *def = market_plugin.types[data[0] % market_plugin.n_types];
    FUZZ_ASSERT(txfield_table_valid(def->fields, def->n_fields, NULL, 0));
    /* The next 32 bytes are the sender, which some checks compare with a
     * payload field (the arbiter is not the buyer). */
    struct tx tx;
    tx_init(&tx);
    tx.type = def->id;
    memcpy(tx.sender, data + 1, 32);
    const uint8_t *bytes = data + 33;
    size_t len = size - 33;
    struct txpayload p;
    txpayload_init(&p);
    enum ser_err detail = SER_OK;
    int field = -2;
    enum txerr err = txpayload_decode(def->fields, def->n_fields, bytes, len, &p, &detail, &field);
    if (err == TXERR_OK) {
        FUZZ_ASSERT(p.n == def->n_fields);
        FUZZ_ASSERT(txpayload_check_values(def->fields, def->n_fields, p.v, NULL, NULL) ==
                    TXERR_OK);
        struct buf out;
        buf_init(&out);
        FUZZ_ASSERT(txpayload_encode(def->fields, def->n_fields, p.v, &out));
        FUZZ_ASSERT(out.len == len && memcmp(out.data, bytes, len) == 0);
        buf_clear(&out);
        if (def->check != NULL) {
            enum txerr c = def->check(&tx, &p);
            FUZZ_ASSERT(c == TXERR_OK || strcmp(txerr_reason(c), "unknown-error") != 0);
        }
    } else {
        FUZZ_ASSERT(strcmp(txerr_reason(err), "unknown-error") != 0);
        FUZZ_ASSERT(field >= -1 && field < (int)def->n_fields);
        FUZZ_ASSERT(detail != SER_OK);
        FUZZ_ASSERT(p.n == 0);
    }
    txpayload_clear(&p);
    tx_clear(&tx);
}
