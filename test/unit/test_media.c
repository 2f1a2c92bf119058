#include "unit.h"
#include "fixture.h"

#include <sqlite3.h>
#include <string.h>

#include "consensus/media.h"
#include "consensus/serialize.h"
#include "plugins/market/media_store.h"

/* Listing photos: the blob format's canonical codec and image check
 * (consensus/media.h), and the store that keeps them (media_store.h):
 * named and unnamed blobs, the cap, the wanted list and the sweep. */

static const uint8_t png_head[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13};

static void make(struct media *m, const char *mime, const uint8_t *bytes, size_t len)
{
    media_init(m);
    m->mime_len = strlen(mime);
    memcpy(m->mime, mime, m->mime_len + 1);
    ck_assert(buf_append(&m->bytes, bytes, len));
}

START_TEST(codec_round_trip)
{
    struct media m, d;
    make(&m, "image/png", png_head, sizeof png_head);
    struct buf enc;
    buf_init(&enc);
    ck_assert(media_encode(&m, &enc));
    /* [1, "image/png", bin8(12)] */
    ck_assert_uint_eq(enc.len, 1 + 1 + 10 + 2 + sizeof png_head);
    ck_assert_uint_eq(enc.data[0], 0x93);
    media_init(&d);
    ck_assert_int_eq(media_decode(enc.data, enc.len, &d), MEDIA_OK);
    ck_assert_str_eq(d.mime, "image/png");
    ck_assert_uint_eq(d.bytes.len, sizeof png_head);
    ck_assert_mem_eq(d.bytes.data, png_head, sizeof png_head);
    ck_assert_int_eq(media_check_image(&d), MEDIA_OK);
    uint8_t id[32], again[32];
    media_id(enc.data, enc.len, id);
    media_id(enc.data, enc.len, again);
    ck_assert_mem_eq(id, again, 32);
    enc.data[enc.len - 1] ^= 1;
    media_id(enc.data, enc.len, again);
    ck_assert(memcmp(id, again, 32) != 0);
    media_clear(&d);
    media_clear(&m);
    buf_clear(&enc);
}
END_TEST

