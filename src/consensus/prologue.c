#include "consensus/prologue.h"

#include <stdio.h>
#include <string.h>

#include "consensus/deadline.h"

static struct {
    const char *name;
    prologue_fn fn;
} prologue_hooks[PROLOGUE_MAX_HOOKS];
static size_t prologue_n_hooks;

bool prologue_register(const char *name, prologue_fn fn, char *err, size_t errlen)
{
    if (fn == NULL || name == NULL || prologue_n_hooks == PROLOGUE_MAX_HOOKS) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "%s: %s", name != NULL ? name : "(unnamed)",
                     fn == NULL ? "a block hook needs a function" : "too many block hooks");
        return false;
    }
    prologue_hooks[prologue_n_hooks].name = name;
    prologue_hooks[prologue_n_hooks].fn = fn;
    prologue_n_hooks++;
    return true;
}

void prologue_reset(void)
{
    memset(prologue_hooks, 0, sizeof prologue_hooks);
    prologue_n_hooks = 0;
}

enum txerr prologue_run(struct state_view *v, const struct apply_ctx *ctx)
{
    struct apply_ctx c = *ctx;
    c.txid = NULL;
    c.payload = NULL;
    enum txerr err = deadline_run(v, &c);
    for (size_t i = 0; err == TXERR_OK && i < prologue_n_hooks; i++)
        err = prologue_hooks[i].fn(v, &c);
    if (err == TXERR_OK && state_view_failed(v))
        err = TXERR_STORAGE;
    return err;
}
