/* inet_pton and inet_ntop are POSIX. */
#define _POSIX_C_SOURCE 200809L

#include "p2p/banman.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p2p/datafile.h"
#include "util/grow.h"
#include "util/log.h"
#include "util/time.h"

#define FILE_VERSION 1

struct discouraged {
    struct netaddr ip;
    int64_t until;
};

struct banman {
    pthread_mutex_t mu;
    char *path;               /* NULL: not persisted */
    struct banman_entry *bans;
    size_t n_bans, cap_bans;
    struct discouraged *disc;
    size_t n_disc;
    bool dirty;               /* bans changed since the last successful write */
};

static const char *const err_text[BANMAN_ERR_COUNT_] = {
    [BANMAN_OK] = "ok",
    [BANMAN_ERR_ALREADY] = "IP/subnet already banned",
    [BANMAN_ERR_NOT_FOUND] = "IP/subnet was not manually banned",
    [BANMAN_ERR_EXPIRED] = "the ban would already be over",
    [BANMAN_ERR_FULL] = "too many bans in force",
    [BANMAN_ERR_NOMEM] = "out of memory",
};

const char *banman_strerror(enum banman_err e)
{
    if ((unsigned)e >= BANMAN_ERR_COUNT_)
        return "unknown ban error";
    return err_text[e];
}

/* ---- subnets ---------------------------------------------------------- */

/* Clears every bit of a below the first `prefix` bits. */
static void mask_to_prefix(uint8_t a[NETADDR_LEN], unsigned prefix)
{
    for (unsigned i = 0; i < NETADDR_LEN; i++) {
        unsigned bit0 = i * 8;
        if (prefix >= bit0 + 8)
            continue;
        if (prefix <= bit0)
            a[i] = 0;
        else
            a[i] &= (uint8_t)(0xff << (8 - (prefix - bit0)));
    }
}

bool banman_subnet_parse(const char *s, struct banman_subnet *out, char *err, size_t errlen)
{
    if (!s || !*s) {
        snprintf(err, errlen, "empty IP/subnet");
        return false;
    }
    char host[NETADDR_STR_MAX];
    const char *slash = strchr(s, '/');
    size_t hl = slash ? (size_t)(slash - s) : strlen(s);
    if (hl == 0 || hl >= sizeof host) {
        snprintf(err, errlen, "'%s' is not an IP address or subnet", s);
        return false;
    }
    memcpy(host, s, hl);
    host[hl] = '\0';

    struct banman_subnet sn;
    unsigned max_prefix, offset;
    uint8_t v4[4];
    if (inet_pton(AF_INET, host, v4) == 1) {
        netaddr_from_ipv4(&sn.net, v4);
        max_prefix = 32;
        offset = 96;
    } else if (inet_pton(AF_INET6, host, sn.net.ip) == 1) {
        max_prefix = 128;
        offset = 0;
    } else {
        snprintf(err, errlen, "'%s' is not a numeric IPv4 or IPv6 address", host);
        return false;
    }

    unsigned prefix = max_prefix;
    if (slash) {
        const char *p = slash + 1;
        size_t pl = strlen(p);
        bool digits = pl >= 1 && pl <= 3;
        for (size_t i = 0; digits && i < pl; i++)
            digits = p[i] >= '0' && p[i] <= '9';
        prefix = digits ? (unsigned)strtoul(p, NULL, 10) : max_prefix + 1;
        if (prefix > max_prefix) {
            snprintf(err, errlen, "prefix length '%s' is not a number from 0 to %u", p,
                     max_prefix);
            return false;
        }
    }
    sn.prefix = (uint8_t)(prefix + offset);
    mask_to_prefix(sn.net.ip, sn.prefix);
    *out = sn;
    return true;
}

void banman_subnet_format(const struct banman_subnet *sn, char out[BANMAN_SUBNET_STR_MAX])
{
    char host[NETADDR_STR_MAX];
    const char *r;
    unsigned prefix = sn->prefix;
    if (netaddr_is_ipv4(&sn->net) && prefix >= 96) {
        r = inet_ntop(AF_INET, sn->net.ip + 12, host, sizeof host);
        prefix -= 96;
    } else {
        r = inet_ntop(AF_INET6, sn->net.ip, host, sizeof host);
    }
    if (!r)
        snprintf(host, sizeof host, "?");
    snprintf(out, BANMAN_SUBNET_STR_MAX, "%s/%u", host, prefix);
}

void banman_subnet_single(const struct netaddr *ip, struct banman_subnet *out)
{
    out->net = *ip;
    out->prefix = 128;
}

