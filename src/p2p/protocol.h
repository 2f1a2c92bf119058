/* protocol: the P2P wire format of doc/protocol.md — frames, message bodies
 * and the payload of every command.
 *
 *   frame = magic(4) | length(4, LE) | checksum(4) | body
 *   body  = msgpack [command: str, payload: array]
 *
 * Reading is incremental: a p2p_reader takes bytes as they arrive and says
 * "need more", hands out one body, or names the rule the bytes broke. It
 * looks at the command (the body's first bytes) as soon as it arrives, and
 * the body of a command the caller does not want is hashed and dropped as
 * it streams in, never buffered. p2p_msg_parse then proves a body canonical
 * and splits it into
 * command and payload, and p2p_payload_decode turns the payload of a known
 * command into C values through a table of per-command decoders. Writing
 * builds a whole frame in one struct buf: p2p_msg_begin reserves the frame
 * header and writes the command, the caller writes the payload with the
 * ser_writer, and p2p_msg_finish fills in length and checksum.
 *
 * Knows nothing about peers or the chain. Owns nothing beyond the structs
 * the caller passes in (a p2p_msg owns its parsed body, a p2p_payload its
 * decoded lists, tx and block). */
#ifndef SOUK_P2P_PROTOCOL_H
#define SOUK_P2P_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/block.h"
#include "consensus/serialize.h"
#include "consensus/tx.h"
#include "crypto/sha256.h"
#include "util/buf.h"

#define P2P_PROTOCOL_VERSION 1
#define P2P_MIN_PROTOCOL_VERSION 1
#define P2P_HEADER_LEN 12
#define P2P_MAX_BODY (8u * 1024u * 1024u)
/* A peer's receive buffer is kept between messages up to this size and
 * released after a larger message. */
#define P2P_BODY_KEEP_BYTES (256u * 1024u)
#define P2P_COMMAND_MAX 12
#define P2P_USER_AGENT_MAX 256
#define P2P_MAX_ADDR 1000
#define P2P_MAX_INV 50000
#define P2P_MAX_LOCATOR 101
#define P2P_MAX_HEADERS 2000
/* Service bit: serves full blocks. */
#define P2P_NODE_NETWORK 1u

/* Inventory types. */
#define P2P_INV_TX 1u
#define P2P_INV_BLOCK 2u
#define P2P_INV_CHAT 3u

enum p2p_err {
    P2P_OK = 0,
    P2P_NEED_MORE,          /* not an error: the frame is not complete yet */
    P2P_ERR_BAD_MAGIC,      /* the frame does not start with the network's magic */
    P2P_ERR_OVERSIZE,       /* length above P2P_MAX_BODY */
    P2P_ERR_BAD_CHECKSUM,   /* checksum does not match the body */
    P2P_ERR_UNDECODABLE,    /* body is not one msgpack object as accepted by ser_doc_parse */
    P2P_ERR_NONCANONICAL,   /* body is msgpack, but not in its canonical encoding */
    P2P_ERR_BAD_BODY,       /* body is not [command: str, payload: array] */
    P2P_ERR_BAD_COMMAND,    /* command is empty, too long or not [a-z0-9] */
    P2P_ERR_UNKNOWN_COMMAND,/* well-formed, but no decoder knows the command */
    P2P_ERR_BAD_PAYLOAD,    /* the payload does not have the command's shape */
    P2P_ERR_NOMEM,
    P2P_ERR_COUNT_
};

/* Short fixed reason ("bad-magic", "bad-checksum", ...); never NULL. */
const char *p2p_err_reason(enum p2p_err err);
/* A sentence naming the rule; never NULL. */
const char *p2p_strerror(enum p2p_err err);

/* ---- frames ---------------------------------------------------------- */

/* Looks at the first len bytes received. P2P_NEED_MORE until a whole frame
 * is there (a bad magic or oversize length is reported as soon as the
 * bytes that show it have arrived). On P2P_OK, *body and *body_len point into
 * data and *frame_len is what to consume. On P2P_ERR_BAD_CHECKSUM
 * *frame_len is still set. Other outputs untouched on error. */