START_TEST(codec_refusals)
{
    struct media d;
    media_init(&d);
    /* version 2 */
    static const uint8_t v2[] = {0x93, 0x02, 0xa1, 'x', 0xc4, 0x01, 0xff};
    ck_assert_int_eq(media_decode(v2, sizeof v2, &d), MEDIA_ERR_VERSION);
    /* the version written as uint8 (0xcc 0x01): not canonical */
    static const uint8_t wide[] = {0x93, 0xcc, 0x01, 0xa1, 'x', 0xc4, 0x01, 0xff};
    ck_assert_int_eq(media_decode(wide, sizeof wide, &d), MEDIA_ERR_MALFORMED);
    /* bytes as a str, mime as bin, two fields, a trailing byte */
    static const uint8_t str_bytes[] = {0x93, 0x01, 0xa1, 'x', 0xa1, 'y'};
    ck_assert_int_eq(media_decode(str_bytes, sizeof str_bytes, &d), MEDIA_ERR_MALFORMED);
    static const uint8_t bin_mime[] = {0x93, 0x01, 0xc4, 0x01, 'x', 0xc4, 0x01, 'y'};
    ck_assert_int_eq(media_decode(bin_mime, sizeof bin_mime, &d), MEDIA_ERR_MALFORMED);
    static const uint8_t two[] = {0x92, 0x01, 0xa1, 'x'};
    ck_assert_int_eq(media_decode(two, sizeof two, &d), MEDIA_ERR_MALFORMED);
    static const uint8_t trailing[] = {0x93, 0x01, 0xa1, 'x', 0xc4, 0x01, 0xff, 0x00};
    ck_assert_int_eq(media_decode(trailing, sizeof trailing, &d), MEDIA_ERR_MALFORMED);
    /* a mime of 65 bytes, bytes of 512 KiB + 1 */
    struct media m;
    char mime[MEDIA_MIME_MAX + 2];
    memset(mime, 'a', sizeof mime - 1);
    mime[sizeof mime - 1] = '\0';
    make(&m, "image/png", png_head, sizeof png_head);
    struct buf enc;
    buf_init(&enc);
    struct ser_writer w;
    ser_writer_init(&w, &enc);
    ser_write_array(&w, 3);
    ser_write_uint(&w, 1);
    ser_write_str(&w, mime, MEDIA_MIME_MAX + 1);
    ser_write_bin(&w, png_head, sizeof png_head);
    ck_assert(ser_writer_ok(&w));
    ck_assert_int_eq(media_decode(enc.data, enc.len, &d), MEDIA_ERR_OVERSIZE);
    ck_assert(buf_reserve(&m.bytes, MEDIA_BYTES_MAX + 1));
    memset(m.bytes.data + m.bytes.len, 0, MEDIA_BYTES_MAX + 1 - m.bytes.len);
    m.bytes.len = MEDIA_BYTES_MAX + 1;
    buf_reset(&enc);
    ck_assert(!media_encode(&m, &enc)); /* the encoder keeps the limit too */
    ser_writer_init(&w, &enc);
    ser_write_array(&w, 3);
    ser_write_uint(&w, 1);
    ser_write_str(&w, "image/png", 9);
    ser_write_bin(&w, m.bytes.data, m.bytes.len);
    ck_assert(ser_writer_ok(&w));
    ck_assert_int_eq(media_decode(enc.data, enc.len, &d), MEDIA_ERR_OVERSIZE);
    m.bytes.len = MEDIA_BYTES_MAX;
    buf_reset(&enc);
    ck_assert(media_encode(&m, &enc));
    ck_assert_int_eq(media_decode(enc.data, enc.len, &d), MEDIA_OK);
    ck_assert_uint_eq(d.bytes.len, MEDIA_BYTES_MAX);
    ck_assert_str_eq(media_reason(MEDIA_ERR_NOT_IMAGE), "media-not-image");
    ck_assert_str_eq(media_reason(MEDIA_ERR_COUNT_), "media-unknown");
    media_clear(&m);
    media_clear(&d);
    buf_clear(&enc);
}
END_TEST

