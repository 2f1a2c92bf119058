#define _POSIX_C_SOURCE 200809L
#include "gateway/gw_account.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include "crypto/random.h"
#include "util/hex.h"
#include "util/sqlitedb.h"
#include "util/time.h"

bool gw_username_normalize(const char *in, char out[GW_USERNAME_MAX + 1])
{
    if (in == NULL)
        return false;
    size_t n = strlen(in);
    if (n < GW_USERNAME_MIN || n > GW_USERNAME_MAX)
        return false;
    char tmp[GW_USERNAME_MAX + 1];
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
        tmp[i] = c;
    }
    tmp[n] = '\0';
    memcpy(out, tmp, n + 1);
    return true;
}

bool gw_password_acceptable(const char *pw, size_t len)
{
    return pw != NULL && len >= GW_PASSWORD_MIN && len <= GW_PASSWORD_MAX &&
           memchr(pw, '\0', len) == NULL;
}

void gw_wallet_name(const char *username, char out[GW_WALLET_NAME_MAX + 1])
{
    snprintf(out, GW_WALLET_NAME_MAX + 1, "gw-%s", username);
}

bool gw_kdf_new(struct gw_kdf *out)
{
    if (!random_bytes(out->salt, sizeof out->salt))
        return false;
    out->n = GW_KDF_N;
    out->r = GW_KDF_R;
    out->p = GW_KDF_P;
    return true;
}

bool gw_kdf_valid(const struct gw_kdf *k)
{
    if (k->n < 2 || k->n > GW_KDF_N_MAX || (k->n & (k->n - 1)) != 0)
        return false;
    if (k->r < 1 || k->r > GW_KDF_R_MAX || k->p < 1 || k->p > GW_KDF_P_MAX)
        return false;
    return 128 * k->r * (k->n + k->p + 2) <= GW_KDF_MEM_MAX;
}

void gw_secret_wipe(struct gw_secret *s)
{
    OPENSSL_cleanse(s, sizeof *s);
}

bool gw_password_derive(const char *password, size_t len, const struct gw_kdf *k,
                        struct gw_secret *out)
{
    if (!gw_kdf_valid(k))
        return false;
    uint8_t key[64];
    /* OpenSSL's default memory cap is below what the default cost needs. */
    uint64_t maxmem = 128 * k->r * (k->n + k->p + 2) + (1u << 20);
    if (EVP_PBE_scrypt(password, len, k->salt, sizeof k->salt, k->n, k->r, k->p, maxmem, key,
                       sizeof key) != 1) {
        OPENSSL_cleanse(key, sizeof key);
        return false;
    }
    memcpy(out->verifier, key, 32);
    hex_encode(key + 32, 32, out->wallet_pass);
    OPENSSL_cleanse(key, sizeof key);
    return true;
}

/* ------------------------------------------------------------ the table */

struct gw_store {
    pthread_mutex_t mu;
    sqlite3 *db;
};

static const char *const gw_schema_sql[] = {
    "CREATE TABLE accounts ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " username TEXT NOT NULL UNIQUE,"
    " wallet TEXT NOT NULL UNIQUE,"
    " address TEXT NOT NULL DEFAULT '',"
    " kdf_salt BLOB NOT NULL, kdf_n INTEGER NOT NULL, kdf_r INTEGER NOT NULL,"
    " kdf_p INTEGER NOT NULL, verifier BLOB NOT NULL,"
    " pend_salt BLOB, pend_n INTEGER, pend_r INTEGER, pend_p INTEGER, pend_verifier BLOB,"
    " created INTEGER NOT NULL,"
    " deleting INTEGER NOT NULL DEFAULT 0)",
};

bool gw_store_open(const char *path, struct gw_store **out, char *err, size_t errlen)
{
    struct gw_store *s = calloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    struct sqlitedb_schema schema = {.app_id = GW_STORE_APP_ID,
                                     .version = GW_STORE_VERSION,
                                     .statements = gw_schema_sql,
                                     .n_statements = sizeof gw_schema_sql / sizeof gw_schema_sql[0]};
    if (!sqlitedb_open(path, &schema, &s->db, err, errlen)) {
        free(s);
        return false;
    }
    /* Verifiers and salts of removed accounts are overwritten, not left in
     * free pages. */
    if (!sqlitedb_exec(s->db, "PRAGMA secure_delete=ON", err, errlen)) {
        sqlite3_close(s->db);
        free(s);
        return false;
    }
    pthread_mutex_init(&s->mu, NULL);
    *out = s;
    return true;
}

