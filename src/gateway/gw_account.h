/* gw_account: the gateway's platform accounts — the rules for usernames
 * and passwords, the password key derivation, and the accounts table of
 * gateway.sqlite.
 *
 * One scrypt run per password gives 64 bytes: the first 32 are the
 * verifier kept in the table (the "password hash"), the last 32, as 64 hex
 * digits, are the passphrase of the account's wallet. Both come out of
 * scrypt's final PBKDF2 step as separate output blocks, so the stored
 * verifier says nothing about the wallet passphrase: the operator's disk
 * holds no key that opens a wallet while its user is away. The salt and
 * the cost parameters are stored next to the verifier, so a later change
 * of the defaults leaves existing accounts working.
 *
 * A password change is two-phase so a crash between the wallet's
 * re-encryption and the table's update never strands an account: the new
 * parameters are first stored as "pending", then the wallet is
 * re-encrypted, then pending becomes current (gw_store_promote). Login
 * accepts a password that matches either and finishes or drops the
 * pending change accordingly. Deletion is two-phase too: the row is marked
 * deleting before the wallet directory is moved aside, and a start-up
 * finishes any deletion a crash interrupted.
 *
 * The store is one SQLite connection behind a mutex: every function is
 * thread-safe. Secrets are wiped from the stack after use. */
#ifndef SOUK_GATEWAY_GW_ACCOUNT_H
#define SOUK_GATEWAY_GW_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/address.h"

#define GW_USERNAME_MIN 3
#define GW_USERNAME_MAX 32
#define GW_PASSWORD_MIN 8
#define GW_PASSWORD_MAX 1024
/* "gw-" and the username: a wallet directory name. */
#define GW_WALLET_NAME_MAX (3 + GW_USERNAME_MAX)

#define GW_KDF_SALT_LEN 16
#define GW_KDF_N (1u << 15)
#define GW_KDF_R 8u
#define GW_KDF_P 1u
/* Bounds on what a table row may ask for (a damaged or crafted row cannot
 * make a login take more than 8 times the default's memory). */
#define GW_KDF_N_MAX (1u << 18)
#define GW_KDF_R_MAX 16u
#define GW_KDF_P_MAX 4u
#define GW_KDF_MEM_MAX (256u << 20)

#define GW_STORE_APP_ID 0x534b4757 /* "SKGW" */
#define GW_STORE_VERSION 1

/* Lower-cases ASCII letters of `in` into out and checks the result is
 * 3 to 32 of [a-z0-9_-]. False (out untouched) otherwise. */
bool gw_username_normalize(const char *in, char out[GW_USERNAME_MAX + 1]);
/* 8 to GW_PASSWORD_MAX bytes, no NUL (a JSON string may carry one). */
bool gw_password_acceptable(const char *pw, size_t len);
/* "gw-<username>". */
void gw_wallet_name(const char *username, char out[GW_WALLET_NAME_MAX + 1]);

struct gw_kdf {
    uint8_t salt[GW_KDF_SALT_LEN];
    uint64_t n, r, p;
};
/* A fresh random salt with the default cost. */
bool gw_kdf_new(struct gw_kdf *out);
/* n a power of two within bounds, r and p within bounds, memory bounded. */
bool gw_kdf_valid(const struct gw_kdf *k);

struct gw_secret {
    uint8_t verifier[32];
    char wallet_pass[65]; /* 64 hex digits */
};
/* scrypt(password, salt, n, r, p) -> the verifier and the wallet
 * passphrase. False when the parameters are invalid or OpenSSL fails. */
bool gw_password_derive(const char *password, size_t len, const struct gw_kdf *k,
                        struct gw_secret *out);
void gw_secret_wipe(struct gw_secret *s);

/* ---- the accounts table ---- */

struct gw_account {
    int64_t id;
    char username[GW_USERNAME_MAX + 1];
    char wallet[GW_WALLET_NAME_MAX + 1];
    char address[ADDRESS_MAX_LEN + 1]; /* the address shown as the account's */
    struct gw_kdf kdf;
    uint8_t verifier[32];
    bool pending;                      /* a password change under way */
    struct gw_kdf pending_kdf;
    uint8_t pending_verifier[32];
    int64_t created;
    bool deleting;
};

enum gw_store_result {
    GW_STORE_OK,
    GW_STORE_NOT_FOUND,
    GW_STORE_EXISTS,
    GW_STORE_ERROR,
};

struct gw_store;

/* Opens (creating) gateway.sqlite at path, WAL, schema checked. */
bool gw_store_open(const char *path, struct gw_store **out, char *err, size_t errlen);
void gw_store_close(struct gw_store *s);

/* Inserts a new account (id and created are set by the store); EXISTS when
 * the username is taken. */
enum gw_store_result gw_store_insert(struct gw_store *s, struct gw_account *a);
enum gw_store_result gw_store_get(struct gw_store *s, const char *username, struct gw_account *out);
enum gw_store_result gw_store_set_address(struct gw_store *s, const char *username,
                                          const char *address);
enum gw_store_result gw_store_set_pending(struct gw_store *s, const char *username,
                                          const struct gw_kdf *kdf, const uint8_t verifier[32]);
/* The pending parameters become the current ones. */
enum gw_store_result gw_store_promote(struct gw_store *s, const char *username);
enum gw_store_result gw_store_drop_pending(struct gw_store *s, const char *username);
enum gw_store_result gw_store_mark_deleting(struct gw_store *s, const char *username);
enum gw_store_result gw_store_remove(struct gw_store *s, const char *username);
/* Calls fn for each account marked deleting. */
typedef void (*gw_store_account_fn)(void *ctx, const struct gw_account *a);
enum gw_store_result gw_store_each_deleting(struct gw_store *s, gw_store_account_fn fn, void *ctx);

#endif
