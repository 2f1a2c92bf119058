#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/sha256.h"
#include "p2p/protocol.h"

static const uint8_t MAGIC[4] = {0x72, 0x73, 0x6f, 0x6b};

/* The doc/protocol.md example frame. */
START_TEST(verack_frame_matches_doc)
{
    struct buf b;
    buf_init(&b);
    ck_assert(p2p_build_empty(MAGIC, "verack", &b));
    uint8_t want[21];
    unit_hex("72736f6b09000000bf556b3692a676657261636b90", want, sizeof want);
    ck_assert_uint_eq(b.len, sizeof want);
    ck_assert_mem_eq(b.data, want, sizeof want);

    const uint8_t *body;
    size_t body_len, frame_len;
    ck_assert_int_eq(p2p_frame_parse(MAGIC, b.data, b.len, &body, &body_len, &frame_len), P2P_OK);
    ck_assert_uint_eq(frame_len, 21);
    ck_assert_uint_eq(body_len, 9);
    struct p2p_msg m;
    p2p_msg_init(&m);
    ck_assert_int_eq(p2p_msg_parse(&m, body, body_len, NULL), P2P_OK);
    ck_assert_str_eq(m.command, "verack");
    enum p2p_cmd cmd;
    ck_assert(p2p_cmd_lookup(m.command, &cmd));
    ck_assert_int_eq(cmd, P2P_CMD_VERACK);
    struct p2p_payload p;
    p2p_payload_init(&p);
    ck_assert_int_eq(p2p_payload_decode(&m, cmd, &p, NULL), P2P_OK);
    p2p_payload_clear(&p);
    p2p_msg_clear(&m);
    buf_clear(&b);
}
END_TEST

START_TEST(ping_frame_matches_doc)
{
    struct buf b;
    struct ser_writer w;
    size_t start;
    buf_init(&b);
    ck_assert(buf_append(&b, "x", 1)); /* frames append */
    p2p_msg_begin(&w, &b, "ping", &start);
    p2p_write_nonce(&w, 0x0102030405060708ull);
    ck_assert(p2p_msg_finish(&w, &b, start, MAGIC));
    uint8_t want[28];
    unit_hex("72736f6b1000000028ac447792a470696e6791cf0102030405060708", want, sizeof want);
    ck_assert_uint_eq(b.len, 1 + sizeof want);
    ck_assert_mem_eq(b.data + 1, want, sizeof want);
    buf_clear(&b);
}
END_TEST

START_TEST(frame_need_more_and_header_errors)
{
    struct buf b;
    buf_init(&b);
    ck_assert(p2p_build_empty(MAGIC, "getaddr", &b));
    const uint8_t *body = NULL;
    size_t bl = 0, fl = 0;
    for (size_t i = 0; i < b.len; i++)
        ck_assert_int_eq(p2p_frame_parse(MAGIC, b.data, i, &body, &bl, &fl), P2P_NEED_MORE);
    ck_assert_ptr_null(body);

    /* A wrong first byte is reported with a single byte received. */
    uint8_t bad = 0x00;
    ck_assert_int_eq(p2p_frame_parse(MAGIC, &bad, 1, &body, &bl, &fl), P2P_ERR_BAD_MAGIC);
    uint8_t other[12] = {0x53, 0x4f, 0x55, 0x4b};
    ck_assert_int_eq(p2p_frame_parse(MAGIC, other, 12, &body, &bl, &fl), P2P_ERR_BAD_MAGIC);

    /* Oversize is visible once the length field is complete. */
    uint8_t hdr[8];
    memcpy(hdr, MAGIC, 4);
    uint32_t n = P2P_MAX_BODY + 1;
    hdr[4] = (uint8_t)n, hdr[5] = (uint8_t)(n >> 8), hdr[6] = (uint8_t)(n >> 16);
    hdr[7] = (uint8_t)(n >> 24);
    ck_assert_int_eq(p2p_frame_parse(MAGIC, hdr, 7, &body, &bl, &fl), P2P_NEED_MORE);
    ck_assert_int_eq(p2p_frame_parse(MAGIC, hdr, 8, &body, &bl, &fl), P2P_ERR_OVERSIZE);
    hdr[4] = hdr[5] = hdr[6] = hdr[7] = 0xff;
    ck_assert_int_eq(p2p_frame_parse(MAGIC, hdr, 8, &body, &bl, &fl), P2P_ERR_OVERSIZE);
    /* Exactly the limit is allowed: it just needs more bytes. */
    n = P2P_MAX_BODY;
    hdr[4] = (uint8_t)n, hdr[5] = (uint8_t)(n >> 8), hdr[6] = (uint8_t)(n >> 16);
    hdr[7] = (uint8_t)(n >> 24);
    uint8_t full[12] = {0};
    memcpy(full, hdr, 8);
    ck_assert_int_eq(p2p_frame_parse(MAGIC, full, 12, &body, &bl, &fl), P2P_NEED_MORE);

    /* Checksum: flip one body byte. */
    b.data[b.len - 1] ^= 1;
    ck_assert_int_eq(p2p_frame_parse(MAGIC, b.data, b.len, &body, &bl, &fl),
                     P2P_ERR_BAD_CHECKSUM);
    ck_assert_uint_eq(fl, b.len);
    ck_assert_ptr_null(body);
    buf_clear(&b);
}
END_TEST