bool banman_subnet_contains(const struct banman_subnet *sn, const struct netaddr *ip)
{
    struct netaddr masked = *ip;
    mask_to_prefix(masked.ip, sn->prefix);
    return netaddr_equal(&masked, &sn->net);
}

bool banman_subnet_equal(const struct banman_subnet *a, const struct banman_subnet *b)
{
    return a->prefix == b->prefix && netaddr_equal(&a->net, &b->net);
}

/* ---- internals (lock held) -------------------------------------------- */

static int find_ban(const struct banman *bm, const struct banman_subnet *sn)
{
    for (size_t i = 0; i < bm->n_bans; i++)
        if (banman_subnet_equal(&bm->bans[i].subnet, sn))
            return (int)i;
    return -1;
}

static bool is_banned_locked(const struct banman *bm, const struct netaddr *ip, int64_t now)
{
    for (size_t i = 0; i < bm->n_bans; i++)
        if (bm->bans[i].until > now && banman_subnet_contains(&bm->bans[i].subnet, ip))
            return true;
    return false;
}

static void remove_ban_at(struct banman *bm, size_t i)
{
    /* Keep the order: bans are listed oldest first. */
    memmove(&bm->bans[i], &bm->bans[i + 1], sizeof bm->bans[0] * (bm->n_bans - i - 1));
    bm->n_bans--;
    bm->dirty = true;
}

static size_t sweep_locked(struct banman *bm, int64_t now)
{
    size_t removed = 0;
    for (size_t i = bm->n_bans; i-- > 0;) {
        if (bm->bans[i].until <= now) {
            remove_ban_at(bm, i);
            removed++;
        }
    }
    size_t k = 0;
    for (size_t i = 0; i < bm->n_disc; i++)
        if (bm->disc[i].until > now)
            bm->disc[k++] = bm->disc[i];
    bm->n_disc = k;
    return removed;
}

static enum banman_err append_ban(struct banman *bm, const struct banman_entry *e)
{
    if (bm->n_bans >= BANMAN_BANS_MAX)
        return BANMAN_ERR_FULL;
    if (!grow_array((void **)&bm->bans, &bm->cap_bans, bm->n_bans + 1, sizeof *bm->bans, 16))
        return BANMAN_ERR_NOMEM;
    bm->bans[bm->n_bans++] = *e;
    bm->dirty = true;
    return BANMAN_OK;
}

static char *encode_json(const struct banman *bm)
{
    json_t *list = json_array();
    json_t *root = json_pack("{s:i, s:o}", "version", FILE_VERSION, "banned", list);
    if (!root)
        return NULL;
    for (size_t i = 0; i < bm->n_bans; i++) {
        char s[BANMAN_SUBNET_STR_MAX];
        banman_subnet_format(&bm->bans[i].subnet, s);
        json_t *e = json_pack("{s:s, s:I, s:I}", "address", s, "ban_created",
                              (json_int_t)bm->bans[i].created, "banned_until",
                              (json_int_t)bm->bans[i].until);
        if (!e || json_array_append_new(list, e) != 0) {
            json_decref(root);
            return NULL;
        }
    }
    char *text = json_dumps(root, JSON_INDENT(2));
    json_decref(root);
    return text;
}

static bool write_locked(struct banman *bm, char *err, size_t errlen)
{
    if (!bm->path || !bm->dirty)
        return true;
    char *text = encode_json(bm);
    if (!text) {
        snprintf(err, errlen, "out of memory encoding %s", bm->path);
        return false;
    }
    bool ok = datafile_write_atomic(bm->path, text, strlen(text), err, errlen);
    free(text);
    if (ok)
        bm->dirty = false;
    return ok;
}

/* Saves after a change; a failure is logged and left for the next flush. */
static void save_after_change(struct banman *bm)
{
    char err[512];
    if (!write_locked(bm, err, sizeof err))
        LOG_ERROR(LOG_CAT_NET, "could not save the ban list: %s", err);
}

static bool json_time(const json_t *o, const char *key, int64_t *out)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return false;
    *out = (int64_t)json_integer_value(v);
    return true;
}

/* Fills bm (only its ban list, which starts empty) from banlist.json text;
 * false with a reason (bm may then hold part of the file). */
