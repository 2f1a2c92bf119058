/* serialize: the canonical msgpack layer under every binary format of souk.
 *
 * Transactions, blocks, P2P messages and stored records are all msgpack
 * arrays with fixed positions, and each value has exactly one accepted
 * encoding, so each object has one byte string and one hash.
 *
 * Writing goes through msgpack-c's packer, which always picks the shortest
 * form. A struct ser_writer sends the bytes to a struct buf, to a byte
 * counter or straight into a SHA-256 context; it keeps a sticky ok flag so
 * an encoder can write a whole object and check once at the end.
 *
 * Reading goes through msgpack-c's unpacker. ser_doc_parse accepts exactly
 * one object and then proves it canonical by re-packing every element with
 * msgpack-c's packer and comparing the result with the input bytes, element
 * by element. Typed getters then pull fields out of the object tree with an
 * error code that names the rule a bad field broke.
 *
 * A struct ser_doc owns a private copy of the input and the unpacked object
 * tree; msgpack_object pointers obtained from it (and the byte/str pointers
 * the getters return) stay valid until the doc is cleared or re-parsed. */
#ifndef SOUK_CONSENSUS_SERIALIZE_H
#define SOUK_CONSENSUS_SERIALIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "crypto/sha256.h"
#include "util/buf.h"

/* Deepest nesting of arrays accepted (the outermost array is depth 1).
 * Consensus objects need about 5; P2P messages wrap them in two more. */
#define SER_MAX_DEPTH 16

enum ser_err {
    SER_OK = 0,
    SER_ERR_NOMEM,            /* out of memory */
    SER_ERR_TRUNCATED,        /* input ends inside the object */
    SER_ERR_TRAILING,         /* bytes after the object */
    SER_ERR_TOO_LARGE,        /* whole encoding over its size limit */
    SER_ERR_MALFORMED,        /* not msgpack at all (reserved byte 0xc1) */
    SER_ERR_TOO_DEEP,         /* arrays nested deeper than SER_MAX_DEPTH */
    SER_ERR_NONCANON_INT,     /* integer not in shortest form */
    SER_ERR_NONCANON_LENGTH,  /* str/bin/array length prefix not in shortest form */
    SER_ERR_FLOAT,            /* float32/float64 present */
    SER_ERR_MAP,              /* map present */
    SER_ERR_EXT,              /* ext type present */
    SER_ERR_UTF8,             /* str is not valid UTF-8 */
    SER_ERR_EXPECTED_ARRAY,
    SER_ERR_EXPECTED_UINT,
    SER_ERR_NEGATIVE_INT,     /* negative integer where an unsigned one is required */
    SER_ERR_INT_RANGE,        /* integer above the field's maximum */
    SER_ERR_EXPECTED_BIN,
    SER_ERR_BIN_GOT_STR,      /* str where bin is required */
    SER_ERR_EXPECTED_STR,
    SER_ERR_STR_GOT_BIN,      /* bin where str is required */
    SER_ERR_ARRAY_LENGTH,     /* fixed-position array with the wrong element count */
    SER_ERR_TOO_MANY_ITEMS,   /* list longer than its limit */
    SER_ERR_TOO_LONG,         /* bin/str field longer than its limit */
    SER_ERR_TOO_SHORT,        /* bin/str field shorter than its minimum */
    SER_ERR_VERSION,          /* unsupported version */
    SER_ERR_TOO_FEW_ITEMS,    /* list shorter than its minimum */
    SER_ERR_CHARSET,          /* str with a character its field does not allow */
    SER_ERR_BAD_KEY,          /* 32 bytes that are not a valid x-only public key */
    SER_ERR_COUNT_            /* number of codes; not an error */
};

/* A fixed English sentence naming the rule; never NULL. */
const char *ser_strerror(enum ser_err err);

/* ---- writing ---------------------------------------------------------- */

enum ser_sink { SER_SINK_BUF, SER_SINK_COUNT, SER_SINK_SHA256 };

/* The packer's callback points back at the writer, so a writer must not be
 * copied or moved after init. It owns nothing: clearing is not needed. */