static bool wants_ping_only(void *ctx, const char *command)
{
    (void)ctx;
    return strcmp(command, "unknown") != 0;
}

/* Feeds all of data in pieces of `step`; returns the first result other
 * than P2P_NEED_MORE (or P2P_NEED_MORE) and how much it took. */
static enum p2p_err feed_steps(struct p2p_reader *r, const uint8_t *data, size_t len, size_t step,
                               size_t *taken)
{
    size_t off = 0;
    while (off < len) {
        size_t n = len - off < step ? len - off : step, used = 0;
        enum p2p_err e = p2p_reader_feed(r, MAGIC, data + off, n, &used, wants_ping_only, NULL);
        ck_assert_uint_le(used, n);
        off += used;
        if (e != P2P_NEED_MORE) {
            *taken = off;
            return e;
        }
        ck_assert_uint_eq(used, n);
    }
    *taken = off;
    return P2P_NEED_MORE;
}

START_TEST(reader_frames)
{
    struct buf f1, f2, stream;
    buf_init(&f1);
    buf_init(&f2);
    buf_init(&stream);
    ck_assert(p2p_build_empty(MAGIC, "verack", &f1));
    ck_assert(p2p_build_empty(MAGIC, "sendheaders", &f2));
    ck_assert(buf_append(&stream, f1.data, f1.len) && buf_append(&stream, f2.data, f2.len));
    for (size_t step = 1; step <= stream.len; step++) {
        struct p2p_reader r;
        p2p_reader_init(&r);
        size_t taken;
        /* Only complete frames come out, whatever the pieces. */
        ck_assert_int_eq(feed_steps(&r, stream.data, f1.len - 1, step, &taken), P2P_NEED_MORE);
        ck_assert_uint_ge(p2p_reader_held(&r), f1.len - 1);
        ck_assert_int_eq(feed_steps(&r, stream.data + f1.len - 1, 1, step, &taken), P2P_OK);
        ck_assert_str_eq(r.command, "verack");
        ck_assert_uint_eq(r.body.len, f1.len - 12);
        ck_assert_mem_eq(r.body.data, f1.data + 12, r.body.len);
        p2p_reader_next(&r, 0);
        ck_assert_uint_eq(p2p_reader_held(&r), 0);
        ck_assert_int_eq(feed_steps(&r, f2.data, f2.len, step, &taken), P2P_OK);
        ck_assert_uint_eq(taken, f2.len);
        ck_assert_str_eq(r.command, "sendheaders");
        ck_assert_mem_eq(r.body.data, f2.data + 12, f2.len - 12);
        p2p_reader_clear(&r);
    }
    buf_clear(&f1);
    buf_clear(&f2);
    buf_clear(&stream);
}
END_TEST

/* A frame of an unwanted command is hashed and dropped, never buffered:
 * 1 MiB of it leaves the reader holding only its header and prefix. */
