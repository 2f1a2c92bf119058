#include "p2p/protocol.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/sha256.h"

static const struct {
    const char *reason;
    const char *text;
} err_table[P2P_ERR_COUNT_] = {
    [P2P_OK] = {"ok", "no error"},
    [P2P_NEED_MORE] = {"need-more", "the frame is not complete yet"},
    [P2P_ERR_BAD_MAGIC] = {"bad-magic", "the frame does not start with the network's magic"},
    [P2P_ERR_OVERSIZE] = {"oversize", "the frame's length is above the 8 MiB limit"},
    [P2P_ERR_BAD_CHECKSUM] = {"bad-checksum", "the frame's checksum does not match its body"},
    [P2P_ERR_UNDECODABLE] = {"undecodable", "the body is not one msgpack object"},
    [P2P_ERR_NONCANONICAL] = {"non-canonical", "the body is not canonical msgpack"},
    [P2P_ERR_BAD_BODY] = {"bad-body", "the body is not [command, payload array]"},
    [P2P_ERR_BAD_COMMAND] = {"bad-command", "the command is not 1-12 characters of [a-z0-9]"},
    [P2P_ERR_UNKNOWN_COMMAND] = {"unknown-command", "no decoder knows the command"},
    [P2P_ERR_BAD_PAYLOAD] = {"bad-payload", "the payload does not have the command's shape"},
    [P2P_ERR_NOMEM] = {"nomem", "out of memory"},
};

const char *p2p_err_reason(enum p2p_err err)
{
    if ((unsigned)err >= P2P_ERR_COUNT_)
        return "unknown";
    return err_table[err].reason;
}

const char *p2p_strerror(enum p2p_err err)
{
    if ((unsigned)err >= P2P_ERR_COUNT_)
        return "unknown error";
    return err_table[err].text;
}

/* ---- frames ---------------------------------------------------------- */

static uint32_t read_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void write_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* Checks as much of the 12-byte header as has arrived. */
static enum p2p_err check_header(const uint8_t magic[4], const uint8_t *data, size_t len,
                                 uint32_t *body_len)
{
    size_t m = len < 4 ? len : 4;
    if (memcmp(data, magic, m) != 0)
        return P2P_ERR_BAD_MAGIC;
    if (len < 8)
        return P2P_NEED_MORE;
    uint32_t n = read_le32(data + 4);
    if (n > P2P_MAX_BODY)
        return P2P_ERR_OVERSIZE;
    if (len < P2P_HEADER_LEN)
        return P2P_NEED_MORE;
    *body_len = n;
    return P2P_OK;
}

enum p2p_err p2p_frame_parse(const uint8_t magic[4], const uint8_t *data, size_t len,
                             const uint8_t **body, size_t *body_len, size_t *frame_len)
{
    uint32_t n = 0;
    enum p2p_err e = check_header(magic, data, len, &n);
    if (e != P2P_OK)
        return e;
    if (len - P2P_HEADER_LEN < n)
        return P2P_NEED_MORE;
    uint8_t h[SHA256_LEN];
    sha256(data + P2P_HEADER_LEN, n, h);
    *frame_len = P2P_HEADER_LEN + (size_t)n;
    if (memcmp(h, data + 8, 4) != 0)
        return P2P_ERR_BAD_CHECKSUM;
    *body = data + P2P_HEADER_LEN;
    *body_len = n;
    return P2P_OK;
}

static bool command_valid(const char *p, size_t len);

void p2p_reader_init(struct p2p_reader *r)
{
    memset(r, 0, sizeof *r);
    r->mode = P2P_READ_HEAD;
    buf_init(&r->body);
}

static void reader_stop_hash(struct p2p_reader *r, uint8_t out[SHA256_LEN])
{
    uint8_t scratch[SHA256_LEN];
    if (r->hashing)
        sha256_final(&r->sha, out != NULL ? out : scratch);
    r->hashing = false;
}

void p2p_reader_clear(struct p2p_reader *r)
{
    reader_stop_hash(r, NULL);
    buf_clear(&r->body);
    p2p_reader_init(r);
}

