/* The P2P decoders: a frame parsed from any bytes, its body parsed as a
 * message and the payload decoded as every command; the same bytes as a
 * stream through a frame reader, in pieces; and a peers.dat image.
 *
 * None may crash; a frame's body lies inside the input; the stream reader
 * hands out exactly the body p2p_frame_parse finds, whatever the pieces; a
 * decoded payload written back with its command's writer gives the payload
 * bytes again; addresses from an addr message go into the address manager
 * as the node adds them.
 *
 * peers.dat: the input is taken as the body and the target appends its
 * SHA-256 itself, so mutations reach the body decoder instead of dying at
 * the checksum (the input as a whole file is tried too). An accepted image
 * re-encodes to a file that decodes and re-encodes to the same bytes (the
 * first encoding may differ from the input: entries without a free slot are
 * dropped, unroutable ones skipped), and the manager it fills answers
 * select, get_addr, lookup and good consistently. One address manager
 * serves every input: decoded into (in the tables of the image before),
 * used and emptied with addrman_clear, never rebuilt. */
#include <string.h>

#include "fuzz.h"

#include "crypto/sha256.h"
#include "p2p/addrman.h"
#include "p2p/protocol.h"
#include "util/time.h"

static const uint8_t magic[4] = {0x72, 0x73, 0x6f, 0x6b};
/* The seeds' addresses were last seen shortly before this. */
#define FUZZ_NOW 1795564800

static struct addrman *am;
/* Scratch buffers kept across inputs (reset, not freed). */
static struct buf want_buf, got_buf, file_buf, enc1, enc2;

static void setup(void)
{
    if (am != NULL)
        return;
    /* Terrible-entry rules and time clamps depend on the clock: fixed, so
     * an input always takes the same path. */
    FUZZ_ASSERT(time_set_mock(FUZZ_NOW));
    static const uint8_t key[ADDRMAN_KEY_LEN] = {7};
    struct addrman_config cfg = {.allow_local = true, .key = key};
    am = addrman_new(&cfg);
    FUZZ_ASSERT(am != NULL);
    buf_init(&want_buf);
    buf_init(&got_buf);
    buf_init(&file_buf);
    buf_init(&enc1);
    buf_init(&enc2);
}

/* Writes p (decoded as cmd) back with the command's writer. */
static void write_payload(struct ser_writer *w, enum p2p_cmd cmd, const struct p2p_payload *p)
{
    switch (cmd) {
    case P2P_CMD_VERSION:
        p2p_write_version(w, &p->version);
        break;
    case P2P_CMD_VERACK:
    case P2P_CMD_GETADDR:
    case P2P_CMD_SENDHEADERS:
        p2p_write_empty(w);
        break;
    case P2P_CMD_PING:
    case P2P_CMD_PONG:
        p2p_write_nonce(w, p->nonce);
        break;
    case P2P_CMD_ADDR:
        p2p_write_addrs(w, p->addrs, p->n_addrs);
        break;
    case P2P_CMD_INV:
    case P2P_CMD_GETDATA:
    case P2P_CMD_NOTFOUND:
        p2p_write_invs(w, p->invs, p->n_invs);
        break;
    case P2P_CMD_TX:
        tx_write(w, &p->tx);
        break;
    case P2P_CMD_BLOCK:
        block_write(w, &p->block);
        break;
    case P2P_CMD_GETHEADERS:
        p2p_write_getheaders(w, (const uint8_t(*)[32])p->locator, p->n_locator,
                             p->has_stop ? p->stop_hash : NULL);
        break;
    case P2P_CMD_HEADERS:
        p2p_write_headers(w, p->headers, p->n_headers);
        break;
    case P2P_CMD_COUNT_:
        FUZZ_ASSERT(false);
    }
}

static void check_round_trip(const struct p2p_msg *m, enum p2p_cmd cmd,
                             const struct p2p_payload *p)
{
    buf_reset(&want_buf);
    buf_reset(&got_buf);
    struct ser_writer w;
    ser_writer_init(&w, &want_buf);
    ser_write_object(&w, m->payload);
    FUZZ_ASSERT(ser_writer_ok(&w));
    ser_writer_init(&w, &got_buf);
    write_payload(&w, cmd, p);
    FUZZ_ASSERT(ser_writer_ok(&w));
    FUZZ_ASSERT(got_buf.len == want_buf.len &&
                memcmp(got_buf.data, want_buf.data, got_buf.len) == 0);
}

/* What the node does with an addr message (netproc's on_addr), then a
 * selection from what it learnt. */
