/* What an HTTP client sends the read-only endpoints of the RPC port: a
 * REST path (rest_parse_path), the query of GET /events (sse_parse_query)
 * and its Last-Event-ID header (sse_parse_event_id).
 *
 * The input is NUL-separated: path after "/rest/", query, Last-Event-ID.
 * A path is accepted only when it names a resource of the table, a format
 * that resource serves and an id of its kind (64 lower-case hex digits, or
 * an address of the network); the path rebuilt from what was read is read
 * the same way. A refusal is 400 or 404 with a message. An accepted query
 * has 1 to SSE_MAX_ADDRESSES keys, each of which encodes to an address that
 * the query form reads back to the same key; an accepted event id prints
 * back as the input. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "fuzz.h"

#include "crypto/address.h"
#include "rpc/rest.h"
#include "rpc/sse.h"

#define HRP "rsouk"

static void check_path(const char *path)
{
    struct rest_target t;
    char err[400] = "";
    int status = rest_parse_path(path, HRP, &t, err, sizeof err);
    if (status != 0) {
        FUZZ_ASSERT(status == 400 || status == 404);
        FUZZ_ASSERT(err[0] != '\0' && strlen(err) < sizeof err);
        return;
    }
    size_t n_res;
    const struct rest_resource *all = rest_resources(&n_res);
    FUZZ_ASSERT(t.res >= all && t.res < all + n_res);
    FUZZ_ASSERT(t.fmt >= t.res->formats && t.fmt < t.res->formats + REST_MAX_FORMATS &&
                t.fmt->ext != NULL);
    size_t id_len = strlen(t.id);
    if (t.res->id == REST_ID_HASH) {
        FUZZ_ASSERT(id_len == 64 && strspn(t.id, "0123456789abcdef") == 64);
    } else {
        uint8_t key[ADDRESS_PUBKEY_LEN];
        FUZZ_ASSERT(address_decode(HRP, t.id, key) == ADDRESS_OK);
    }
    char again[REST_SEGMENT_MAX + 64];
    int len = snprintf(again, sizeof again, "%s/%s.%s", t.res->name, t.id, t.fmt->ext);
    FUZZ_ASSERT(len > 0 && (size_t)len < sizeof again);
    struct rest_target u;
    FUZZ_ASSERT(rest_parse_path(again, HRP, &u, err, sizeof err) == 0);
    FUZZ_ASSERT(u.res == t.res && u.fmt == t.fmt && strcmp(u.id, t.id) == 0);
}

static void check_query(const char *query)
{
    uint8_t keys[SSE_MAX_ADDRESSES][32];
    size_t n = 99;
    char err[200] = "";
    int status = sse_parse_query(query, HRP, keys, &n, err, sizeof err);
    if (status != 0) {
        FUZZ_ASSERT(status == 400 && err[0] != '\0');
        return;
    }
    FUZZ_ASSERT(n >= 1 && n <= SSE_MAX_ADDRESSES);
    /* The keys as a query of their own read back to themselves. */
    char again[SSE_MAX_ADDRESSES * 100] = "";
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        char addr[96];
        FUZZ_ASSERT(address_encode(HRP, keys[i], addr, sizeof addr) == ADDRESS_OK);
        used += (size_t)snprintf(again + used, sizeof again - used, "%saddress=%s",
                                 i > 0 ? "&" : "", addr);
        FUZZ_ASSERT(used < sizeof again);
    }
    uint8_t keys2[SSE_MAX_ADDRESSES][32];
    size_t n2;
    FUZZ_ASSERT(sse_parse_query(again, HRP, keys2, &n2, err, sizeof err) == 0);
    FUZZ_ASSERT(n2 == n && memcmp(keys, keys2, n * sizeof keys[0]) == 0);
}

static void check_event_id(const char *v)
{
    uint64_t id;
    char err[200] = "";
    if (!sse_parse_event_id(v, &id, err, sizeof err)) {
        FUZZ_ASSERT(err[0] != '\0');
        return;
    }
    /* Leading zeros are the one other spelling of the same id. */
    char printed[24];
    snprintf(printed, sizeof printed, "%" PRIu64, id);
    const char *digits = v;
    while (digits[0] == '0' && digits[1] != '\0')
        digits++;
    FUZZ_ASSERT(strcmp(printed, digits) == 0);
}

void fuzz_one(const uint8_t *data, size_t size)
{
    const char *parts[3];
    fuzz_split(data, size, parts, 3);
    check_path(parts[0]);
    check_query(parts[1]);
    check_event_id(parts[2]);
}