void p2p_reader_next(struct p2p_reader *r, size_t keep_cap)
{
    reader_stop_hash(r, NULL);
    if (r->body.cap > keep_cap)
        buf_clear(&r->body);
    else
        buf_reset(&r->body);
    r->head_len = 0;
    r->body_len = 0;
    r->body_read = 0;
    r->mode = P2P_READ_HEAD;
    r->command[0] = '\0';
}

size_t p2p_reader_held(const struct p2p_reader *r) { return r->head_len + r->body.len; }

/* What the first n bytes of a body say: P2P_NEED_MORE, P2P_OK with the
 * command, or why no body starting so can be valid (a canonical
 * [command, payload] with a command of 1 to 12 [a-z0-9] always starts
 * 0x92, then 0xa1 to 0xac). */
static enum p2p_err body_prefix(const uint8_t *p, size_t n, char command[P2P_COMMAND_MAX + 1])
{
    if (n < 1)
        return P2P_NEED_MORE;
    if (p[0] != 0x92)
        return P2P_ERR_BAD_BODY;
    if (n < 2)
        return P2P_NEED_MORE;
    bool fixstr = (p[1] & 0xe0) == 0xa0;
    if (!fixstr)
        return p[1] >= 0xd9 && p[1] <= 0xdb ? P2P_ERR_BAD_COMMAND : P2P_ERR_BAD_BODY;
    size_t len = p[1] & 0x1f;
    if (len == 0 || len > P2P_COMMAND_MAX)
        return P2P_ERR_BAD_COMMAND;
    if (n < 2 + len)
        return P2P_NEED_MORE;
    if (!command_valid((const char *)p + 2, len))
        return P2P_ERR_BAD_COMMAND;
    memcpy(command, p + 2, len);
    command[len] = '\0';
    return P2P_OK;
}

/* Body bytes from the prefix stage on; updates the hash and body_read. */
static bool reader_take(struct p2p_reader *r, const uint8_t *p, size_t n)
{
    if (r->mode == P2P_READ_KEEP && !buf_append(&r->body, p, n))
        return false;
    sha256_update(&r->sha, p, n);
    r->body_read += n;
    return true;
}

enum p2p_err p2p_reader_feed(struct p2p_reader *r, const uint8_t magic[4], const uint8_t *data,
                             size_t len, size_t *used, p2p_wants_fn wants, void *ctx)
{
    size_t off = 0;
    *used = 0;
    /* The header. */
    while (r->head_len < P2P_HEADER_LEN && off < len) {
        size_t k = P2P_HEADER_LEN - r->head_len;
        if (k > len - off)
            k = len - off;
        memcpy(r->head + r->head_len, data + off, k);
        r->head_len += k;
        off += k;
        *used = off;
        uint32_t n = 0;
        enum p2p_err e = check_header(magic, r->head, r->head_len, &n);
        if (e == P2P_NEED_MORE)
            continue;
        if (e != P2P_OK)
            return e;
        r->body_len = n;
        sha256_init(&r->sha);
        r->hashing = true;
    }
    if (r->head_len < P2P_HEADER_LEN)
        return P2P_NEED_MORE;
    /* The body's prefix, until the command is known (or the body ends
     * before it could name one: then the whole body is parsed and judged
     * like any other). */
    while (r->mode == P2P_READ_HEAD) {
        size_t have = r->head_len - P2P_HEADER_LEN;
        enum p2p_err e = body_prefix(r->head + P2P_HEADER_LEN, have, r->command);
        if (e != P2P_OK && e != P2P_NEED_MORE)
            return e;
        if (e == P2P_OK || have == r->body_len) {
            if (e != P2P_OK)
                r->command[0] = '\0';
            r->mode = e != P2P_OK || wants(ctx, r->command) ? P2P_READ_KEEP : P2P_READ_DROP;
            if (r->mode == P2P_READ_KEEP) {
                buf_reset(&r->body);
                if (!buf_append(&r->body, r->head + P2P_HEADER_LEN, have))
                    return P2P_ERR_NOMEM;
            }
            break;
        }
        if (off == len)
            return P2P_NEED_MORE;
        /* One byte at a time: the prefix is at most 14 bytes. */
        r->head[r->head_len++] = data[off];
        sha256_update(&r->sha, data + off, 1);
        r->body_read++;
        off++;
        *used = off;
    }
    size_t k = r->body_len - r->body_read;
    if (k > len - off)
        k = len - off;
    if (k > 0 && !reader_take(r, data + off, k))
        return P2P_ERR_NOMEM;
    off += k;
    *used = off;
    if (r->body_read < r->body_len)
        return P2P_NEED_MORE;
    uint8_t h[SHA256_LEN];
    reader_stop_hash(r, h);
    if (memcmp(h, r->head + 8, 4) != 0)
        return P2P_ERR_BAD_CHECKSUM;
    if (r->mode == P2P_READ_KEEP)
        return P2P_OK;
    char command[sizeof r->command];
    memcpy(command, r->command, sizeof command);
    p2p_reader_next(r, SIZE_MAX);
    memcpy(r->command, command, sizeof command);
    return P2P_ERR_UNKNOWN_COMMAND;
}

