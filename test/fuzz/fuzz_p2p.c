/* The P2P decoders: a frame parsed from any bytes, its body parsed as a
 * message and the payload decoded as every command; the same bytes as a
 * stream through a frame reader, in pieces; and a peers.dat image. None may
 * crash; a frame's body lies inside the input; the stream reader hands out
 * exactly the body p2p_frame_parse finds, whatever the pieces. */
#include <string.h>

#include "fuzz.h"

#include "p2p/addrman.h"
#include "p2p/protocol.h"

static const uint8_t magic[4] = {0x72, 0x73, 0x6f, 0x6b};

static void fuzz_message(const uint8_t *body, size_t len)
{
    struct p2p_msg m;
    p2p_msg_init(&m);
    enum ser_err detail;
    if (p2p_msg_parse(&m, body, len, &detail) == P2P_OK) {
        for (int cmd = 0; cmd < P2P_CMD_COUNT_; cmd++) {
            struct p2p_payload p;
            p2p_payload_init(&p);
            (void)p2p_payload_decode(&m, (enum p2p_cmd)cmd, &p, &detail);
            p2p_payload_clear(&p);
        }
    }
    p2p_msg_clear(&m);
}

/* Drops commands of odd length, so both ways of reading a body are run. */
static bool wants_even(void *ctx, const char *command)
{
    (void)ctx;
    return strlen(command) % 2 == 0;
}

/* The input's size picks the size of the pieces (the bytes themselves stay
 * a stream that starts like a frame). */
static void fuzz_reader(const uint8_t *data, size_t size)
{
    size_t step = size % 61 + 1, off = 0;
    struct p2p_reader r;
    p2p_reader_init(&r);
    bool first = true;
    while (off < size) {
        size_t n = size - off < step ? size - off : step, used = 0;
        enum p2p_err e = p2p_reader_feed(&r, magic, data + off, n, &used, wants_even, NULL);
        FUZZ_ASSERT(used <= n);
        off += used;
        if (e == P2P_NEED_MORE) {
            FUZZ_ASSERT(used == n);
            continue;
        }
        if (e == P2P_OK && first) {
            const uint8_t *body;
            size_t body_len, frame_len;
            FUZZ_ASSERT(p2p_frame_parse(magic, data, size, &body, &body_len, &frame_len) ==
                        P2P_OK);
            FUZZ_ASSERT(frame_len == off && body_len == r.body.len);
            FUZZ_ASSERT(body_len == 0 || memcmp(body, r.body.data, body_len) == 0);
        }
        first = false;
        if (e == P2P_OK)
            p2p_reader_next(&r, 1024);
        else if (e != P2P_ERR_UNKNOWN_COMMAND)
            break;
    }
    p2p_reader_clear(&r);
}

void fuzz_one(const uint8_t *data, size_t size)
{
    fuzz_reader(data, size);

    const uint8_t *body;
    size_t body_len, frame_len;
    if (p2p_frame_parse(magic, data, size, &body, &body_len, &frame_len) == P2P_OK) {
        FUZZ_ASSERT(frame_len <= size);
        FUZZ_ASSERT(body >= data && body + body_len <= data + frame_len);
        fuzz_message(body, body_len);
    }
    /* The bytes as a bare message body too, so the payload decoders are
     * reached without having to guess a checksum. */
    fuzz_message(data, size);

    struct addrman_config cfg = {.allow_local = true, .key = NULL};
    struct addrman *am = addrman_new(&cfg);
    if (am != NULL) {
        (void)addrman_decode(am, data, size);
        addrman_free(am);
    }
}
