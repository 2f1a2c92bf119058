/* walletdb_chat: the wallet file's chat table — every message sent or
 * received by one of the wallet's keys, kept for as long as the wallet is
 * (the envelope a node relays expires; the wallet's copy does not).
 *
 * A row is one message: its id (the envelope's message id), the wallet's
 * key in the conversation ("own") and the other side's, the order it is
 * about (if any), its direction, the envelope's timestamp and expiry, when
 * the wallet took it, and its content: a text, or an attachment (mime,
 * name, bytes). A message that reached a locked wallet cannot be opened
 * yet: it is kept sealed (the envelope's ciphertext) and opened when the
 * wallet is next unlocked. Received messages start unread; sent ones are
 * read. The plaintext is stored as it is, like the history of txs: the
 * wallet's passphrase protects its secrets, not its records.
 *
 * Same rules as walletdb.h: not thread-safe (the wallet's lock is held
 * around every call), changes grouped by the caller's walletdb_begin and
 * walletdb_commit where several belong together. */
#ifndef SOUK_WALLET_WALLETDB_CHAT_H
#define SOUK_WALLET_WALLETDB_CHAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/envelope.h"
#include "util/buf.h"
#include "wallet/walletdb.h"

#define WALLETDB_CHAT_N_SCHEMA 3
/* The statements that make the table (a new file, or the upgrade from
 * schema version 1). */
extern const char *const walletdb_chat_schema[WALLETDB_CHAT_N_SCHEMA];

/* A message's content kind: the plaintext kinds of the envelope, or still
 * sealed. */
#define WALLETDB_CHAT_SEALED (-1)

struct walletdb_chat {
    uint8_t id[32];
    int64_t seq;              /* order in which the wallet took messages (set by put) */
    uint8_t own[32];          /* the wallet's key */
    uint8_t counterparty[32];
    bool has_order;
    uint8_t order_id[32];
    bool outgoing;            /* sent by own */
    int64_t timestamp;        /* the envelope's */
    int64_t expires;          /* timestamp + ttl */
    int64_t received;         /* when the wallet took it */
    int kind;                 /* ENVELOPE_KIND_TEXT, _ATTACHMENT, or WALLETDB_CHAT_SEALED */
    /* The text, the attachment's bytes, or while sealed the ciphertext.
     * Reads fill it only when asked for (want_body); size is its length
     * either way. */
    struct buf body;
    size_t size;
    char mime[ENVELOPE_MIME_MAX + 1];
    /* Names are UTF-8 from the sender: name_len counts the bytes, which
     * may hold a NUL. */
    char name[ENVELOPE_NAME_MAX + 1];
    size_t name_len;
    bool read;
};

void walletdb_chat_init(struct walletdb_chat *m);
void walletdb_chat_clear(struct walletdb_chat *m);

/* Adds a message (m->seq is ignored); *added false when its id is there
 * already (the row then stays as it was). */
enum wallet_err walletdb_chat_put(struct walletdb *db, const struct walletdb_chat *m,
                                  bool *added);
enum wallet_err walletdb_chat_have(struct walletdb *db, const uint8_t id[32], bool *found);
/* Reads a message; the body only with want_body. */
enum wallet_err walletdb_chat_get(struct walletdb *db, const uint8_t id[32], bool want_body,
                                  struct walletdb_chat *out, bool *found);
/* Replaces a sealed message's content by what it opened to. */
enum wallet_err walletdb_chat_set_open(struct walletdb *db, const uint8_t id[32], int kind,
                                       const void *body, size_t len, const char *mime,
                                       const char *name, size_t name_len);
enum wallet_err walletdb_chat_delete(struct walletdb *db, const uint8_t id[32]);
/* Marks a message read; *found false for an unknown id. */
enum wallet_err walletdb_chat_mark_read(struct walletdb *db, const uint8_t id[32], bool *found);

/* Which messages a walk visits. */
struct walletdb_chat_filter {
    const uint8_t *counterparty;  /* NULL: any */
    const uint8_t *order_id;      /* NULL: any */
    bool no_order;                /* only those about no order */
    bool unread_only;
    bool sealed_only;
};
/* Newest first (by timestamp, then by when taken), skipping `skip`, at
 * most `count`; with want_body the texts' bodies (never an attachment's or
 * a sealed message's: a listing does not carry them). fn returning false
 * stops the walk. The struct passed to fn is cleared afterwards. */
typedef bool (*walletdb_chat_fn)(void *ctx, const struct walletdb_chat *m);
enum wallet_err walletdb_chat_for_each(struct walletdb *db, const struct walletdb_chat_filter *f,
                                       size_t count, size_t skip, bool want_body,
                                       walletdb_chat_fn fn, void *ctx);

/* One conversation: a pair of keys and an order (or none). */
struct walletdb_chat_thread {
    uint8_t own[32];
    uint8_t counterparty[32];
    bool has_order;
    uint8_t order_id[32];
    uint64_t messages;
    uint64_t unread;
    uint8_t last_id[32];      /* its newest message */
};
/* Every thread, the one with the newest message first. */
typedef bool (*walletdb_chat_thread_fn)(void *ctx, const struct walletdb_chat_thread *t);
enum wallet_err walletdb_chat_threads(struct walletdb *db, walletdb_chat_thread_fn fn, void *ctx);

/* The wallet's key in its newest message with counterparty (about
 * order_id when not NULL, and failing that about anything); *found false
 * when they never talked. */
enum wallet_err walletdb_chat_last_own(struct walletdb *db, const uint8_t counterparty[32],
                                       const uint8_t *order_id, uint8_t own[32], bool *found);

#endif