START_TEST(reader_drops_unwanted)
{
    size_t n = 1u << 20;
    uint8_t *body = calloc(1, n);
    ck_assert_ptr_nonnull(body);
    body[0] = 0x92;
    body[1] = 0xa7;
    memcpy(body + 2, "unknown", 7);
    body[9] = 0xc6; /* a bin32 of the rest */
    uint32_t rest = (uint32_t)(n - 14);
    body[10] = (uint8_t)(rest >> 24);
    body[11] = (uint8_t)(rest >> 16);
    body[12] = (uint8_t)(rest >> 8);
    body[13] = (uint8_t)rest;
    uint8_t hdr[12], h[SHA256_LEN];
    memcpy(hdr, MAGIC, 4);
    hdr[4] = (uint8_t)n;
    hdr[5] = (uint8_t)(n >> 8);
    hdr[6] = (uint8_t)(n >> 16);
    hdr[7] = (uint8_t)(n >> 24);
    sha256(body, n, h);
    memcpy(hdr + 8, h, 4);

    struct p2p_reader r;
    p2p_reader_init(&r);
    size_t taken;
    ck_assert_int_eq(feed_steps(&r, hdr, 12, 12, &taken), P2P_NEED_MORE);
    ck_assert_int_eq(feed_steps(&r, body, n - 1, 4096, &taken), P2P_NEED_MORE);
    ck_assert_uint_le(p2p_reader_held(&r), 12 + 2 + P2P_COMMAND_MAX);
    ck_assert_uint_eq(r.body.cap, 0);
    ck_assert_int_eq(feed_steps(&r, body + n - 1, 1, 1, &taken), P2P_ERR_UNKNOWN_COMMAND);
    ck_assert_str_eq(r.command, "unknown");
    ck_assert_uint_eq(p2p_reader_held(&r), 0);
    /* The next frame reads normally. */
    struct buf f;
    buf_init(&f);
    ck_assert(p2p_build_empty(MAGIC, "verack", &f));
    ck_assert_int_eq(feed_steps(&r, f.data, f.len, f.len, &taken), P2P_OK);
    p2p_reader_clear(&r);

    /* A dropped frame's checksum is checked all the same. */
    hdr[8] ^= 1;
    p2p_reader_init(&r);
    ck_assert_int_eq(feed_steps(&r, hdr, 12, 12, &taken), P2P_NEED_MORE);
    ck_assert_int_eq(feed_steps(&r, body, n, 65536, &taken), P2P_ERR_BAD_CHECKSUM);
    p2p_reader_clear(&r);
    buf_clear(&f);
    free(body);
}
END_TEST

static enum p2p_err feed_hex(const char *hex)
{
    size_t n = strlen(hex) / 2;
    uint8_t *b = malloc(n ? n : 1);
    unit_hex(hex, b, n);
    struct p2p_reader r;
    p2p_reader_init(&r);
    size_t taken;
    enum p2p_err e = feed_steps(&r, b, n, 1, &taken);
    p2p_reader_clear(&r);
    free(b);
    return e;
}

/* A body that cannot start a valid message is refused from its first
 * bytes, long before its declared 8 MiB arrived. */
START_TEST(reader_refuses_bad_prefix)
{
    /* header: regtest magic, length 8 MiB, any checksum */
    const char *h = "72736f6b" "00008000" "00000000";
    char hex[128];
    snprintf(hex, sizeof hex, "%s%s", h, "93");  /* array of 3 */
    ck_assert_int_eq(feed_hex(hex), P2P_ERR_BAD_BODY);
    snprintf(hex, sizeof hex, "%s%s", h, "81");  /* a map */
    ck_assert_int_eq(feed_hex(hex), P2P_ERR_BAD_BODY);
    snprintf(hex, sizeof hex, "%s%s", h, "92c4");  /* command as bin */
    ck_assert_int_eq(feed_hex(hex), P2P_ERR_BAD_BODY);
    snprintf(hex, sizeof hex, "%s%s", h, "92d904");  /* str8: not canonical */
    ck_assert_int_eq(feed_hex(hex), P2P_ERR_BAD_COMMAND);
    snprintf(hex, sizeof hex, "%s%s", h, "92a0");  /* empty command */
    ck_assert_int_eq(feed_hex(hex), P2P_ERR_BAD_COMMAND);
    snprintf(hex, sizeof hex, "%s%s", h, "92ad");  /* 13 bytes */
    ck_assert_int_eq(feed_hex(hex), P2P_ERR_BAD_COMMAND);
    snprintf(hex, sizeof hex, "%s%s", h, "92a450494e47");  /* upper case */
    ck_assert_int_eq(feed_hex(hex), P2P_ERR_BAD_COMMAND);
    snprintf(hex, sizeof hex, "%s%s", h, "92a470696e67");  /* "ping": wait for the rest */
    ck_assert_int_eq(feed_hex(hex), P2P_NEED_MORE);
    /* The header's own errors, as p2p_frame_parse. */
    ck_assert_int_eq(feed_hex("72736f6c"), P2P_ERR_BAD_MAGIC);
    ck_assert_int_eq(feed_hex("72736f6b01008000"), P2P_ERR_OVERSIZE);
    /* A body too short to name a command is read whole and judged by the
     * parser (the caller's business): an empty body, one byte. */
    ck_assert_int_eq(feed_hex("72736f6b00000000e3b0c442"), P2P_OK);
    ck_assert_int_eq(feed_hex("72736f6b010000009560621392"), P2P_OK);
}
END_TEST

