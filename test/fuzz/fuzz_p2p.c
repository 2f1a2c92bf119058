/* The P2P decoders: a frame parsed from any bytes, its body parsed as a
 * message and the payload decoded as every command; and, from the same
 * bytes, a peers.dat image. None may crash; a frame's body lies inside the
 * input. */
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

void fuzz_one(const uint8_t *data, size_t size)
{
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
