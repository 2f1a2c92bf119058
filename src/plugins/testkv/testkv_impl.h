/* testkv's parts shared between its consensus and its interface files. */
#ifndef SOUK_PLUGINS_TESTKV_IMPL_H
#define SOUK_PLUGINS_TESTKV_IMPL_H

#include "plugins/testkv/testkv.h"

#define TESTKV_VALUE_MAX 64

struct testkv_record {
    uint8_t owner[32];
    uint8_t value[TESTKV_VALUE_MAX];
    size_t value_len;
    uint64_t height;  /* of the last kv_put */
};

bool testkv_record_decode(const uint8_t *bytes, size_t len, struct testkv_record *out);
/* Reads key `name` (len bytes) from v. */
enum txerr testkv_read(struct state_view *v, const uint8_t *name, size_t len,
                       struct testkv_record *out, bool *found);

/* The parts plugin.c puts together. */
#define TESTKV_N_RULES 3
#define TESTKV_N_TYPES 2
#define TESTKV_N_SCHEMA 3
extern const struct txerr_def testkv_rules[TESTKV_N_RULES];
extern const struct txtype_def *const testkv_types[TESTKV_N_TYPES];
extern const struct deadline_handler testkv_deadlines[1];
extern const uint8_t testkv_prefixes[1];
extern const char *const testkv_schema[TESTKV_N_SCHEMA];
enum txerr testkv_prologue(struct state_view *v, const struct apply_ctx *ctx);
bool testkv_index_connect(struct plugin_ctx *pc, const struct plugin_block *b, char *err,
                          size_t errlen);
bool testkv_index_disconnect(struct plugin_ctx *pc, const struct plugin_block *b, char *err,
                             size_t errlen);
bool testkv_index_reset(struct plugin_ctx *pc, char *err, size_t errlen);
extern const struct plugin_inv testkv_invs[1];

/* What a running testkv keeps (pc->state). */
struct testkv_state {
    int64_t index_delay_ms;  /* -testkvindexdelay */
};

#endif