struct ser_writer {
    msgpack_packer pk;
    enum ser_sink sink;
    struct buf *out;          /* SER_SINK_BUF: appended to */
    struct sha256_ctx *hash;  /* SER_SINK_SHA256: fed to */
    size_t count;             /* bytes written so far, every sink */
    bool ok;                  /* false after any failure; stays false */
};

/* Appends to out (which the caller owns and keeps). */
void ser_writer_init(struct ser_writer *w, struct buf *out);
/* Only counts the bytes: the size of an encoding without building it. */
void ser_writer_init_counter(struct ser_writer *w);
/* Feeds the bytes to a started SHA-256 context: hashing an encoding
 * without building it (and so without a way to fail). */
void ser_writer_init_hasher(struct ser_writer *w, struct sha256_ctx *ctx);

/* Each write is a no-op once ok is false. Lengths above 2^32-1 cannot be
 * encoded in msgpack and set ok to false without writing anything. */
void ser_write_array(struct ser_writer *w, size_t n);
void ser_write_uint(struct ser_writer *w, uint64_t v);
void ser_write_bin(struct ser_writer *w, const void *p, size_t len);
/* The caller must pass valid UTF-8: the decoder rejects anything else. */
void ser_write_str(struct ser_writer *w, const char *p, size_t len);
/* Appends bytes that already are a canonical encoding (a nested object kept
 * in encoded form, such as a tx payload). */
void ser_write_raw(struct ser_writer *w, const void *p, size_t len);
static inline bool ser_writer_ok(const struct ser_writer *w) { return w->ok; }

/* ---- reading ---------------------------------------------------------- */

struct ser_doc {
    msgpack_unpacked up;
    uint8_t *bytes;  /* owned copy of the input the tree points into */
    size_t len;
    bool parsed;
};

void ser_doc_init(struct ser_doc *doc);
void ser_doc_clear(struct ser_doc *doc);
/* Parses exactly one canonical object from bytes (copied). On success the
 * doc's previous contents are released; on failure the doc is untouched.
 * Callers enforce their format's size limit before calling: the work and
 * memory used here are linear in len whatever the input claims. */
enum ser_err ser_doc_parse(struct ser_doc *doc, const void *bytes, size_t len);
/* The parsed object, or NULL before a successful parse. */
const msgpack_object *ser_doc_root(const struct ser_doc *doc);

/* Strict UTF-8: shortest-form sequences only, no surrogates (U+D800..DFFF),
 * nothing above U+10FFFF, no truncated sequence. NUL is allowed. */
bool ser_utf8_valid(const uint8_t *p, size_t len);

/* Typed getters for objects of a parsed doc. Each checks the type first and
 * then the limit; on error nothing is written to the out-parameters. */

/* An array of exactly n elements; *items points at its first element. */
enum ser_err ser_get_array(const msgpack_object *o, uint32_t n, const msgpack_object **items);
/* A list of at most max elements (any count up to it). */
enum ser_err ser_get_list(const msgpack_object *o, uint32_t max, const msgpack_object **items,
                          uint32_t *n_out);
enum ser_err ser_get_uint(const msgpack_object *o, uint64_t *out);
/* An unsigned integer <= max (SER_ERR_INT_RANGE otherwise). */
enum ser_err ser_get_uint_max(const msgpack_object *o, uint64_t max, uint64_t *out);
/* A bin of exactly len bytes, copied to out. */
enum ser_err ser_get_bin_fixed(const msgpack_object *o, size_t len, uint8_t *out);
/* A bin of at most max bytes; *p points into the doc (NULL-safe for len 0). */
enum ser_err ser_get_bin(const msgpack_object *o, size_t max, const uint8_t **p, size_t *len);
/* A str of min..max bytes (not characters); *p points into the doc and is
 * not NUL-terminated. UTF-8 validity was already checked by the parse. */
enum ser_err ser_get_str(const msgpack_object *o, size_t min, size_t max, const char **p,
                         size_t *len);

/* Appends the canonical encoding of an object from a parsed doc (which is
 * exactly the byte span it was parsed from). */
void ser_write_object(struct ser_writer *w, const msgpack_object *o);

#endif