enum p2p_err p2p_frame_parse(const uint8_t magic[4], const uint8_t *data, size_t len,
                             const uint8_t **body, size_t *body_len, size_t *frame_len);

/* Reads frames from a byte stream, one at a time. The header is checked as
 * it arrives (magic, length), then the body's first bytes: every valid
 * body starts with the array header 0x92 and the command as a fixstr of 1
 * to 12 bytes of [a-z0-9], so anything else is refused there and then.
 * Once the command is known the caller's `wants` decides: a wanted frame's
 * body is collected into `body`, an unwanted one's is hashed and dropped
 * as it arrives. Either way the checksum is checked over the whole body.
 * Owns its body buffer and, while a body is being read, a hash context:
 * p2p_reader_clear releases both. */
struct p2p_reader {
    uint8_t head[P2P_HEADER_LEN + 2 + P2P_COMMAND_MAX]; /* header, then the body's prefix */
    size_t head_len;
    uint32_t body_len;   /* declared by the header, once head_len >= P2P_HEADER_LEN */
    size_t body_read;    /* body bytes taken so far, kept or dropped */
    enum { P2P_READ_HEAD, P2P_READ_KEEP, P2P_READ_DROP } mode;
    bool hashing;        /* sha holds a context */
    struct sha256_ctx sha;
    char command[P2P_COMMAND_MAX + 1]; /* once known; "" for a body too short to name one */
    struct buf body;     /* a wanted frame's body, as far as it arrived */
};

/* Whether the body of `command` should be kept (true) or dropped unread. */
typedef bool (*p2p_wants_fn)(void *ctx, const char *command);

void p2p_reader_init(struct p2p_reader *r);
void p2p_reader_clear(struct p2p_reader *r);
/* Takes bytes from data (len > 0); *used says how many. P2P_NEED_MORE:
 * all were taken and the frame is not complete. P2P_OK: a wanted frame is
 * complete, its body in r->body and its command in r->command; call
 * p2p_reader_next before feeding more. P2P_ERR_UNKNOWN_COMMAND: an
 * unwanted frame (r->command) was read to its end and dropped; the reader
 * is ready for the next. Any other error: the stream broke a rule (the
 * caller drops the connection; the reader must only be cleared). */
enum p2p_err p2p_reader_feed(struct p2p_reader *r, const uint8_t magic[4], const uint8_t *data,
                             size_t len, size_t *used, p2p_wants_fn wants, void *ctx);
/* Ready for the next frame. The body buffer is kept for it only up to
 * keep_cap bytes of capacity, so one large message does not pin a
 * message-sized buffer to a peer. */
void p2p_reader_next(struct p2p_reader *r, size_t keep_cap);
/* Bytes held for the frame being read (what a partial frame costs). */
size_t p2p_reader_held(const struct p2p_reader *r);

/* ---- message bodies --------------------------------------------------- */

/* Commands with a decoder, in table order. */
enum p2p_cmd {
    P2P_CMD_VERSION,
    P2P_CMD_VERACK,
    P2P_CMD_PING,
    P2P_CMD_PONG,
    P2P_CMD_GETADDR,
    P2P_CMD_ADDR,
    P2P_CMD_INV,
    P2P_CMD_GETDATA,
    P2P_CMD_NOTFOUND,
    P2P_CMD_TX,
    P2P_CMD_BLOCK,
    P2P_CMD_GETHEADERS,
    P2P_CMD_HEADERS,
    P2P_CMD_SENDHEADERS,
    P2P_CMD_COUNT_
};

/* The command's name on the wire. */
const char *p2p_cmd_name(enum p2p_cmd cmd);
/* Looks a wire name up; false when no decoder knows it. */
bool p2p_cmd_lookup(const char *name, enum p2p_cmd *out);

/* A parsed body. Owns its copy of the bytes; payload points into it. */
struct p2p_msg {
    struct ser_doc doc;
    char command[P2P_COMMAND_MAX + 1];
    const msgpack_object *payload; /* always an array */
};