START_TEST(images_by_magic)
{
    static const struct {
        const char *bytes;
        size_t len;
        const char *mime;
    } cases[] = {
        {"\x89PNG\r\n\x1a\n", 8, "image/png"},
        {"\xff\xd8\xff\xe0", 4, "image/jpeg"},
        {"RIFF\x10\0\0\0WEBPVP8 ", 16, "image/webp"},
        {"GIF87a", 6, "image/gif"},
        {"GIF89a..", 8, "image/gif"},
        {"\x89PNG\r\n\x1a", 7, NULL},      /* cut short */
        {"RIFF\x10\0\0\0WAVE", 12, NULL},  /* another RIFF */
        {"GIF88a", 6, NULL},
        {"<svg xmlns=", 11, NULL},         /* scripts can hide in SVG: not a photo */
        {"%PDF-1.7", 8, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = media_image_mime((const uint8_t *)cases[i].bytes, cases[i].len);
        if (cases[i].mime == NULL) {
            ck_assert_msg(got == NULL, "case %zu", i);
            continue;
        }
        ck_assert_str_eq(got, cases[i].mime);
        struct media m;
        make(&m, cases[i].mime, (const uint8_t *)cases[i].bytes, cases[i].len);
        ck_assert_int_eq(media_check_image(&m), MEDIA_OK);
        media_clear(&m);
        make(&m, strcmp(cases[i].mime, "image/png") == 0 ? "image/gif" : "image/png",
             (const uint8_t *)cases[i].bytes, cases[i].len);
        ck_assert_int_eq(media_check_image(&m), MEDIA_ERR_MIME);
        media_clear(&m);
    }
    struct media m;
    make(&m, "image/png", (const uint8_t *)"", 0);
    ck_assert_int_eq(media_check_image(&m), MEDIA_ERR_EMPTY);
    media_clear(&m);
    make(&m, "text/plain", (const uint8_t *)"hello", 5);
    ck_assert_int_eq(media_check_image(&m), MEDIA_ERR_NOT_IMAGE);
    media_clear(&m);
}
END_TEST

/* ---- the store ---- */

static sqlite3 *open_store(void)
{
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
    for (size_t i = 0; i < MEDIA_STORE_N_SCHEMA; i++)
        ck_assert_int_eq(sqlite3_exec(db, media_store_schema[i], NULL, NULL, NULL), SQLITE_OK);
    return db;
}

static void id_of(int n, uint8_t id[32])
{
    memset(id, 0, 32);
    id[0] = (uint8_t)n;
}

static enum media_store_add add(sqlite3 *db, int n, size_t size, bool local, int64_t now,
                                uint64_t max)
{
    static uint8_t body[4096];
    uint8_t id[32];
    id_of(n, id);
    enum media_store_add res;
    char err[200];
    ck_assert_msg(media_store_add(db, id, "image/png", body, size, local, now, max, &res, err,
                                  sizeof err),
                  "%s", err);
    return res;
}

static bool have(sqlite3 *db, int n)
{
    uint8_t id[32];
    id_of(n, id);
    return media_store_have(db, id);
}

static void name(sqlite3 *db, int n, bool named, int64_t now)
{
    uint8_t id[32];
    id_of(n, id);
    char err[200];
    ck_assert(media_store_set_named(db, id, named, now, NULL, err, sizeof err));
}

START_TEST(store_add_get_and_cap)
{
    sqlite3 *db = open_store();
    ck_assert_int_eq(add(db, 1, 1000, true, 100, 3000), MEDIA_STORE_ADDED);
    ck_assert_int_eq(add(db, 1, 1000, false, 101, 3000), MEDIA_STORE_EXISTS);
    ck_assert_int_eq(add(db, 2, 1000, false, 102, 3000), MEDIA_STORE_ADDED);
    struct media_store_info info;
    ck_assert(media_store_info(db, &info));
    ck_assert_uint_eq(info.blobs, 2);
    ck_assert_uint_eq(info.bytes, 2000);
    /* unnamed blobs are neither served nor listed */
    uint8_t id[32], ids[4][32];
    id_of(1, id);
    struct buf out;
    buf_init(&out);
    struct media_store_row row;
    bool found = true;
    ck_assert(media_store_get(db, id, true, &out, &row, &found));
    ck_assert(!found);
    ck_assert(media_store_get(db, id, false, &out, &row, &found));
    ck_assert(found && row.local && !row.named && row.since == 100);
    ck_assert_uint_eq(out.len, 1000);
    ck_assert_int_eq(media_store_ids(db, false, NULL, ids, 4), 0);
    name(db, 2, true, 103);
    ck_assert_int_eq(media_store_ids(db, false, NULL, ids, 4), 1);
    /* full: the oldest unnamed blob (1) makes room; the named one (2) stays */
    ck_assert_int_eq(add(db, 3, 1500, false, 104, 3000), MEDIA_STORE_ADDED);
    ck_assert(!have(db, 1) && have(db, 2) && have(db, 3));
    /* one that would not fit even without every unnamed blob is refused,
     * and nothing is dropped for it */
    name(db, 3, true, 105);
    ck_assert_int_eq(add(db, 4, 600, false, 106, 3000), MEDIA_STORE_FULL);
    ck_assert(have(db, 2) && have(db, 3) && !have(db, 4));
    ck_assert(media_store_info(db, &info));
    ck_assert_uint_eq(info.bytes, 2500);
    ck_assert_uint_eq(info.named, 2);
    ck_assert_int_eq(add(db, 5, 500, false, 107, 3000), MEDIA_STORE_ADDED);
    ck_assert_int_eq(add(db, 6, 4000, false, 108, 3000), MEDIA_STORE_FULL);
    buf_clear(&out);
    sqlite3_close(db);
}
END_TEST

/* The ids an imaginary chain's active listings name. */
static bool named_set[16];
static int fake_named(void *ctx, const uint8_t id[32])
{
    (void)ctx;
    return id[0] < 16 && named_set[id[0]];
}

START_TEST(store_wanted_and_sweep)
{
    sqlite3 *db = open_store();
    char err[200];
    uint8_t id[32];
    memset(named_set, 0, sizeof named_set);
    /* 1: a seller's photo waiting for its listing; 2: a wanted photo that
     * arrives; 3: wanted, never arrives, its listing closes */
    ck_assert_int_eq(add(db, 1, 100, true, 1000, 1 << 20), MEDIA_STORE_ADDED);
    id_of(2, id);
    ck_assert(media_store_want(db, id, 1000, err, sizeof err));
    ck_assert(media_store_wanted(db, id));
    ck_assert_int_eq(add(db, 2, 100, false, 1001, 1 << 20), MEDIA_STORE_ADDED);
    ck_assert(!media_store_wanted(db, id));
    struct buf out;
    buf_init(&out);
    struct media_store_row row;
    bool found;
    ck_assert(media_store_get(db, id, true, &out, &row, &found));
    ck_assert(found && row.named && !row.local); /* wanted means named */
    id_of(3, id);
    ck_assert(media_store_want(db, id, 1000, err, sizeof err));
    named_set[1] = named_set[2] = named_set[3] = true;

    uint8_t named_ids[4][32], want_ids[4][32];
    struct media_store_sweep s = {.named_ids = named_ids, .want_ids = want_ids, .max_out = 4};
    ck_assert(media_store_sweep(db, fake_named, NULL, 2000, 500, &s, err, sizeof err));
    ck_assert_uint_eq(s.renamed, 1); /* the seller's photo: its listing connected */
    ck_assert_uint_eq(s.n_named_ids, 1);
    ck_assert_uint_eq(named_ids[0][0], 1);
    ck_assert_uint_eq(s.n_want_ids, 1); /* 3 is asked for again */
    ck_assert_uint_eq(want_ids[0][0], 3);
    ck_assert_uint_eq(s.dropped + s.unnamed + s.unwanted, 0);

    /* the listings close: unnamed at 3000, kept 500 s, then dropped */
    memset(named_set, 0, sizeof named_set);
    ck_assert(media_store_sweep(db, fake_named, NULL, 3000, 500, &s, err, sizeof err));
    ck_assert_uint_eq(s.unnamed, 2);
    ck_assert_uint_eq(s.unwanted, 1);
    ck_assert(!media_store_wanted(db, id));
    ck_assert(media_store_sweep(db, fake_named, NULL, 3499, 500, &s, err, sizeof err));
    ck_assert_uint_eq(s.dropped, 0);
    ck_assert(have(db, 1) && have(db, 2));
    /* 2 is named again by another listing before its time runs out */
    named_set[2] = true;
    ck_assert(media_store_sweep(db, fake_named, NULL, 3500, 500, &s, err, sizeof err));
    ck_assert_uint_eq(s.dropped, 1);
    ck_assert_uint_eq(s.renamed, 1);
    ck_assert(!have(db, 1) && have(db, 2));
    struct media_store_info info;
    ck_assert(media_store_info(db, &info));
    ck_assert_uint_eq(info.blobs, 1);
    ck_assert_uint_eq(info.named, 1);
    ck_assert_uint_eq(info.wanted, 0);
    buf_clear(&out);
    sqlite3_close(db);
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {codec_round_trip, codec_refusals, images_by_magic,
                            store_add_get_and_cap, store_wanted_and_sweep, NULL};
    return fixture_suite("media", NULL, tests);
}
