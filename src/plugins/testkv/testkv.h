/* testkv: a plugin that exists only to test the plugin host.
 *
 * It is small but uses every part of struct plugin, so the host's tests
 * drive each through connect, disconnect, reorgs, -reindex, kill -9 and
 * restarts:
 *   - consensus: kv_put (type 250) claims a key for its sender, stores a
 *     value and, with a ttl, schedules the key's removal on the deadline
 *     index; kv_del (251) removes a key early. State under prefix 'k':
 *       'k' || key -> [owner: bin(32), value: bin, height]
 *     Rules: kv-reserved-key (invalid: keys starting with '_'),
 *     kv-not-owner and kv-unknown-key (state: a race between senders);
 *   - a per-block hook counting blocks under 'k' || 0x00 (so the prologue
 *     is exercised on every block);
 *   - an index in testkv.sqlite: every kv operation of the active chain;
 *   - an inventory type (200, command "kvnote"): notes gossiped by id;
 *   - RPC: testkv_get, testkv_history, testkv_addnote, testkv_getnote.
 * soukd hosts it only on regtest with -testplugin. */
#ifndef SOUK_PLUGINS_TESTKV_H
#define SOUK_PLUGINS_TESTKV_H

#include "node/plugin.h"

#define TESTKV_TYPE_PUT 250
#define TESTKV_TYPE_DEL 251
#define TESTKV_PREFIX 'k'
#define TESTKV_INV_NOTE 200
#define TESTKV_NOTE_MAX 256
#define TESTKV_KEY_MAX 32

extern const struct plugin testkv_plugin;

#endif
