/* Signed messages (verifymessage): the signature text a user pastes
 * (rpc_wallet_sig_decode: 88 characters of base64 or 128 hex digits) and
 * the address, message and signature through wallet_verify_message.
 *
 * The input is NUL-separated: signature text, address, message. A decoded
 * signature encodes (rpc_wallet_sig_encode) to base64 that decodes to the
 * same bytes, and to the very input when that was base64 (one text form
 * per signature). Whatever the address and message, verification answers
 * without crashing. For one input in four, a key made from the message
 * signs it as signmessage does (BIP340 over TaggedHash("souk/message",
 * message)): the signature, through its text form, verifies for the key's
 * address, and not for the message with one more byte. */
#include <string.h>

#include "fuzz.h"

#include "crypto/address.h"
#include "crypto/key.h"
#include "crypto/sha256.h"
#include "wallet/rpc_wallet.h"
#include "wallet/wallet.h"

#define HRP "rsouk"

static void check_sig_text(const char *text, uint8_t sig[64], bool *decoded)
{
    *decoded = rpc_wallet_sig_decode(text, sig);
    if (!*decoded)
        return;
    char enc[RPC_WALLET_SIG_TEXT_LEN + 1];
    rpc_wallet_sig_encode(sig, enc);
    FUZZ_ASSERT(strlen(enc) == RPC_WALLET_SIG_TEXT_LEN);
    uint8_t again[64];
    FUZZ_ASSERT(rpc_wallet_sig_decode(enc, again) && memcmp(again, sig, 64) == 0);
    if (strlen(text) == RPC_WALLET_SIG_TEXT_LEN)
        FUZZ_ASSERT(strcmp(enc, text) == 0);
}

static void check_signed(const char *msg)
{
    size_t len = strlen(msg);
    uint8_t secret[32], pub[32], hash[32], sig[64];
    static const uint8_t aux[KEY_AUX_LEN] = {0};
    sha256(msg, len, secret);
    if (!key_pubkey(secret, pub))
        return;
    char addr[ADDRESS_MAX_LEN + 1];
    FUZZ_ASSERT(address_encode(HRP, pub, addr, sizeof addr) == ADDRESS_OK);
    sha256_tagged("souk/message", msg, len, hash);
    FUZZ_ASSERT(key_sign_custom(secret, hash, sizeof hash, aux, sig));
    char text[RPC_WALLET_SIG_TEXT_LEN + 1];
    rpc_wallet_sig_encode(sig, text);
    uint8_t back[64];
    FUZZ_ASSERT(rpc_wallet_sig_decode(text, back));
    FUZZ_ASSERT(wallet_verify_message(HRP, addr, msg, len, back));
    char longer[4097];
    if (len + 1 < sizeof longer) {
        memcpy(longer, msg, len);
        longer[len] = 'x';
        FUZZ_ASSERT(!wallet_verify_message(HRP, addr, longer, len + 1, back));
    }
}

void fuzz_one(const uint8_t *data, size_t size)
{
    const char *part[3];
    fuzz_split(data, size, part, 3);
    uint8_t sig[64];
    bool decoded;
    check_sig_text(part[0], sig, &decoded);
    if (decoded)
        (void)wallet_verify_message(HRP, part[1], part[2], strlen(part[2]), sig);
    if (size > 0 && data[size - 1] % 4 == 0)
        check_signed(part[2]);
}
