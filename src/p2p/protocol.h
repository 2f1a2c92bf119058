/* protocol: the P2P wire format of doc/protocol.md — frames, message bodies
 * and the payload of every command.
 *
 *   frame = magic(4) | length(4, LE) | checksum(4) | body
 *   body  = msgpack [command: str, payload: array]
 *
 * Reading is incremental: p2p_frame_pull looks at whatever bytes arrived so
 * far and says "need more", hands out one body, or names the rule the bytes
 * broke. p2p_msg_parse then proves the body canonical and splits it into
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
#include "util/buf.h"

struct evbuffer;

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
/* The same on a libevent input buffer: on P2P_OK the frame is removed from
 * `in` and its body appended to out (reset first). On P2P_NEED_MORE
 * nothing changes. On an error the buffer is left as it was (the caller
 * drops the connection). */
enum p2p_err p2p_frame_pull(const uint8_t magic[4], struct evbuffer *in, struct buf *out);

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