/* ---- message bodies --------------------------------------------------- */

typedef enum ser_err (*payload_decode_fn)(const msgpack_object *o, struct p2p_payload *out);

static enum ser_err dec_version(const msgpack_object *o, struct p2p_payload *out);
static enum ser_err dec_empty(const msgpack_object *o, struct p2p_payload *out);
static enum ser_err dec_nonce(const msgpack_object *o, struct p2p_payload *out);
static enum ser_err dec_addr(const msgpack_object *o, struct p2p_payload *out);
static enum ser_err dec_inv(const msgpack_object *o, struct p2p_payload *out);
static enum ser_err dec_tx(const msgpack_object *o, struct p2p_payload *out);
static enum ser_err dec_block(const msgpack_object *o, struct p2p_payload *out);
static enum ser_err dec_getheaders(const msgpack_object *o, struct p2p_payload *out);
static enum ser_err dec_headers(const msgpack_object *o, struct p2p_payload *out);

static const struct {
    const char *name;
    payload_decode_fn decode;
} cmd_table[P2P_CMD_COUNT_] = {
    [P2P_CMD_VERSION] = {"version", dec_version},
    [P2P_CMD_VERACK] = {"verack", dec_empty},
    [P2P_CMD_PING] = {"ping", dec_nonce},
    [P2P_CMD_PONG] = {"pong", dec_nonce},
    [P2P_CMD_GETADDR] = {"getaddr", dec_empty},
    [P2P_CMD_ADDR] = {"addr", dec_addr},
    [P2P_CMD_INV] = {"inv", dec_inv},
    [P2P_CMD_GETDATA] = {"getdata", dec_inv},
    [P2P_CMD_NOTFOUND] = {"notfound", dec_inv},
    [P2P_CMD_TX] = {"tx", dec_tx},
    [P2P_CMD_BLOCK] = {"block", dec_block},
    [P2P_CMD_GETHEADERS] = {"getheaders", dec_getheaders},
    [P2P_CMD_HEADERS] = {"headers", dec_headers},
    [P2P_CMD_SENDHEADERS] = {"sendheaders", dec_empty},
};

const char *p2p_cmd_name(enum p2p_cmd cmd)
{
    if ((unsigned)cmd >= P2P_CMD_COUNT_)
        return "?";
    return cmd_table[cmd].name;
}

bool p2p_cmd_lookup(const char *name, enum p2p_cmd *out)
{
    for (size_t i = 0; i < P2P_CMD_COUNT_; i++) {
        if (strcmp(cmd_table[i].name, name) == 0) {
            *out = (enum p2p_cmd)i;
            return true;
        }
    }
    return false;
}

void p2p_msg_init(struct p2p_msg *m)
{
    ser_doc_init(&m->doc);
    m->command[0] = '\0';
    m->payload = NULL;
}

void p2p_msg_clear(struct p2p_msg *m)
{
    ser_doc_clear(&m->doc);
    m->command[0] = '\0';
    m->payload = NULL;
}

static bool command_valid(const char *p, size_t len)
{
    if (len == 0 || len > P2P_COMMAND_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            return false;
    }
    return true;
}