static bool decode_json(struct banman *bm, const char *text, size_t len, int64_t now,
                        char *why, size_t whylen)
{
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        snprintf(why, whylen, "not JSON: %s at line %d", jerr.text, jerr.line);
        return false;
    }
    bool ok = false;
    const json_t *version = json_object_get(root, "version");
    const json_t *list = json_object_get(root, "banned");
    if (!json_is_object(root) || !json_is_integer(version) ||
        json_integer_value(version) != FILE_VERSION || !json_is_array(list)) {
        snprintf(why, whylen, "not a version %d ban list", FILE_VERSION);
        goto out;
    }
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *o = json_array_get(list, i);
        const char *addr = json_string_value(json_object_get(o, "address"));
        struct banman_entry e;
        char perr[160];
        if (!json_is_object(o) || !addr) {
            snprintf(why, whylen, "entry %zu has no address", i);
            goto out;
        }
        if (!banman_subnet_parse(addr, &e.subnet, perr, sizeof perr)) {
            snprintf(why, whylen, "entry %zu: %s", i, perr);
            goto out;
        }
        if (!json_time(o, "ban_created", &e.created) ||
            !json_time(o, "banned_until", &e.until)) {
            snprintf(why, whylen, "entry %zu has no valid ban_created/banned_until", i);
            goto out;
        }
        if (e.until <= now)
            continue;
        int at = find_ban(bm, &e.subnet);
        if (at >= 0) {
            if (bm->bans[at].until < e.until)
                bm->bans[at] = e;
            continue;
        }
        enum banman_err be = append_ban(bm, &e);
        if (be != BANMAN_OK) {
            snprintf(why, whylen, "%s", banman_strerror(be));
            goto out;
        }
    }
    ok = true;
out:
    json_decref(root);
    return ok;
}

static void load(struct banman *bm)
{
    struct buf b;
    buf_init(&b);
    char err[512];
    enum datafile_read_result rr = datafile_read(bm->path, BANMAN_FILE_MAX, &b, err, sizeof err);
    if (rr == DATAFILE_READ_MISSING)
        return;
    if (rr == DATAFILE_READ_ERROR) {
        LOG_WARN(LOG_CAT_NET, "%s; starting with no bans", err);
        return;
    }
    char why[512];
    if (rr == DATAFILE_READ_TOO_LARGE) {
        snprintf(why, sizeof why, "%s", err);
    } else if (banman_decode(bm, (const char *)b.data, b.len, why, sizeof why)) {
        buf_clear(&b);
        bm->dirty = false;
        LOG_INFO(LOG_CAT_NET, "loaded %zu bans from %s", bm->n_bans, bm->path);
        return;
    }
    buf_clear(&b);
    char moved[4200], merr[512];
    if (datafile_move_aside(bm->path, moved, sizeof moved, merr, sizeof merr))
        LOG_WARN(LOG_CAT_NET, "%s is corrupt (%s): moved it to %s and starting with no bans",
                 bm->path, why, moved);
    else
        LOG_WARN(LOG_CAT_NET, "%s is corrupt (%s) and could not be moved aside (%s): "
                 "starting with no bans", bm->path, why, merr);
}

/* ---- public API ------------------------------------------------------- */

bool banman_decode(struct banman *bm, const char *text, size_t len, char *why, size_t whylen)
{
    struct banman fresh;
    memset(&fresh, 0, sizeof fresh);
    if (!decode_json(&fresh, text, len, time_now(), why, whylen)) {
        free(fresh.bans);
        return false;
    }
    pthread_mutex_lock(&bm->mu);
    struct banman_entry *old = bm->bans;
    bm->bans = fresh.bans;
    bm->n_bans = fresh.n_bans;
    bm->cap_bans = fresh.cap_bans;
    bm->dirty = true;
    pthread_mutex_unlock(&bm->mu);
    free(old);
    return true;
}

char *banman_encode(struct banman *bm)
{
    pthread_mutex_lock(&bm->mu);
    char *text = encode_json(bm);
    pthread_mutex_unlock(&bm->mu);
    return text;
}

struct banman *banman_new(const char *path)
{
    struct banman *bm = calloc(1, sizeof *bm);
    if (!bm)
        return NULL;
    if (path) {
        bm->path = strdup(path);
        if (!bm->path) {
            free(bm);
            return NULL;
        }
    }
    pthread_mutex_init(&bm->mu, NULL);
    if (bm->path)
        load(bm);
    return bm;
}

void banman_free(struct banman *bm)
{
    if (!bm)
        return;
    pthread_mutex_destroy(&bm->mu);
    free(bm->path);
    free(bm->bans);
    free(bm->disc);
    free(bm);
}