static enum p2p_err parse_hex(const char *hex, enum ser_err *detail)
{
    size_t n = strlen(hex) / 2;
    uint8_t *b = malloc(n ? n : 1);
    unit_hex(hex, b, n);
    struct p2p_msg m;
    p2p_msg_init(&m);
    enum p2p_err e = p2p_msg_parse(&m, b, n, detail);
    if (e != P2P_OK)
        ck_assert_ptr_null(m.payload);
    p2p_msg_clear(&m);
    free(b);
    return e;
}

START_TEST(body_errors)
{
    enum ser_err d = SER_OK;
    ck_assert_int_eq(parse_hex("92a470696e6791cf0102030405060708", NULL), P2P_OK);
    /* Not msgpack, truncated, trailing bytes, empty. */
    ck_assert_int_eq(parse_hex("c1", &d), P2P_ERR_UNDECODABLE);
    ck_assert_int_eq(d, SER_ERR_MALFORMED);
    ck_assert_int_eq(parse_hex("92a470696e6791cf01020304", &d), P2P_ERR_UNDECODABLE);
    ck_assert_int_eq(d, SER_ERR_TRUNCATED);
    ck_assert_int_eq(parse_hex("92a470696e679000", &d), P2P_ERR_UNDECODABLE);
    ck_assert_int_eq(d, SER_ERR_TRAILING);
    ck_assert_int_eq(parse_hex("", NULL), P2P_ERR_UNDECODABLE);
    /* Non-canonical: nonce 5 as uint16, command with a str8 prefix, a map. */
    ck_assert_int_eq(parse_hex("92a470696e6791cd0005", &d), P2P_ERR_NONCANONICAL);
    ck_assert_int_eq(d, SER_ERR_NONCANON_INT);
    ck_assert_int_eq(parse_hex("92d90470696e679105", &d), P2P_ERR_NONCANONICAL);
    ck_assert_int_eq(d, SER_ERR_NONCANON_LENGTH);
    ck_assert_int_eq(parse_hex("81a17801", &d), P2P_ERR_NONCANONICAL);
    ck_assert_int_eq(d, SER_ERR_MAP);
    /* Wrong body shape. */
    ck_assert_int_eq(parse_hex("a470696e67", NULL), P2P_ERR_BAD_BODY);
    ck_assert_int_eq(parse_hex("91a470696e67", NULL), P2P_ERR_BAD_BODY);
    ck_assert_int_eq(parse_hex("93a470696e679090", NULL), P2P_ERR_BAD_BODY);
    ck_assert_int_eq(parse_hex("92a470696e6705", NULL), P2P_ERR_BAD_BODY);
    ck_assert_int_eq(parse_hex("920190", NULL), P2P_ERR_BAD_BODY);
    ck_assert_int_eq(parse_hex("92c40470696e6790", NULL), P2P_ERR_BAD_BODY);
    /* Bad command strings: empty, upper case, 13 characters, a space. */
    ck_assert_int_eq(parse_hex("92a090", NULL), P2P_ERR_BAD_COMMAND);
    ck_assert_int_eq(parse_hex("92a450494e4790", NULL), P2P_ERR_BAD_COMMAND);
    ck_assert_int_eq(parse_hex("92ad61616161616161616161616161" "90", NULL),
                     P2P_ERR_BAD_COMMAND);
    ck_assert_int_eq(parse_hex("92a3612062" "90", NULL), P2P_ERR_BAD_COMMAND);
    /* 12 characters is fine, and an unknown command parses. */
    ck_assert_int_eq(parse_hex("92ac616161616161616161616161" "90", NULL), P2P_OK);
    enum p2p_cmd c;
    ck_assert(!p2p_cmd_lookup("aaaaaaaaaaaa", &c));
    ck_assert(!p2p_cmd_lookup("", &c));
    ck_assert(p2p_cmd_lookup("getheaders", &c));
    ck_assert_int_eq(c, P2P_CMD_GETHEADERS);
    ck_assert_str_eq(p2p_cmd_name(P2P_CMD_SENDHEADERS), "sendheaders");
    ck_assert_str_eq(p2p_err_reason(P2P_ERR_BAD_CHECKSUM), "bad-checksum");
    ck_assert_str_eq(p2p_err_reason(P2P_ERR_COUNT_), "unknown");
}
END_TEST