enum p2p_err p2p_msg_parse(struct p2p_msg *m, const uint8_t *body, size_t len,
                           enum ser_err *ser_detail)
{
    struct ser_doc doc;
    ser_doc_init(&doc);
    enum ser_err se = ser_doc_parse(&doc, body, len);
    if (se != SER_OK) {
        if (ser_detail != NULL)
            *ser_detail = se;
        switch (se) {
        case SER_ERR_NOMEM:
            return P2P_ERR_NOMEM;
        case SER_ERR_NONCANON_INT:
        case SER_ERR_NONCANON_LENGTH:
        case SER_ERR_FLOAT:
        case SER_ERR_MAP:
        case SER_ERR_EXT:
        case SER_ERR_UTF8:
            return P2P_ERR_NONCANONICAL;
        default:
            return P2P_ERR_UNDECODABLE;
        }
    }
    const msgpack_object *items;
    const char *cmd;
    size_t cmd_len;
    enum p2p_err e = P2P_OK;
    if (ser_get_array(ser_doc_root(&doc), 2, &items) != SER_OK ||
        items[1].type != MSGPACK_OBJECT_ARRAY)
        e = P2P_ERR_BAD_BODY;
    else if (ser_get_str(&items[0], 0, 64, &cmd, &cmd_len) != SER_OK)
        e = items[0].type == MSGPACK_OBJECT_STR ? P2P_ERR_BAD_COMMAND : P2P_ERR_BAD_BODY;
    else if (!command_valid(cmd, cmd_len))
        e = P2P_ERR_BAD_COMMAND;
    if (e != P2P_OK) {
        ser_doc_clear(&doc);
        return e;
    }
    ser_doc_clear(&m->doc);
    m->doc = doc;
    const msgpack_object *root = ser_doc_root(&m->doc);
    m->payload = &root->via.array.ptr[1];
    memcpy(m->command, cmd, cmd_len);
    m->command[cmd_len] = '\0';
    return P2P_OK;
}

/* ---- payloads --------------------------------------------------------- */

void p2p_payload_init(struct p2p_payload *p)
{
    memset(p, 0, sizeof *p);
    p->cmd = P2P_CMD_COUNT_;
    tx_init(&p->tx);
    block_init(&p->block);
}

void p2p_payload_clear(struct p2p_payload *p)
{
    free(p->addrs);
    free(p->invs);
    free(p->locator);
    free(p->headers);
    tx_clear(&p->tx);
    block_clear(&p->block);
    p2p_payload_init(p);
}

#define TRY(expr)                    \
    do {                             \
        enum ser_err e_ = (expr);    \
        if (e_ != SER_OK)            \
            return e_;               \
    } while (0)

static enum ser_err dec_version(const msgpack_object *o, struct p2p_payload *out)
{
    const msgpack_object *it;
    struct p2p_version *v = &out->version;
    const char *ua;
    size_t ua_len;
    uint64_t port;
    TRY(ser_get_array(o, 7, &it));
    TRY(ser_get_uint(&it[0], &v->version));
    TRY(ser_get_uint(&it[1], &v->services));
    TRY(ser_get_uint(&it[2], &v->best_height));
    TRY(ser_get_str(&it[3], 0, P2P_USER_AGENT_MAX, &ua, &ua_len));
    if (memchr(ua, '\0', ua_len) != NULL)
        return SER_ERR_UTF8;
    TRY(ser_get_uint(&it[4], &v->nonce));
    TRY(ser_get_uint(&it[5], &v->timestamp));
    TRY(ser_get_uint_max(&it[6], 65535, &port));
    memcpy(v->user_agent, ua, ua_len);
    v->user_agent[ua_len] = '\0';
    v->listen_port = (uint16_t)port;
    return SER_OK;
}

static enum ser_err dec_empty(const msgpack_object *o, struct p2p_payload *out)
{
    (void)out;
    const msgpack_object *it;
    return ser_get_array(o, 0, &it);
}

static enum ser_err dec_nonce(const msgpack_object *o, struct p2p_payload *out)
{
    const msgpack_object *it;
    TRY(ser_get_array(o, 1, &it));
    return ser_get_uint(&it[0], &out->nonce);
}

