/* bench_chat: bench_souk's chat case.
 *
 * "chat": what a message costs its sender and the nodes that carry it —
 * sealing (ECDH, HKDF, ChaCha20-Poly1305) and signing an envelope, the
 * proof-of-work stamp at regtest and at main difficulty on every core,
 * checking (work, signature) and opening one, and the store: envelopes
 * kept one SQLite transaction each (as they arrive) in a file opened as the
 * plugin host opens it, and the inventory of 100,000 unexpired envelopes
 * walked in the batches a new peer is offered. Every stamp, check and open
 * is verified. */
#ifndef SOUK_BENCH_BENCH_CHAT_H
#define SOUK_BENCH_BENCH_CHAT_H

#include <stddef.h>

struct bench_chat_result {
    size_t stamps;
    double stamp_main_median, stamp_main_max; /* seconds, 20 bits */
    unsigned threads;
    double open_verify;                       /* seconds per envelope */
    double insert;                            /* seconds per envelope kept */
    size_t inventory;                         /* envelopes walked */
    double inventory_total;                   /* seconds for all of them */
};

void bench_chat(size_t stamps, size_t inventory, struct bench_chat_result *out);

#endif