static void learn_addrs(const struct p2p_payload *p)
{
    if (p->n_addrs == 0)
        return;
    struct addrman_addr a[P2P_MAX_ADDR];
    for (size_t i = 0; i < p->n_addrs; i++) {
        memcpy(a[i].ip.ip, p->addrs[i].ip, NETADDR_LEN);
        a[i].port = p->addrs[i].port;
        a[i].services = p->addrs[i].services;
        a[i].time = p->addrs[i].time > INT64_MAX ? 0 : (int64_t)p->addrs[i].time;
    }
    struct netaddr source;
    memcpy(source.ip, p->addrs[0].ip, NETADDR_LEN);
    size_t added = addrman_add(am, a, p->n_addrs, &source, ADDRMAN_RELAY_PENALTY_SECS);
    FUZZ_ASSERT(added <= p->n_addrs && addrman_size(am) <= added);
    struct addrman_addr pick;
    if (addrman_select(am, false, &pick)) {
        struct addrman_info info;
        FUZZ_ASSERT(addrman_lookup(am, &pick.ip, pick.port, &info));
    }
    addrman_clear(am);
}

static void fuzz_message(const uint8_t *body, size_t len)
{
    struct p2p_msg m;
    p2p_msg_init(&m);
    enum ser_err detail;
    if (p2p_msg_parse(&m, body, len, &detail) == P2P_OK) {
        for (int cmd = 0; cmd < P2P_CMD_COUNT_; cmd++) {
            struct p2p_payload p;
            p2p_payload_init(&p);
            if (p2p_payload_decode(&m, (enum p2p_cmd)cmd, &p, &detail) == P2P_OK) {
                check_round_trip(&m, (enum p2p_cmd)cmd, &p);
                if (cmd == P2P_CMD_ADDR)
                    learn_addrs(&p);
            }
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

/* The input's size picks the size of the first piece (the bytes themselves
 * stay a stream that starts like a frame); each piece after it is twice as
 * long as the one before, so the header and the body's prefix, where the
 * reader's states change, are cut at every point while a long body costs
 * few calls. */
static void fuzz_reader(const uint8_t *data, size_t size)
{
    size_t step = size % 13 + 1, off = 0;
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
            step *= 2;
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

/* A decoded manager: its counts agree, every address it hands out is one
 * it knows, and a handshake with one of them is recorded. */
static void use_decoded(void)
{
    size_t n_new, n_tried, total = addrman_size(am);
    addrman_counts(am, &n_new, &n_tried);
    FUZZ_ASSERT(n_new + n_tried == total);
    struct addrman_addr all[64];
    size_t got = addrman_get_addr(am, all, sizeof all / sizeof all[0], 0);
    FUZZ_ASSERT(got <= total);
    for (size_t i = 0; i < got; i++) {
        struct addrman_info info;
        FUZZ_ASSERT(addrman_lookup(am, &all[i].ip, all[i].port, &info));
        FUZZ_ASSERT(info.in_tried == (info.n_new == 0));
    }
    /* One selection (either table; with everything terrible it takes its
     * 500 tries, the dearest call here). */
    struct addrman_addr pick;
    if (addrman_select(am, false, &pick)) {
        struct addrman_info info;
        FUZZ_ASSERT(addrman_lookup(am, &pick.ip, pick.port, &info) && !info.terrible);
    }
    if (got > 0) {
        addrman_attempt(am, &all[0].ip, all[0].port, true);
        if (addrman_good(am, &all[0].ip, all[0].port)) {
            struct addrman_info info;
            FUZZ_ASSERT(addrman_lookup(am, &all[0].ip, all[0].port, &info) && info.in_tried);
        }
        FUZZ_ASSERT(addrman_size(am) == total);
    }
}

static void fuzz_peers_dat(const uint8_t *data, size_t size)
{
    /* The input as a whole file: its last 32 bytes must be the checksum. */
    (void)addrman_decode(am, data, size);

    buf_reset(&file_buf);
    buf_reset(&enc1);
    buf_reset(&enc2);
    uint8_t sum[SHA256_LEN];
    sha256(data, size, sum);
    FUZZ_ASSERT(size == 0 || buf_append(&file_buf, data, size));
    FUZZ_ASSERT(buf_append(&file_buf, sum, sizeof sum));
    if (addrman_decode(am, file_buf.data, file_buf.len) == ADDRMAN_DECODE_OK) {
        FUZZ_ASSERT(addrman_encode(am, &enc1));
        FUZZ_ASSERT(addrman_decode(am, enc1.data, enc1.len) == ADDRMAN_DECODE_OK);
        FUZZ_ASSERT(addrman_encode(am, &enc2));
        FUZZ_ASSERT(enc1.len == enc2.len && memcmp(enc1.data, enc2.data, enc1.len) == 0);
        use_decoded();
    }
    addrman_clear(am);
    FUZZ_ASSERT(addrman_size(am) == 0);
}

void fuzz_one(const uint8_t *data, size_t size)
{
    setup();
    /* Each input goes where it could be valid: a peers.dat body is an array
     * of 7 (0x97 in canonical msgpack), which is neither a frame (it starts
     * with the magic) nor a message body (an array of 2). */
    if (size > 0 && data[0] == 0x97) {
        fuzz_peers_dat(data, size);
        return;
    }
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
}