/* Frames a payload written by fn, parses it back and decodes it as cmd. */
typedef void (*write_fn)(struct ser_writer *w, const void *arg);

static enum p2p_err roundtrip(const char *command, write_fn fn, const void *arg,
                              struct p2p_payload *out, enum ser_err *detail)
{
    struct buf b;
    struct ser_writer w;
    size_t start;
    buf_init(&b);
    p2p_msg_begin(&w, &b, command, &start);
    fn(&w, arg);
    ck_assert(p2p_msg_finish(&w, &b, start, MAGIC));
    const uint8_t *body;
    size_t bl, fl;
    ck_assert_int_eq(p2p_frame_parse(MAGIC, b.data, b.len, &body, &bl, &fl), P2P_OK);
    struct p2p_msg m;
    p2p_msg_init(&m);
    ck_assert_int_eq(p2p_msg_parse(&m, body, bl, NULL), P2P_OK);
    enum p2p_cmd cmd;
    ck_assert(p2p_cmd_lookup(m.command, &cmd));
    enum p2p_err e = p2p_payload_decode(&m, cmd, out, detail);
    p2p_msg_clear(&m);
    buf_clear(&b);
    return e;
}

static void w_version(struct ser_writer *w, const void *arg) { p2p_write_version(w, arg); }

START_TEST(version_roundtrip_and_limits)
{
    struct p2p_version v;
    memset(&v, 0, sizeof v);
    v.version = 1;
    v.services = P2P_NODE_NETWORK;
    v.best_height = 1000;
    strcpy(v.user_agent, "/souk:0.1.0/");
    v.nonce = UINT64_MAX;
    v.timestamp = 1700000000;
    v.listen_port = 28733;
    struct p2p_payload p;
    p2p_payload_init(&p);
    ck_assert_int_eq(roundtrip("version", w_version, &v, &p, NULL), P2P_OK);
    ck_assert_int_eq(p.cmd, P2P_CMD_VERSION);
    ck_assert_mem_eq(&p.version, &v, sizeof v);
    /* 256 bytes of user agent pass. */
    memset(v.user_agent, 'u', P2P_USER_AGENT_MAX);
    v.user_agent[P2P_USER_AGENT_MAX] = '\0';
    ck_assert_int_eq(roundtrip("version", w_version, &v, &p, NULL), P2P_OK);
    ck_assert_uint_eq(strlen(p.version.user_agent), P2P_USER_AGENT_MAX);
    p2p_payload_clear(&p);
}
END_TEST

static enum p2p_err decode_hex(const char *hex, enum p2p_cmd want, enum ser_err *detail)
{
    size_t n = strlen(hex) / 2;
    uint8_t *b = malloc(n);
    unit_hex(hex, b, n);
    struct p2p_msg m;
    p2p_msg_init(&m);
    ck_assert_msg(p2p_msg_parse(&m, b, n, NULL) == P2P_OK, "body %s does not parse", hex);
    enum p2p_cmd cmd;
    ck_assert(p2p_cmd_lookup(m.command, &cmd));
    ck_assert_int_eq(cmd, want);
    struct p2p_payload p;
    p2p_payload_init(&p);
    enum p2p_err e = p2p_payload_decode(&m, cmd, &p, detail);
    if (e != P2P_OK) {
        ck_assert_ptr_null(p.addrs);
        ck_assert_ptr_null(p.invs);
        ck_assert_ptr_null(p.headers);
        ck_assert_ptr_null(p.locator);
    }
    p2p_payload_clear(&p);
    p2p_msg_clear(&m);
    free(b);
    return e;
}

/* Builds a body hex from a command and raw payload bytes via ser_writer. */
static char *body_hex(const char *command, write_fn fn, const void *arg)
{
    struct buf b;
    struct ser_writer w;
    buf_init(&b);
    ser_writer_init(&w, &b);
    ser_write_array(&w, 2);
    ser_write_str(&w, command, strlen(command));
    fn(&w, arg);
    ck_assert(w.ok);
    char *hex = malloc(b.len * 2 + 1);
    for (size_t i = 0; i < b.len; i++)
        sprintf(hex + 2 * i, "%02x", b.data[i]);
    hex[b.len * 2] = '\0';
    buf_clear(&b);
    return hex;
}