static enum ser_err dec_addr(const msgpack_object *o, struct p2p_payload *out)
{
    const msgpack_object *it;
    uint32_t n;
    TRY(ser_get_list(o, P2P_MAX_ADDR, &it, &n));
    if (n > 0 && (out->addrs = calloc(n, sizeof *out->addrs)) == NULL)
        return SER_ERR_NOMEM;
    for (uint32_t i = 0; i < n; i++) {
        const msgpack_object *f;
        struct p2p_addr *a = &out->addrs[i];
        uint64_t port;
        TRY(ser_get_array(&it[i], 4, &f));
        TRY(ser_get_uint(&f[0], &a->time));
        TRY(ser_get_uint(&f[1], &a->services));
        TRY(ser_get_bin_fixed(&f[2], 16, a->ip));
        TRY(ser_get_uint_max(&f[3], 65535, &port));
        a->port = (uint16_t)port;
        out->n_addrs = i + 1;
    }
    return SER_OK;
}

static enum ser_err dec_inv(const msgpack_object *o, struct p2p_payload *out)
{
    const msgpack_object *it;
    uint32_t n;
    TRY(ser_get_list(o, P2P_MAX_INV, &it, &n));
    if (n > 0 && (out->invs = calloc(n, sizeof *out->invs)) == NULL)
        return SER_ERR_NOMEM;
    for (uint32_t i = 0; i < n; i++) {
        const msgpack_object *f;
        uint64_t type;
        TRY(ser_get_array(&it[i], 2, &f));
        TRY(ser_get_uint_max(&f[0], UINT32_MAX, &type));
        TRY(ser_get_bin_fixed(&f[1], 32, out->invs[i].hash));
        out->invs[i].type = (uint32_t)type;
        out->n_invs = i + 1;
    }
    return SER_OK;
}

static enum ser_err dec_tx(const msgpack_object *o, struct p2p_payload *out)
{
    return tx_decode_object(o, &out->tx);
}

static enum ser_err dec_block(const msgpack_object *o, struct p2p_payload *out)
{
    return block_decode_object(o, &out->block);
}

static enum ser_err dec_getheaders(const msgpack_object *o, struct p2p_payload *out)
{
    const msgpack_object *it, *loc;
    uint32_t n;
    const uint8_t *stop;
    size_t stop_len;
    TRY(ser_get_array(o, 2, &it));
    TRY(ser_get_list(&it[0], P2P_MAX_LOCATOR, &loc, &n));
    if (n == 0)
        return SER_ERR_ARRAY_LENGTH;
    TRY(ser_get_bin(&it[1], 32, &stop, &stop_len));
    if (stop_len != 0 && stop_len != 32)
        return SER_ERR_TOO_SHORT;
    if ((out->locator = calloc(n, sizeof *out->locator)) == NULL)
        return SER_ERR_NOMEM;
    for (uint32_t i = 0; i < n; i++) {
        TRY(ser_get_bin_fixed(&loc[i], 32, out->locator[i]));
        out->n_locator = i + 1;
    }
    out->has_stop = stop_len == 32;
    if (out->has_stop)
        memcpy(out->stop_hash, stop, 32);
    return SER_OK;
}

static enum ser_err dec_headers(const msgpack_object *o, struct p2p_payload *out)
{
    const msgpack_object *it;
    uint32_t n;
    TRY(ser_get_list(o, P2P_MAX_HEADERS, &it, &n));
    if (n > 0 && (out->headers = calloc(n, sizeof *out->headers)) == NULL)
        return SER_ERR_NOMEM;
    for (uint32_t i = 0; i < n; i++) {
        TRY(block_header_decode_object(&it[i], &out->headers[i]));
        out->n_headers = i + 1;
    }
    return SER_OK;
}

enum p2p_err p2p_payload_decode(const struct p2p_msg *m, enum p2p_cmd cmd,
                                struct p2p_payload *out, enum ser_err *ser_detail)
{
    if ((unsigned)cmd >= P2P_CMD_COUNT_ || m->payload == NULL)
        return P2P_ERR_UNKNOWN_COMMAND;
    p2p_payload_clear(out);
    out->cmd = cmd;
    enum ser_err se = cmd_table[cmd].decode(m->payload, out);
    if (se != SER_OK) {
        p2p_payload_clear(out);
        if (ser_detail != NULL)
            *ser_detail = se;
        return se == SER_ERR_NOMEM ? P2P_ERR_NOMEM : P2P_ERR_BAD_PAYLOAD;
    }
    return P2P_OK;
}