enum banman_err banman_ban(struct banman *bm, const struct banman_subnet *sn, int64_t until)
{
    pthread_mutex_lock(&bm->mu);
    int64_t now = time_now();
    enum banman_err r = BANMAN_OK;
    /* Stored subnets always have their host bits cleared. */
    struct banman_entry e = {.subnet = *sn, .created = now, .until = until};
    if (e.subnet.prefix > 128)
        e.subnet.prefix = 128;
    mask_to_prefix(e.subnet.net.ip, e.subnet.prefix);
    sweep_locked(bm, now);
    if (until <= now)
        r = BANMAN_ERR_EXPIRED;
    else if (e.subnet.prefix == 128 ? is_banned_locked(bm, &e.subnet.net, now)
                                    : find_ban(bm, &e.subnet) >= 0)
        r = BANMAN_ERR_ALREADY;
    else
        r = append_ban(bm, &e);
    if (r == BANMAN_OK) {
        char s[BANMAN_SUBNET_STR_MAX];
        banman_subnet_format(&e.subnet, s);
        LOG_INFO(LOG_CAT_NET, "banned %s for %lld s", s, (long long)(until - now));
    }
    save_after_change(bm);
    pthread_mutex_unlock(&bm->mu);
    return r;
}

enum banman_err banman_unban(struct banman *bm, const struct banman_subnet *sn)
{
    pthread_mutex_lock(&bm->mu);
    sweep_locked(bm, time_now());
    struct banman_subnet key = *sn;
    if (key.prefix > 128)
        key.prefix = 128;
    mask_to_prefix(key.net.ip, key.prefix);
    int at = find_ban(bm, &key);
    if (at >= 0)
        remove_ban_at(bm, (size_t)at);
    save_after_change(bm);
    pthread_mutex_unlock(&bm->mu);
    return at >= 0 ? BANMAN_OK : BANMAN_ERR_NOT_FOUND;
}

void banman_clear(struct banman *bm)
{
    pthread_mutex_lock(&bm->mu);
    if (bm->n_bans > 0)
        bm->dirty = true;
    bm->n_bans = 0;
    bm->n_disc = 0;
    save_after_change(bm);
    pthread_mutex_unlock(&bm->mu);
}

bool banman_is_banned(struct banman *bm, const struct netaddr *ip)
{
    pthread_mutex_lock(&bm->mu);
    bool r = is_banned_locked(bm, ip, time_now());
    pthread_mutex_unlock(&bm->mu);
    return r;
}

size_t banman_count(struct banman *bm)
{
    pthread_mutex_lock(&bm->mu);
    sweep_locked(bm, time_now());
    size_t n = bm->n_bans;
    pthread_mutex_unlock(&bm->mu);
    return n;
}

size_t banman_list(struct banman *bm, struct banman_entry *out, size_t max)
{
    pthread_mutex_lock(&bm->mu);
    sweep_locked(bm, time_now());
    size_t n = bm->n_bans < max ? bm->n_bans : max;
    if (n > 0)
        memcpy(out, bm->bans, sizeof *out * n);
    pthread_mutex_unlock(&bm->mu);
    return n;
}

size_t banman_sweep(struct banman *bm)
{
    pthread_mutex_lock(&bm->mu);
    size_t n = sweep_locked(bm, time_now());
    pthread_mutex_unlock(&bm->mu);
    return n;
}

bool banman_flush(struct banman *bm, char *err, size_t errlen)
{
    pthread_mutex_lock(&bm->mu);
    sweep_locked(bm, time_now());
    bool ok = write_locked(bm, err, errlen);
    pthread_mutex_unlock(&bm->mu);
    return ok;
}

void banman_discourage(struct banman *bm, const struct netaddr *ip)
{
    pthread_mutex_lock(&bm->mu);
    int64_t now = time_now();
    int64_t until = now + BANMAN_DISCOURAGE_SECS;
    size_t slot = bm->n_disc;
    for (size_t i = 0; i < bm->n_disc; i++) {
        if (netaddr_equal(&bm->disc[i].ip, ip)) {
            slot = i;
            break;
        }
    }
    if (slot == bm->n_disc) {
        if (!bm->disc) {
            bm->disc = malloc(sizeof *bm->disc * BANMAN_DISCOURAGED_MAX);
            if (!bm->disc) {
                pthread_mutex_unlock(&bm->mu);
                return;
            }
        }
        if (bm->n_disc < BANMAN_DISCOURAGED_MAX) {
            bm->n_disc++;
        } else {
            /* Full: the address closest to being forgiven makes room. */
            slot = 0;
            for (size_t i = 1; i < bm->n_disc; i++)
                if (bm->disc[i].until < bm->disc[slot].until)
                    slot = i;
        }
    }
    bm->disc[slot].ip = *ip;
    bm->disc[slot].until = until;
    pthread_mutex_unlock(&bm->mu);
}

bool banman_is_discouraged(struct banman *bm, const struct netaddr *ip)
{
    pthread_mutex_lock(&bm->mu);
    int64_t now = time_now();
    bool r = false;
    for (size_t i = 0; i < bm->n_disc && !r; i++)
        r = bm->disc[i].until > now && netaddr_equal(&bm->disc[i].ip, ip);
    pthread_mutex_unlock(&bm->mu);
    return r;
}