struct list_arg {
    size_t n;
    size_t elem_len; /* bin length of the hash/ip field */
};

static void w_invs(struct ser_writer *w, const void *arg)
{
    const struct list_arg *a = arg;
    uint8_t h[64] = {7}; /* room for the over-long cases */
    ser_write_array(w, a->n);
    for (size_t i = 0; i < a->n; i++) {
        ser_write_array(w, 2);
        ser_write_uint(w, i % 4);
        ser_write_bin(w, h, a->elem_len);
    }
}

static void w_addrs(struct ser_writer *w, const void *arg)
{
    const struct list_arg *a = arg;
    uint8_t ip[64] = {0}; /* room for the over-long cases */
    ser_write_array(w, a->n);
    for (size_t i = 0; i < a->n; i++) {
        ser_write_array(w, 4);
        ser_write_uint(w, 1700000000);
        ser_write_uint(w, 1);
        ser_write_bin(w, ip, a->elem_len);
        ser_write_uint(w, 28733);
    }
}

static void w_locator(struct ser_writer *w, const void *arg)
{
    const struct list_arg *a = arg;
    uint8_t h[32] = {1};
    ser_write_array(w, 2);
    ser_write_array(w, a->n);
    for (size_t i = 0; i < a->n; i++)
        ser_write_bin(w, h, 32);
    ser_write_bin(w, h, a->elem_len);
}

static void w_headers(struct ser_writer *w, const void *arg)
{
    const struct list_arg *a = arg;
    struct block_header h;
    memset(&h, 0, sizeof h);
    h.bits = 0x207fffff;
    ser_write_array(w, a->n);
    for (size_t i = 0; i < a->n; i++) {
        h.nonce = i;
        block_header_write(w, &h);
    }
}

static enum p2p_err list_case(const char *cmd, write_fn fn, size_t n, size_t elem_len,
                              enum p2p_cmd want)
{
    struct list_arg a = {n, elem_len};
    char *hex = body_hex(cmd, fn, &a);
    enum p2p_err e = decode_hex(hex, want, NULL);
    free(hex);
    return e;
}

START_TEST(list_limits)
{
    ck_assert_int_eq(list_case("inv", w_invs, 0, 32, P2P_CMD_INV), P2P_OK);
    ck_assert_int_eq(list_case("inv", w_invs, P2P_MAX_INV, 32, P2P_CMD_INV), P2P_OK);
    ck_assert_int_eq(list_case("inv", w_invs, P2P_MAX_INV + 1, 32, P2P_CMD_INV),
                     P2P_ERR_BAD_PAYLOAD);
    ck_assert_int_eq(list_case("getdata", w_invs, 3, 31, P2P_CMD_GETDATA), P2P_ERR_BAD_PAYLOAD);
    ck_assert_int_eq(list_case("notfound", w_invs, 3, 33, P2P_CMD_NOTFOUND),
                     P2P_ERR_BAD_PAYLOAD);
    ck_assert_int_eq(list_case("addr", w_addrs, P2P_MAX_ADDR, 16, P2P_CMD_ADDR), P2P_OK);
    ck_assert_int_eq(list_case("addr", w_addrs, P2P_MAX_ADDR + 1, 16, P2P_CMD_ADDR),
                     P2P_ERR_BAD_PAYLOAD);
    ck_assert_int_eq(list_case("addr", w_addrs, 1, 4, P2P_CMD_ADDR), P2P_ERR_BAD_PAYLOAD);
    ck_assert_int_eq(list_case("getheaders", w_locator, 1, 0, P2P_CMD_GETHEADERS), P2P_OK);
    ck_assert_int_eq(list_case("getheaders", w_locator, P2P_MAX_LOCATOR, 32,
                               P2P_CMD_GETHEADERS),
                     P2P_OK);
    ck_assert_int_eq(list_case("getheaders", w_locator, 0, 0, P2P_CMD_GETHEADERS),
                     P2P_ERR_BAD_PAYLOAD);
    ck_assert_int_eq(list_case("getheaders", w_locator, P2P_MAX_LOCATOR + 1, 0,
                               P2P_CMD_GETHEADERS),
                     P2P_ERR_BAD_PAYLOAD);
    ck_assert_int_eq(list_case("getheaders", w_locator, 2, 31, P2P_CMD_GETHEADERS),
                     P2P_ERR_BAD_PAYLOAD);
    ck_assert_int_eq(list_case("headers", w_headers, P2P_MAX_HEADERS, 0, P2P_CMD_HEADERS),
                     P2P_OK);
    ck_assert_int_eq(list_case("headers", w_headers, P2P_MAX_HEADERS + 1, 0, P2P_CMD_HEADERS),
                     P2P_ERR_BAD_PAYLOAD);
}
END_TEST