/* ---- writing ---------------------------------------------------------- */

void p2p_msg_begin(struct ser_writer *w, struct buf *out, const char *command, size_t *start)
{
    static const uint8_t zero[P2P_HEADER_LEN];
    *start = out->len;
    ser_writer_init(w, out);
    if (!buf_append(out, zero, sizeof zero)) {
        w->ok = false;
        return;
    }
    ser_write_array(w, 2);
    ser_write_str(w, command, strlen(command));
}

bool p2p_msg_finish(struct ser_writer *w, struct buf *out, size_t start, const uint8_t magic[4])
{
    if (!w->ok || out->len < start + P2P_HEADER_LEN ||
        out->len - start - P2P_HEADER_LEN > P2P_MAX_BODY) {
        if (out->len > start)
            out->len = start;
        return false;
    }
    uint8_t *hdr = out->data + start;
    size_t n = out->len - start - P2P_HEADER_LEN;
    uint8_t h[SHA256_LEN];
    sha256(hdr + P2P_HEADER_LEN, n, h);
    memcpy(hdr, magic, 4);
    write_le32(hdr + 4, (uint32_t)n);
    memcpy(hdr + 8, h, 4);
    return true;
}

void p2p_write_version(struct ser_writer *w, const struct p2p_version *v)
{
    ser_write_array(w, 7);
    ser_write_uint(w, v->version);
    ser_write_uint(w, v->services);
    ser_write_uint(w, v->best_height);
    const char *end = memchr(v->user_agent, '\0', sizeof v->user_agent);
    size_t ua_len = end != NULL ? (size_t)(end - v->user_agent) : P2P_USER_AGENT_MAX;
    ser_write_str(w, v->user_agent, ua_len > P2P_USER_AGENT_MAX ? P2P_USER_AGENT_MAX : ua_len);
    ser_write_uint(w, v->nonce);
    ser_write_uint(w, v->timestamp);
    ser_write_uint(w, v->listen_port);
}

void p2p_write_empty(struct ser_writer *w) { ser_write_array(w, 0); }

void p2p_write_nonce(struct ser_writer *w, uint64_t nonce)
{
    ser_write_array(w, 1);
    ser_write_uint(w, nonce);
}

void p2p_write_addrs(struct ser_writer *w, const struct p2p_addr *a, size_t n)
{
    ser_write_array(w, n);
    for (size_t i = 0; i < n; i++) {
        ser_write_array(w, 4);
        ser_write_uint(w, a[i].time);
        ser_write_uint(w, a[i].services);
        ser_write_bin(w, a[i].ip, 16);
        ser_write_uint(w, a[i].port);
    }
}

void p2p_write_invs(struct ser_writer *w, const struct p2p_inv *inv, size_t n)
{
    ser_write_array(w, n);
    for (size_t i = 0; i < n; i++) {
        ser_write_array(w, 2);
        ser_write_uint(w, inv[i].type);
        ser_write_bin(w, inv[i].hash, 32);
    }
}

void p2p_write_getheaders(struct ser_writer *w, const uint8_t (*locator)[32], size_t n,
                          const uint8_t *stop_hash)
{
    ser_write_array(w, 2);
    ser_write_array(w, n);
    for (size_t i = 0; i < n; i++)
        ser_write_bin(w, locator[i], 32);
    ser_write_bin(w, stop_hash, stop_hash != NULL ? 32 : 0);
}

void p2p_write_headers(struct ser_writer *w, const struct block_header *h, size_t n)
{
    ser_write_array(w, n);
    for (size_t i = 0; i < n; i++)
        block_header_write(w, &h[i]);
}

bool p2p_build_empty(const uint8_t magic[4], const char *command, struct buf *out)
{
    struct ser_writer w;
    size_t start;
    p2p_msg_begin(&w, out, command, &start);
    p2p_write_empty(&w);
    return p2p_msg_finish(&w, out, start, magic);
}