void gw_store_close(struct gw_store *s)
{
    if (s == NULL)
        return;
    sqlite3_close(s->db);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static bool blob_copy(sqlite3_stmt *st, int col, uint8_t *out, size_t len)
{
    if (sqlite3_column_type(st, col) != SQLITE_BLOB || (size_t)sqlite3_column_bytes(st, col) != len)
        return false;
    memcpy(out, sqlite3_column_blob(st, col), len);
    return true;
}

static void text_copy(sqlite3_stmt *st, int col, char *out, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(out, cap, "%s", t != NULL ? (const char *)t : "");
}

#define GW_ACCOUNT_COLS                                                                          \
    "id, username, wallet, address, kdf_salt, kdf_n, kdf_r, kdf_p, verifier, pend_salt, pend_n, " \
    "pend_r, pend_p, pend_verifier, created, deleting"

static bool row_read(sqlite3_stmt *st, struct gw_account *a)
{
    memset(a, 0, sizeof *a);
    a->id = sqlite3_column_int64(st, 0);
    text_copy(st, 1, a->username, sizeof a->username);
    text_copy(st, 2, a->wallet, sizeof a->wallet);
    text_copy(st, 3, a->address, sizeof a->address);
    bool ok = blob_copy(st, 4, a->kdf.salt, GW_KDF_SALT_LEN);
    a->kdf.n = (uint64_t)sqlite3_column_int64(st, 5);
    a->kdf.r = (uint64_t)sqlite3_column_int64(st, 6);
    a->kdf.p = (uint64_t)sqlite3_column_int64(st, 7);
    ok = ok && blob_copy(st, 8, a->verifier, 32);
    if (sqlite3_column_type(st, 9) != SQLITE_NULL) {
        a->pending = blob_copy(st, 9, a->pending_kdf.salt, GW_KDF_SALT_LEN) &&
                     blob_copy(st, 13, a->pending_verifier, 32);
        a->pending_kdf.n = (uint64_t)sqlite3_column_int64(st, 10);
        a->pending_kdf.r = (uint64_t)sqlite3_column_int64(st, 11);
        a->pending_kdf.p = (uint64_t)sqlite3_column_int64(st, 12);
    }
    a->created = sqlite3_column_int64(st, 14);
    a->deleting = sqlite3_column_int64(st, 15) != 0;
    return ok;
}

enum gw_store_result gw_store_insert(struct gw_store *s, struct gw_account *a)
{
    pthread_mutex_lock(&s->mu);
    enum gw_store_result r = GW_STORE_ERROR;
    sqlite3_stmt *st = sqlitedb_prepare(
        s->db,
        "INSERT INTO accounts (username, wallet, address, kdf_salt, kdf_n, kdf_r, kdf_p, "
        "verifier, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        NULL, 0);
    if (st != NULL) {
        a->created = time_now();
        sqlite3_bind_text(st, 1, a->username, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, a->wallet, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, a->address, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 4, a->kdf.salt, GW_KDF_SALT_LEN, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, (int64_t)a->kdf.n);
        sqlite3_bind_int64(st, 6, (int64_t)a->kdf.r);
        sqlite3_bind_int64(st, 7, (int64_t)a->kdf.p);
        sqlite3_bind_blob(st, 8, a->verifier, 32, SQLITE_STATIC);
        sqlite3_bind_int64(st, 9, a->created);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE) {
            a->id = sqlite3_last_insert_rowid(s->db);
            r = GW_STORE_OK;
        } else if ((sqlite3_extended_errcode(s->db) & 0xff) == SQLITE_CONSTRAINT) {
            r = GW_STORE_EXISTS;
        }
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&s->mu);
    return r;
}

enum gw_store_result gw_store_get(struct gw_store *s, const char *username, struct gw_account *out)
{
    pthread_mutex_lock(&s->mu);
    enum gw_store_result r = GW_STORE_ERROR;
    sqlite3_stmt *st =
        sqlitedb_prepare(s->db, "SELECT " GW_ACCOUNT_COLS " FROM accounts WHERE username = ?",
                         NULL, 0);
    if (st != NULL) {
        sqlite3_bind_text(st, 1, username, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            r = row_read(st, out) ? GW_STORE_OK : GW_STORE_ERROR;
        else if (rc == SQLITE_DONE)
            r = GW_STORE_NOT_FOUND;
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&s->mu);
    return r;
}

/* Runs an UPDATE/DELETE whose first bound value is the username (last
 * placeholder); NOT_FOUND when it touched no row. */
static enum gw_store_result run_change(struct gw_store *s, sqlite3_stmt *st)
{
    if (st == NULL)
        return GW_STORE_ERROR;
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return GW_STORE_ERROR;
    return sqlite3_changes(s->db) > 0 ? GW_STORE_OK : GW_STORE_NOT_FOUND;
}

enum gw_store_result gw_store_set_address(struct gw_store *s, const char *username,
                                          const char *address)
{
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st =
        sqlitedb_prepare(s->db, "UPDATE accounts SET address = ? WHERE username = ?", NULL, 0);
    if (st != NULL) {
        sqlite3_bind_text(st, 1, address, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, username, -1, SQLITE_STATIC);
    }
    enum gw_store_result r = run_change(s, st);
    pthread_mutex_unlock(&s->mu);
    return r;
}

enum gw_store_result gw_store_set_pending(struct gw_store *s, const char *username,
                                          const struct gw_kdf *kdf, const uint8_t verifier[32])
{
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = sqlitedb_prepare(
        s->db,
        "UPDATE accounts SET pend_salt = ?, pend_n = ?, pend_r = ?, pend_p = ?, "
        "pend_verifier = ? WHERE username = ?",
        NULL, 0);
    if (st != NULL) {
        sqlite3_bind_blob(st, 1, kdf->salt, GW_KDF_SALT_LEN, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (int64_t)kdf->n);
        sqlite3_bind_int64(st, 3, (int64_t)kdf->r);
        sqlite3_bind_int64(st, 4, (int64_t)kdf->p);
        sqlite3_bind_blob(st, 5, verifier, 32, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, username, -1, SQLITE_STATIC);
    }
    enum gw_store_result r = run_change(s, st);
    pthread_mutex_unlock(&s->mu);
    return r;
}

static enum gw_store_result simple_change(struct gw_store *s, const char *sql, const char *username)
{
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = sqlitedb_prepare(s->db, sql, NULL, 0);
    if (st != NULL)
        sqlite3_bind_text(st, 1, username, -1, SQLITE_STATIC);
    enum gw_store_result r = run_change(s, st);
    pthread_mutex_unlock(&s->mu);
    return r;
}

enum gw_store_result gw_store_promote(struct gw_store *s, const char *username)
{
    return simple_change(s,
                         "UPDATE accounts SET kdf_salt = pend_salt, kdf_n = pend_n, "
                         "kdf_r = pend_r, kdf_p = pend_p, verifier = pend_verifier, "
                         "pend_salt = NULL, pend_n = NULL, pend_r = NULL, pend_p = NULL, "
                         "pend_verifier = NULL WHERE username = ? AND pend_salt IS NOT NULL",
                         username);
}

enum gw_store_result gw_store_drop_pending(struct gw_store *s, const char *username)
{
    return simple_change(s,
                         "UPDATE accounts SET pend_salt = NULL, pend_n = NULL, pend_r = NULL, "
                         "pend_p = NULL, pend_verifier = NULL WHERE username = ?",
                         username);
}

enum gw_store_result gw_store_mark_deleting(struct gw_store *s, const char *username)
{
    return simple_change(s, "UPDATE accounts SET deleting = 1 WHERE username = ?", username);
}

enum gw_store_result gw_store_remove(struct gw_store *s, const char *username)
{
    return simple_change(s, "DELETE FROM accounts WHERE username = ?", username);
}

enum gw_store_result gw_store_each_deleting(struct gw_store *s, gw_store_account_fn fn, void *ctx)
{
    /* Collected first: fn may call back into the store. */
    struct gw_account *list = NULL;
    size_t n = 0;
    enum gw_store_result r = GW_STORE_OK;
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = sqlitedb_prepare(
        s->db, "SELECT " GW_ACCOUNT_COLS " FROM accounts WHERE deleting = 1 LIMIT 1000", NULL, 0);
    if (st == NULL)
        r = GW_STORE_ERROR;
    while (r == GW_STORE_OK) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
            break;
        struct gw_account *grown = rc == SQLITE_ROW ? realloc(list, (n + 1) * sizeof *list) : NULL;
        if (grown == NULL) {
            r = GW_STORE_ERROR;
            break;
        }
        list = grown;
        if (!row_read(st, &list[n]))
            r = GW_STORE_ERROR;
        else
            n++;
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    for (size_t i = 0; r == GW_STORE_OK && i < n; i++)
        fn(ctx, &list[i]);
    if (list != NULL)
        OPENSSL_cleanse(list, n * sizeof *list);
    free(list);
    return r;
}