START_TEST(decoded_values)
{
    struct list_arg a = {3, 32};
    struct p2p_payload p;
    p2p_payload_init(&p);
    ck_assert_int_eq(roundtrip("inv", w_invs, &a, &p, NULL), P2P_OK);
    ck_assert_uint_eq(p.n_invs, 3);
    ck_assert_uint_eq(p.invs[2].type, 2);
    ck_assert_uint_eq(p.invs[1].hash[0], 7);
    a.elem_len = 16;
    ck_assert_int_eq(roundtrip("addr", w_addrs, &a, &p, NULL), P2P_OK);
    ck_assert_uint_eq(p.n_addrs, 3);
    ck_assert_uint_eq(p.addrs[0].port, 28733);
    ck_assert_uint_eq(p.addrs[0].time, 1700000000);
    ck_assert_ptr_null(p.invs); /* the previous decode was released */
    a.elem_len = 32;
    ck_assert_int_eq(roundtrip("getheaders", w_locator, &a, &p, NULL), P2P_OK);
    ck_assert_uint_eq(p.n_locator, 3);
    ck_assert(p.has_stop);
    ck_assert_uint_eq(p.stop_hash[0], 1);
    ck_assert_int_eq(roundtrip("headers", w_headers, &a, &p, NULL), P2P_OK);
    ck_assert_uint_eq(p.n_headers, 3);
    ck_assert_uint_eq(p.headers[2].nonce, 2);
    ck_assert_uint_eq(p.headers[2].bits, 0x207fffff);
    p2p_payload_clear(&p);
}
END_TEST

static void w_tx(struct ser_writer *w, const void *arg) { tx_write(w, arg); }
static void w_block(struct ser_writer *w, const void *arg) { block_write(w, arg); }

START_TEST(tx_and_block)
{
    struct tx tx;
    tx_init(&tx);
    tx.nonce = 5;
    struct p2p_payload p;
    p2p_payload_init(&p);
    ck_assert_int_eq(roundtrip("tx", w_tx, &tx, &p, NULL), P2P_OK);
    ck_assert_uint_eq(p.tx.nonce, 5);
    uint8_t a[32], b[32];
    tx_txid(&tx, a);
    tx_txid(&p.tx, b);
    ck_assert_mem_eq(a, b, 32);

    struct block blk;
    block_init(&blk);
    blk.header.bits = 0x207fffff;
    ck_assert(block_take_tx(&blk, &tx));
    ck_assert_int_eq(roundtrip("block", w_block, &blk, &p, NULL), P2P_OK);
    ck_assert_uint_eq(p.block.tx_count, 1);
    block_hash(&blk, a);
    block_hash(&p.block, b);
    ck_assert_mem_eq(a, b, 32);
    /* A block where a tx is expected, and the other way round. */
    enum ser_err d = SER_OK;
    ck_assert_int_eq(roundtrip("tx", w_block, &blk, &p, &d), P2P_ERR_BAD_PAYLOAD);
    ck_assert_int_ne(d, SER_OK);
    ck_assert_int_eq(roundtrip("block", w_tx, &blk.txs[0], &p, NULL), P2P_ERR_BAD_PAYLOAD);
    ck_assert_uint_eq(p.block.tx_count, 0);
    block_clear(&blk);
    tx_clear(&tx);
    p2p_payload_clear(&p);
}
END_TEST

