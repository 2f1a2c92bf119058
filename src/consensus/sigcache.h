/* sigcache: transaction signatures already verified, so a block whose
 * transactions were seen in the mempool connects without verifying them
 * again (as Bitcoin Core's signature cache).
 *
 * An entry is SHA-256(salt || sighash || public key || signature) with a
 * random per-process salt, so nobody outside can aim entries at chosen
 * slots. Only signatures that verified are added; a hit means exactly
 * that sighash, key and signature verified before, which is all a verify
 * would say. The table is 4-way set-associative and bounded
 * (-maxsigcachesize): a new entry takes a free slot of its set or replaces
 * one of the set's entries. Process-wide and thread-safe
 * (block checks run on several threads).
 *
 * Besides signatures it holds whole transactions that passed
 * txcheck_stateless, keyed by network (genesis hash) and txid, as Bitcoin
 * Core's script execution cache sits beside its signature cache: the txid
 * covers every byte of the tx, signature included, and the stateless check
 * depends on nothing else, so a hit stands for the whole check (payload,
 * keys, sighash and signature) and a block's mempool-seen txs cost one
 * lookup each. The two kinds of entry share the table and its bound. */
#ifndef SOUK_CONSENSUS_SIGCACHE_H
#define SOUK_CONSENSUS_SIGCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIGCACHE_DEFAULT_MB 32
#define SIGCACHE_MAX_MB 16384

/* Sizes the cache (0 turns it off); what it held is forgotten. Without a
 * call the cache has SIGCACHE_DEFAULT_MB. False when memory runs out (the
 * cache is then off). */
bool sigcache_set_size(size_t max_bytes);

/* Whether (sighash, pubkey, sig) verified before. */
bool sigcache_has(const uint8_t sighash[32], const uint8_t pubkey[32], const uint8_t sig[64]);
/* Remembers a verified (sighash, pubkey, sig). */
void sigcache_add(const uint8_t sighash[32], const uint8_t pubkey[32], const uint8_t sig[64]);

/* Size of the key of a tx's entry. */
#define SIGCACHE_KEY_LEN 32
/* Whether the tx with this txid passed txcheck_stateless for the network
 * of genesis_hash under the registered types of `rules`
 * (txtype_generation: a plugin registered later may change a verdict).
 * key receives the entry's key, for sigcache_add_tx once the check passes:
 * the salted hash is taken once per check, not once per lookup and again
 * per add. */
bool sigcache_has_tx(const uint8_t genesis_hash[32], const uint8_t txid[32], uint64_t rules,
                     uint8_t key[SIGCACHE_KEY_LEN]);
/* Remembers the tx whose key sigcache_has_tx gave. */
void sigcache_add_tx(const uint8_t key[SIGCACHE_KEY_LEN]);

/* Lookups that hit, since the process started (for tests and operators). */
uint64_t sigcache_hits(void);

#endif