void p2p_msg_init(struct p2p_msg *m);
void p2p_msg_clear(struct p2p_msg *m);
/* Parses a body. Unknown commands parse fine (P2P_OK): look the command up
 * to decide. *ser_detail (may be NULL) gets the codec's reason when the
 * result is P2P_ERR_UNDECODABLE or P2P_ERR_NONCANONICAL. On error the msg
 * is untouched. */
enum p2p_err p2p_msg_parse(struct p2p_msg *m, const uint8_t *body, size_t len,
                           enum ser_err *ser_detail);

/* ---- payloads --------------------------------------------------------- */

struct p2p_version {
    uint64_t version;
    uint64_t services;
    uint64_t best_height;
    char user_agent[P2P_USER_AGENT_MAX + 1]; /* NUL-terminated; NUL bytes inside are refused */
    uint64_t nonce;
    uint64_t timestamp;
    uint16_t listen_port;
};

struct p2p_addr {
    uint64_t time;
    uint64_t services;
    uint8_t ip[16];  /* IPv6, or IPv4 mapped into IPv6 */
    uint16_t port;
};

struct p2p_inv {
    uint32_t type;
    uint8_t hash[32];
};

/* Decoded payload of one known command. Only the members of `cmd` are
 * meaningful; all others stay empty. Owns its arrays, tx and block. */
struct p2p_payload {
    enum p2p_cmd cmd;
    struct p2p_version version;
    uint64_t nonce;                /* ping, pong */
    struct p2p_addr *addrs;        /* addr */
    size_t n_addrs;
    struct p2p_inv *invs;          /* inv, getdata, notfound */
    size_t n_invs;
    struct tx tx;                  /* tx */
    struct block block;            /* block */
    uint8_t (*locator)[32];        /* getheaders */
    size_t n_locator;
    uint8_t stop_hash[32];
    bool has_stop;
    struct block_header *headers;  /* headers */
    size_t n_headers;
};

void p2p_payload_init(struct p2p_payload *p);
void p2p_payload_clear(struct p2p_payload *p);
/* Decodes m's payload for cmd. P2P_ERR_BAD_PAYLOAD (with *ser_detail,
 * which may be NULL) when the shape is wrong; out is then left empty. out
 * must be initialized; its old contents are released. */
enum p2p_err p2p_payload_decode(const struct p2p_msg *m, enum p2p_cmd cmd,
                                struct p2p_payload *out, enum ser_err *ser_detail);

/* ---- writing ---------------------------------------------------------- */

/* Starts a frame at the end of out: reserves the 12-byte header and writes
 * the body's array header and command. Write exactly one payload value
 * with w afterwards, then call p2p_msg_finish. */
void p2p_msg_begin(struct ser_writer *w, struct buf *out, const char *command, size_t *start);
/* Fills in magic, length and checksum of the frame that began at start.
 * False (and out truncated back to start) when a write failed or the body
 * is over P2P_MAX_BODY. */
bool p2p_msg_finish(struct ser_writer *w, struct buf *out, size_t start,
                    const uint8_t magic[4]);

/* Payload writers (each writes one array value). */
void p2p_write_version(struct ser_writer *w, const struct p2p_version *v);
void p2p_write_empty(struct ser_writer *w);
void p2p_write_nonce(struct ser_writer *w, uint64_t nonce);
void p2p_write_addrs(struct ser_writer *w, const struct p2p_addr *a, size_t n);
void p2p_write_invs(struct ser_writer *w, const struct p2p_inv *inv, size_t n);
void p2p_write_getheaders(struct ser_writer *w, const uint8_t (*locator)[32], size_t n,
                          const uint8_t *stop_hash /* NULL: none */);
void p2p_write_headers(struct ser_writer *w, const struct block_header *h, size_t n);

/* One whole frame of a command without data (verack, getaddr, sendheaders)
 * appended to out. */
bool p2p_build_empty(const uint8_t magic[4], const char *command, struct buf *out);

#endif