START_TEST(shape_errors)
{
    enum ser_err d = SER_OK;
    /* verack/getaddr/sendheaders take []; ping/pong exactly [uint]. */
    ck_assert_int_eq(decode_hex("92a676657261636b9101", P2P_CMD_VERACK, &d),
                     P2P_ERR_BAD_PAYLOAD);
    ck_assert_int_eq(d, SER_ERR_ARRAY_LENGTH);
    ck_assert_int_eq(decode_hex("92a470696e6790", P2P_CMD_PING, NULL), P2P_ERR_BAD_PAYLOAD);
    ck_assert_int_eq(decode_hex("92a470696e67920102", P2P_CMD_PING, NULL),
                     P2P_ERR_BAD_PAYLOAD);
    ck_assert_int_eq(decode_hex("92a4706f6e6791ff", P2P_CMD_PONG, &d), P2P_ERR_BAD_PAYLOAD);
    ck_assert_int_eq(d, SER_ERR_NEGATIVE_INT);
    ck_assert_int_eq(decode_hex("92a4706f6e6791a161", P2P_CMD_PONG, NULL),
                     P2P_ERR_BAD_PAYLOAD);
    /* version: 6 fields; port 65536; user agent 257 bytes; NUL inside it;
     * the user agent as bin. */
    ck_assert_int_eq(decode_hex("92a776657273696f6e96010101a00101", P2P_CMD_VERSION, NULL),
                     P2P_ERR_BAD_PAYLOAD);
    ck_assert_int_eq(decode_hex("92a776657273696f6e97010101a00101ce00010000",
                                P2P_CMD_VERSION, &d),
                     P2P_ERR_BAD_PAYLOAD);
    ck_assert_int_eq(d, SER_ERR_INT_RANGE);
    ck_assert_int_eq(decode_hex("92a776657273696f6e97010101a0010101", P2P_CMD_VERSION, NULL),
                     P2P_OK);
    ck_assert_int_eq(decode_hex("92a776657273696f6e97010101a26100010101", P2P_CMD_VERSION,
                                NULL),
                     P2P_ERR_BAD_PAYLOAD);
    ck_assert_int_eq(decode_hex("92a776657273696f6e97010101c400010101", P2P_CMD_VERSION, &d),
                     P2P_ERR_BAD_PAYLOAD);
    ck_assert_int_eq(d, SER_ERR_STR_GOT_BIN);
    struct p2p_version v;
    memset(&v, 0, sizeof v);
    v.version = 1;
    char *hex = body_hex("version", w_version, &v);
    /* Patch the empty user agent (a0) into a 257-byte str16. */
    char *pos = strstr(hex, "a0");
    ck_assert_ptr_nonnull(pos);
    size_t head = (size_t)(pos - hex);
    char *big = malloc(strlen(hex) + 600);
    memcpy(big, hex, head);
    strcpy(big + head, "da0101");
    for (int i = 0; i < 257; i++)
        strcat(big + head, "61");
    strcat(big + head, pos + 2);
    ck_assert_int_eq(decode_hex(big, P2P_CMD_VERSION, &d), P2P_ERR_BAD_PAYLOAD);
    ck_assert_int_eq(d, SER_ERR_TOO_LONG);
    free(big);
    free(hex);
    /* inv item with 3 fields, and a type above 32 bits. */
    ck_assert_int_eq(decode_hex("92a3696e769193010101", P2P_CMD_INV, NULL),
                     P2P_ERR_BAD_PAYLOAD);
    ck_assert_int_eq(decode_hex("92a3696e769192cf0000000100000000c4200000000000000000000000"
                                "000000000000000000000000000000000000000000",
                                P2P_CMD_INV, &d),
                     P2P_ERR_BAD_PAYLOAD);
    ck_assert_int_eq(d, SER_ERR_INT_RANGE);
}
END_TEST

START_TEST(finish_refuses_failed_writer)
{
    struct buf b;
    struct ser_writer w;
    size_t start;
    buf_init(&b);
    ck_assert(buf_append(&b, "abc", 3));
    p2p_msg_begin(&w, &b, "ping", &start);
    w.ok = false;
    ck_assert(!p2p_msg_finish(&w, &b, start, MAGIC));
    ck_assert_uint_eq(b.len, 3);
    buf_clear(&b);
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("protocol");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, verack_frame_matches_doc);
    tcase_add_test(tc, ping_frame_matches_doc);
    tcase_add_test(tc, frame_need_more_and_header_errors);
    tcase_add_test(tc, reader_frames);
    tcase_add_test(tc, reader_drops_unwanted);
    tcase_add_test(tc, reader_refuses_bad_prefix);
    tcase_add_test(tc, body_errors);
    tcase_add_test(tc, version_roundtrip_and_limits);
    tcase_add_test(tc, list_limits);
    tcase_add_test(tc, decoded_values);
    tcase_add_test(tc, tx_and_block);
    tcase_add_test(tc, shape_errors);
    tcase_add_test(tc, finish_refuses_failed_writer);
    suite_add_tcase(s, tc);
    return s;
}
