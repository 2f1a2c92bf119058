/* walletchat: the wallet's side of chat — envelopes built and signed by
 * its keys, and the messages to and from its keys kept in its file
 * (walletdb_chat.h) after the envelopes that carried them expire.
 *
 * Sending: wallet_chat_create seals a plaintext from one of the wallet's
 * keys to another key and signs the envelope's domain-separated sighash
 * (consensus/envelope.h); it never signs a hash given to it. The stamp is
 * the caller's (the chat plugin grinds it). Receiving: the wallet manager
 * hears every envelope the node keeps (node/chatbus.h) and hands those
 * between one of a wallet's keys and anyone to wallet_chat_take, which
 * opens and records them; a locked wallet records the ciphertext and opens
 * it at the next unlock. A message sent by the wallet comes back the same
 * way once the node keeps it, so both sides of a conversation are kept.
 *
 * Thread-safe like wallet.h: each call takes the wallet's lock. */
#ifndef SOUK_WALLET_WALLETCHAT_H
#define SOUK_WALLET_WALLETCHAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/envelope.h"
#include "wallet/wallet.h"
#include "wallet/walletdb_chat.h"

/* ---- sending ---- */

struct wallet_chat_draft {
    const uint8_t *from;       /* the wallet's key that sends; NULL: the one it used last
                                * with `to` (about order_id, else at all), else its first
                                * address */
    uint8_t to[32];
    const uint8_t *order_id;   /* NULL: about no order */
    uint64_t ttl;              /* 1 to ENVELOPE_TTL_MAX seconds */
    int64_t timestamp;
    const uint8_t *plaintext;  /* a canonical plaintext (envelope_plaintext_encode) */
    size_t plaintext_len;
};
/* Builds the envelope (pow_nonce 0) into out (initialized by the caller)
 * and signs it; from_out gets the sending key. WALLET_ERR_BAD_PARAMETER
 * with err saying why for a plaintext that does not decode, one too big
 * for an envelope, a ttl out of range or a wallet without an address;
 * WALLET_ERR_INVALID_ADDRESS for a `to` that is not a key; NOT_MINE for a
 * `from` the wallet does not hold; LOCKED. */
enum wallet_err wallet_chat_create(struct wallet *w, const struct wallet_chat_draft *d,
                                   struct envelope *out, uint8_t from_out[32], char *err,
                                   size_t errlen);

/* ---- receiving (the wallet manager's listener) ---- */

/* Whether sender or recipient is one of the wallet's keys. */
bool wallet_chat_wants(struct wallet *w, const uint8_t sender[32], const uint8_t recipient[32]);
/* Records a checked envelope the wallet wants, opened if it can be; a
 * message that does not open to a plaintext is dropped (and logged).
 * True when it is new and was sent to the wallet by another key. */
bool wallet_chat_take(struct wallet *w, const uint8_t id[32], const struct envelope *e);
/* Opens the messages kept sealed while the wallet was locked (wallet_unlock
 * calls it). Caller holds w->mu. */
void wallet_chat_open_sealed_locked(struct wallet *w);
/* Offers the wallet every unexpired envelope the node's store holds for
 * its keys (on load, creation and key import). */
enum wallet_err wallet_chat_catch_up(struct wallet *w);

/* ---- reading ---- */

/* Messages newest first, as walletdb_chat_for_each. */
enum wallet_err wallet_chat_list(struct wallet *w, const struct walletdb_chat_filter *f,
                                 size_t count, size_t skip, bool want_body, walletdb_chat_fn fn,
                                 void *ctx);
enum wallet_err wallet_chat_threads(struct wallet *w, walletdb_chat_thread_fn fn, void *ctx);
/* One message (out initialized by the caller); WALLET_ERR_NOT_FOUND for an
 * id the wallet does not have. */
enum wallet_err wallet_chat_get(struct wallet *w, const uint8_t id[32], bool want_body,
                                struct walletdb_chat *out);
/* Marks messages read, all or none: WALLET_ERR_NOT_FOUND (nothing
 * changed, *missing the index of the first unknown id) when one is not the
 * wallet's. *marked counts those that were unread. */
enum wallet_err wallet_chat_mark_read(struct wallet *w, const uint8_t (*ids)[32], size_t n,
                                      size_t *marked, size_t *missing);

#endif
