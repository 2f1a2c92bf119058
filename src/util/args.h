/* args: command-line and souk.conf option parsing, bitcoind style.
 *
 * A program describes its options once, in a table of struct args_option.
 * struct args then collects values from the command line and from config
 * files, picks the network, and answers typed queries. It owns copies of
 * every value and positional argument; the table itself is borrowed and must
 * outlive the struct.
 *
 * Command line: -key=value, -key (means "1"), -nokey (means "0"), and --key
 * like -key. The first argument not starting with '-' ends the options; it
 * and everything after it are positional (souk-cli's method and params). A
 * bare "--" also ends the options and is dropped.
 *
 * Config file: key=value lines (no leading '-'), blank lines, '#' comments
 * (a '#' at the start of a line or after a space or tab; a '#' inside a value
 * such as a password is kept), whitespace trimmed around keys and values.
 * Lines under [main], [test] or [regtest] apply only on that network; lines
 * before any section apply everywhere. nokey=1 negates as on the command line.
 *
 * Precedence, per option: command line, then the chosen network's section,
 * then the top of the config file. Within one source a later value replaces
 * an earlier one; for options flagged ARGS_MULTI the values of the winning
 * source are all kept (so command-line -addnode values replace, not extend,
 * the config file's), and a negation discards the values before it.
 *
 * The options "testnet" and "regtest", when in the table, choose the network;
 * they may come from the command line or the top of the config file, not
 * from a section, and may not both be set.
 *
 * Nothing here prints or exits: every failure is an enum args_err plus a
 * message in the caller's buffer naming the option (and, for a config file,
 * the file and line). A failed parse leaves the struct as it was. */
#ifndef SOUK_UTIL_ARGS_H
#define SOUK_UTIL_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

enum args_flags {
    ARGS_MULTI = 1u << 0,    /* may repeat; args_get_list returns every value */
    ARGS_CLI_ONLY = 1u << 1, /* refused in the config file (-conf, -datadir) */
    ARGS_HIDDEN = 1u << 2,   /* accepted but left out of the help text */
};

struct args_option {
    const char *name;  /* without the leading '-': [a-z0-9_-]+ */
    const char *arg;   /* value placeholder for help, e.g. "<port>"; NULL for a switch */
    const char *def;   /* default shown in help; NULL for none */
    const char *help;
    unsigned flags;    /* enum args_flags */
    const char *group; /* help heading starting here; NULL continues the last one */
};

enum args_network {
    ARGS_NET_MAIN,
    ARGS_NET_TEST,
    ARGS_NET_REGTEST,
};

enum args_err {
    ARGS_OK = 0,
    ARGS_ERR_NOMEM,
    ARGS_ERR_BAD_TABLE,       /* the option table itself is invalid */
    ARGS_ERR_UNKNOWN_OPTION,
    ARGS_ERR_MALFORMED,       /* a command-line word or config line that is not an option */
    ARGS_ERR_UNKNOWN_SECTION,
    ARGS_ERR_CLI_ONLY,        /* a command-line-only option in a config file */
    ARGS_ERR_MISPLACED,       /* -testnet/-regtest inside a network section */
    ARGS_ERR_NETWORK_CONFLICT,
    ARGS_ERR_BAD_VALUE,       /* not an integer / not 0 or 1 */
    ARGS_ERR_RANGE,           /* an integer outside the allowed range */
    ARGS_ERR_NO_FILE,         /* the config file does not exist */
    ARGS_ERR_IO,              /* the config file exists but cannot be read */
    ARGS_ERR_COUNT, /* number of codes, not an error */
};

struct args_slot;

struct args {
    const struct args_option *opts; /* borrowed */
    size_t n_opts;
    struct args_slot *slots;        /* values per option and source */
    char **positional;
    size_t n_positional;
    enum args_network net;
};

const char *args_strerror(enum args_err e);

/* Checks the table (non-empty unique names of [a-z0-9_-], no name that is
 * "no" + another name, which would make -noX ambiguous) and prepares an
 * empty struct. The struct can be passed to args_clear even on failure. */
enum args_err args_init(struct args *a, const struct args_option *opts, size_t n_opts,
                        char *err, size_t errlen);
void args_clear(struct args *a);

/* Parses argv[1..argc-1]. Positional arguments of an earlier call are
 * replaced. */
enum args_err args_parse_cmdline(struct args *a, int argc, char *const argv[],
                                 char *err, size_t errlen);
/* Reads a config file. A missing file is ARGS_ERR_NO_FILE, so a caller
 * reading the default path can ignore it while an explicit -conf fails. */
enum args_err args_read_config_file(struct args *a, const char *path, char *err, size_t errlen);
/* Parses config text already in memory; `source` names it in messages. */
enum args_err args_read_config_text(struct args *a, const char *text, size_t len,
                                    const char *source, char *err, size_t errlen);

/* Chooses the network from -testnet / -regtest; call after the command line
 * and config file are read. Until then (and on failure) the network is main. */
enum args_err args_select_network(struct args *a, char *err, size_t errlen);
enum args_network args_network(const struct args *a);
/* "main", "test" or "regtest". */
const char *args_network_name(enum args_network net);

/* True when the option has a value (a negation counts) in a source that
 * applies on the chosen network. */
bool args_is_set(const struct args *a, const char *name);
/* The winning value, "0" for a negated option, or def when unset. The string
 * is owned by the struct and lives until args_clear. */
const char *args_get_str(const struct args *a, const char *name, const char *def);
/* A decimal integer in [min, max]; def (unchecked) when unset. On error *out
 * is untouched. */
enum args_err args_get_int(const struct args *a, const char *name, int64_t def,
                           int64_t min, int64_t max, int64_t *out, char *err, size_t errlen);
/* "1" or "0" (a negation is "0"); def when unset. */
enum args_err args_get_bool(const struct args *a, const char *name, bool def, bool *out,
                            char *err, size_t errlen);
/* Every value of the winning source (empty after a trailing negation). The
 * array is owned by the struct and valid until the next parse or clear.
 * Returns the count. */
size_t args_get_list(const struct args *a, const char *name, const char *const **vals_out);
/* The positional arguments, owned by the struct. */
const char *const *args_positional(const struct args *a, size_t *n_out);

/* Appends the help text for every non-hidden option, grouped under their
 * headings, each with its default, wrapped to 79 columns. out->data is
 * NUL-terminated afterwards (the NUL is not counted in out->len). */
bool args_format_help(const struct args *a, struct buf *out);

#endif
