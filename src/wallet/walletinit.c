#include "wallet/walletinit.h"

#include <stdio.h>

#include "util/log.h"
#include "wallet/wallet.h"

const struct args_option walletinit_options[] = {
    {"wallet", "<name>", NULL,
     "Load the wallet wallets/<name>/wallet.sqlite of the network data directory at "
     "start-up, creating it when it does not exist (repeat for several wallets).",
     ARGS_MULTI, "Wallet options"},
    {"disablewallet", NULL, "0", "Run without wallets: no wallet is loaded and the wallet "
     "methods answer that wallets are disabled.", 0, NULL},
    {"walletnotify", "<cmd>", NULL,
     "Run this command through /bin/sh when a transaction enters a loaded wallet and again "
     "when it is confirmed in a block (%s = txid, %w = wallet name, %b = block hash or "
     "'unconfirmed', %h = height or -1).", 0, NULL},
};
const size_t walletinit_options_count =
    sizeof walletinit_options / sizeof walletinit_options[0];

bool walletinit_start(struct node_ctx *ctx, char *err, size_t errlen)
{
    bool disabled;
    if (args_get_bool(ctx->args, "disablewallet", false, &disabled, err, errlen) != ARGS_OK)
        return false;
    ctx->wallet = NULL;
    if (disabled) {
        LOG_INFO(LOG_CAT_WALLET, "wallets disabled (-disablewallet)");
        return true;
    }
    struct walletman *wm;
    if (walletman_new(ctx, &wm, err, errlen) != WALLET_OK)
        return false;
    const char *const *names;
    size_t n = args_get_list(ctx->args, "wallet", &names);
    char werr[512];
    for (size_t i = 0; i < n; i++) {
        werr[0] = '\0';
        enum wallet_err r = walletman_load(wm, names[i], NULL, werr, sizeof werr);
        if (r == WALLET_ERR_NOT_FOUND) {
            werr[0] = '\0';
            r = walletman_create(wm, names[i], NULL, NULL, NULL, werr, sizeof werr);
        }
        if (r == WALLET_ERR_EXISTS) {
            struct wallet *loaded = walletman_get(wm, names[i]);
            walletman_put(wm, loaded);
            if (loaded != NULL)
                continue; /* named twice */
        }
        if (r != WALLET_OK) {
            snprintf(err, errlen, "-wallet=%s: %s", names[i],
                     werr[0] != '\0' ? werr : wallet_strerror(r));
            walletman_free(wm);
            return false;
        }
    }
    ctx->wallet = wm;
    return true;
}

void walletinit_stop(struct node_ctx *ctx)
{
    walletman_free(ctx->wallet);
    ctx->wallet = NULL;
}
