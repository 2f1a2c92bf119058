/* souk-cli: command-line client for soukd's JSON-RPC interface.
 *
 * Finds the node the way bitcoin-cli does: network from -regtest/-testnet
 * (or the config file), port from -rpcport or the network default,
 * credentials from -rpcuser/-rpcpassword or else the .cookie file in the
 * network data directory. Each argument after the method is sent as JSON
 * when it parses as JSON and as a string otherwise; with -named they are
 * key=value pairs sent as named parameters. String results are printed as
 * they are, others as indented JSON. Any failure prints a message on
 * stderr and exits with status 1 (an RPC error prints "error code: N" and
 * "error message:" lines first). */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "consensus/chainparams.h"
#include "rpc/auth.h"
#include "util/args.h"
#include "util/buf.h"
#include "util/time.h"

#define CLI_ERR_LEN 1024
#define CLI_DEFAULT_TIMEOUT 900
#define CLI_MAX_PATH 4096

static const struct args_option cli_options[] = {
    {"help", NULL, NULL, "Print this help message and exit (also -h, -?).", ARGS_CLI_ONLY,
     "Options"},
    {"conf", "<file>", "souk.conf", "Read options from this file (relative to the data directory).",
     ARGS_CLI_ONLY, NULL},
    {"datadir", "<dir>", "~/.souk", "Data directory.", ARGS_CLI_ONLY, NULL},
    {"testnet", NULL, NULL, "Use the test network.", 0, NULL},
    {"regtest", NULL, NULL, "Use the regression test network.", 0, NULL},
    {"rpcconnect", "<ip>", "127.0.0.1", "Send commands to the node at this address.", 0, NULL},
    {"rpcport", "<port>", "8732, testnet: 18732, regtest: 28732",
     "Connect to JSON-RPC on this port.", 0, NULL},
    {"rpcuser", "<user>", NULL, "User name for JSON-RPC connections.", 0, NULL},
    {"rpcpassword", "<pw>", NULL,
     "Password for JSON-RPC connections (without it the cookie file is used).", 0, NULL},
    {"rpcwallet", "<name>", NULL, "Send the call to the wallet of this name (/wallet/<name>).",
     0, NULL},
    {"rpcclienttimeout", "<n>", "900",
     "Seconds to wait for the reply to one call; 0 waits forever.", 0, NULL},
    {"rpcwait", NULL, NULL, "Wait for the RPC server to start (and finish warming up).", 0, NULL},
    {"rpcwaittimeout", "<n>", "0", "Give up -rpcwait after this many seconds; 0 never gives up.",
     0, NULL},
    {"named", NULL, NULL, "Pass arguments by name (name=value) instead of by position.", 0,
     NULL},
    {"stdin", NULL, NULL, "Read extra arguments from standard input, one per line.", 0, NULL},
};
#define CLI_N_OPTIONS (sizeof cli_options / sizeof cli_options[0])

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

static void usage(const struct args *a)
{
    struct buf b;
    buf_init(&b);
    printf("souk RPC client\n\n"
           "Usage: souk-cli [options] <command> [params]   send a command to soukd\n"
           "       souk-cli [options] -named <command> [name=value]...\n"
           "       souk-cli [options] help                  list the commands\n"
           "       souk-cli [options] help <command>        help on a command\n\n");
    if (args_format_help(a, &b))
        fwrite(b.data, 1, b.len, stdout);
    buf_clear(&b);
}

/* ------------------------------------------------------------ config */

static bool known_option(const char *key, size_t len)
{
    for (size_t i = 0; i < CLI_N_OPTIONS; i++) {
        const char *n = cli_options[i].name;
        if (strlen(n) == len && memcmp(n, key, len) == 0)
            return true;
        if (len > 2 && key[0] == 'n' && key[1] == 'o' && strlen(n) == len - 2 &&
            memcmp(n, key + 2, len - 2) == 0)
            return true;
    }
    return false;
}

/* souk.conf is shared with soukd, whose options the client does not know;
 * only the lines naming client options (and section headers, which keep
 * their meaning) are passed on to the args parser. */
static bool filter_config(const char *text, size_t len, struct buf *out)
{
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl != NULL ? nl : end;
        const char *k = p;
        while (k < le && (*k == ' ' || *k == '\t'))
            k++;
        bool keep = false;
        if (k < le && *k == '[') {
            keep = true;
        } else if (k < le && *k != '#') {
            const char *eq = memchr(k, '=', (size_t)(le - k));
            const char *ke = eq != NULL ? eq : le;
            while (ke > k && (ke[-1] == ' ' || ke[-1] == '\t' || ke[-1] == '\r'))
                ke--;
            keep = known_option(k, (size_t)(ke - k));
        }
        if (keep && (!buf_append(out, p, (size_t)(le - p)) || !buf_append_byte(out, '\n')))
            return false;
        p = nl != NULL ? nl + 1 : end;
    }
    return true;
}

static bool read_file(const char *path, struct buf *out, bool *missing)
{
    FILE *f = fopen(path, "rb");
    *missing = f == NULL && errno == ENOENT;
    if (f == NULL)
        return false;
    char chunk[4096];
    size_t n;
    bool ok = true;
    while (ok && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        ok = buf_append(out, chunk, n);
    ok = ok && !ferror(f);
    fclose(f);
    return ok;
}

/* ------------------------------------------------------------ HTTP */

struct call {
    int status;      /* 0: no answer (connection failed) */
    struct buf body;
};

static void on_response(struct evhttp_request *req, void *arg)
{
    struct call *c = arg;
    if (req != NULL) {
        c->status = evhttp_request_get_response_code(req);
        struct evbuffer *in = evhttp_request_get_input_buffer(req);
        size_t n = evbuffer_get_length(in);
        if (n > 0 && buf_reserve(&c->body, n)) {
            evbuffer_copyout(in, c->body.data + c->body.len, n);
            c->body.len += n;
        }
    }
}

static bool http_post(const char *host, uint16_t port, const char *path, const char *auth,
                      const char *body, int timeout, struct call *c)
{
    c->status = 0;
    buf_reset(&c->body);
    struct event_base *base = event_base_new();
    if (base == NULL)
        return false;
    struct evhttp_connection *conn = evhttp_connection_base_new(base, NULL, host, port);
    struct evhttp_request *req = conn != NULL ? evhttp_request_new(on_response, c) : NULL;
    bool ok = false;
    if (req != NULL) {
        if (timeout > 0)
            evhttp_connection_set_timeout(conn, timeout);
        struct evkeyvalq *h = evhttp_request_get_output_headers(req);
        evhttp_add_header(h, "Host", host);
        evhttp_add_header(h, "Connection", "close");
        evhttp_add_header(h, "Content-Type", "application/json");
        evhttp_add_header(h, "Authorization", auth);
        evbuffer_add(evhttp_request_get_output_buffer(req), body, strlen(body));
        /* evhttp_make_request owns req from here, even on failure. */
        if (evhttp_make_request(conn, req, EVHTTP_REQ_POST, path) == 0) {
            event_base_dispatch(base);
            ok = true;
        }
    }
    if (conn != NULL)
        evhttp_connection_free(conn);
    event_base_free(base);
    return ok;
}

/* ------------------------------------------------------------ main */

struct cli {
    struct args args;
    const struct chain_params *params;
    char basedir[CLI_MAX_PATH];
    char netdir[CLI_MAX_PATH + 16];
};

static int setup(struct cli *c, int argc, char *argv[])
{
    char err[CLI_ERR_LEN];
    if (args_parse_cmdline(&c->args, argc, argv, err, sizeof err) != ARGS_OK)
        return fail("%s", err);
    const char *dd = args_get_str(&c->args, "datadir", NULL);
    if (dd != NULL && dd[0] != '\0') {
        struct stat sb;
        if (stat(dd, &sb) != 0 || !S_ISDIR(sb.st_mode))
            return fail("Specified data directory \"%s\" does not exist.", dd);
        snprintf(c->basedir, sizeof c->basedir, "%s", dd);
    } else {
        const char *home = getenv("HOME");
        snprintf(c->basedir, sizeof c->basedir, "%s/.souk", home != NULL ? home : ".");
    }
    const char *conf = args_get_str(&c->args, "conf", NULL);
    char path[2 * CLI_MAX_PATH];
    if (conf != NULL && conf[0] == '/')
        snprintf(path, sizeof path, "%s", conf);
    else
        snprintf(path, sizeof path, "%s/%s", c->basedir, conf != NULL ? conf : "souk.conf");
    struct buf text, kept;
    buf_init(&text);
    buf_init(&kept);
    bool missing;
    int rc = 0;
    if (read_file(path, &text, &missing)) {
        if (!filter_config((const char *)text.data, text.len, &kept))
            rc = fail("out of memory");
        else if (args_read_config_text(&c->args, (const char *)kept.data, kept.len, path, err,
                                       sizeof err) != ARGS_OK)
            rc = fail("%s", err);
    } else if (!missing || conf != NULL) {
        rc = fail("cannot read the configuration file %s", path);
    }
    buf_clear(&text);
    buf_clear(&kept);
    if (rc != 0)
        return rc;
    if (args_select_network(&c->args, err, sizeof err) != ARGS_OK)
        return fail("%s", err);
    c->params = chainparams_by_name(args_network_name(args_network(&c->args)));
    if (c->params == NULL)
        return fail("unknown network");
    if (c->params->datadir_sub[0] != '\0')
        snprintf(c->netdir, sizeof c->netdir, "%s/%s", c->basedir, c->params->datadir_sub);
    else
        snprintf(c->netdir, sizeof c->netdir, "%s", c->basedir);
    return 0;
}

/* "valid JSON → JSON, else string". */
static json_t *arg_value(const char *s)
{
    json_t *v = json_loads(s, JSON_DECODE_ANY, NULL);
    return v != NULL ? v : json_string(s);
}

static int build_request(struct cli *c, char **body_out)
{
    size_t npos;
    const char *const *pos = args_positional(&c->args, &npos);
    char **lines = NULL;
    size_t nlines = 0;
    bool use_stdin = false;
    char err[CLI_ERR_LEN];
    if (args_get_bool(&c->args, "stdin", false, &use_stdin, err, sizeof err) != ARGS_OK)
        return fail("%s", err);
    if (use_stdin) {
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        while ((n = getline(&line, &cap, stdin)) >= 0) {
            while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                line[--n] = '\0';
            char **nl = realloc(lines, (nlines + 1) * sizeof *nl);
            if (nl == NULL)
                break;
            lines = nl;
            lines[nlines++] = strdup(line);
        }
        free(line);
    }
    int rc = 0;
    json_t *params = NULL;
    size_t total = npos + nlines;
    if (total == 0) {
        rc = fail("too few parameters (need at least a command; try souk-cli help)");
        goto out;
    }
#define CLI_ARG(i) ((i) < npos ? pos[i] : lines[(i) - npos])
    const char *method = CLI_ARG(0);
    bool named = false;
    if (args_get_bool(&c->args, "named", false, &named, err, sizeof err) != ARGS_OK) {
        rc = fail("%s", err);
        goto out;
    }
    params = named ? json_object() : json_array();
    if (method == NULL || params == NULL) {
        rc = fail("out of memory");
        goto out;
    }
    for (size_t i = 1; rc == 0 && i < total; i++) {
        const char *a = CLI_ARG(i);
        if (a == NULL) {
            rc = fail("out of memory");
        } else if (named) {
            const char *eq = strchr(a, '=');
            if (eq == NULL || eq == a) {
                rc = fail("named argument '%s' is not of the form name=value", a);
                break;
            }
            char *key = strndup(a, (size_t)(eq - a));
            if (key == NULL || json_object_set_new(params, key, arg_value(eq + 1)) != 0)
                rc = fail("out of memory");
            free(key);
        } else if (json_array_append_new(params, arg_value(a)) != 0) {
            rc = fail("out of memory");
        }
    }
#undef CLI_ARG
    if (rc == 0) {
        json_t *req = json_pack("{s:s,s:O,s:i}", "method", method, "params", params, "id", 1);
        *body_out = req != NULL ? json_dumps(req, JSON_COMPACT) : NULL;
        json_decref(req);
        if (*body_out == NULL)
            rc = fail("out of memory");
    }
out:
    json_decref(params);
    for (size_t i = 0; i < nlines; i++)
        free(lines[i]);
    free(lines);
    return rc;
}

static bool get_auth(struct cli *c, char *auth, size_t authlen, char *err, size_t errlen)
{
    const char *pass = args_get_str(&c->args, "rpcpassword", NULL);
    if (pass != NULL && pass[0] != '\0')
        return rpc_auth_basic_header(args_get_str(&c->args, "rpcuser", ""), pass, auth, authlen) ||
               (snprintf(err, errlen, "RPC credentials too long"), false);
    char path[2 * CLI_MAX_PATH], user[RPC_AUTH_MAX_CRED + 1], pw[RPC_AUTH_MAX_CRED + 1];
    snprintf(path, sizeof path, "%s/%s", c->netdir, RPC_AUTH_COOKIE_FILE);
    char rerr[CLI_ERR_LEN];
    if (!rpc_auth_cookie_read(path, user, sizeof user, pw, sizeof pw, rerr, sizeof rerr)) {
        snprintf(err, errlen,
                 "Could not locate RPC credentials. No authentication cookie could be found "
                 "(%.700s), and no RPC password is set.",
                 rerr);
        return false;
    }
    bool ok = rpc_auth_basic_header(user, pw, auth, authlen);
    memset(pw, 0, sizeof pw);
    if (!ok)
        snprintf(err, errlen, "RPC credentials too long");
    return ok;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Prints the result or the error; returns the exit status, or -1 to ask
 * for a retry (-rpcwait while the node warms up). */
static int print_reply(const struct call *call, bool wait)
{
    json_t *reply = json_loadb((const char *)call->body.data, call->body.len, 0, NULL);
    if (reply == NULL || !json_is_object(reply)) {
        json_decref(reply);
        return fail("server returned HTTP error %d", call->status);
    }
    json_t *error = json_object_get(reply, "error");
    json_t *result = json_object_get(reply, "result");
    int rc = 0;
    if (error != NULL && !json_is_null(error)) {
        json_t *code = json_object_get(error, "code");
        json_t *msg = json_object_get(error, "message");
        if (wait && json_integer_value(code) == -28) {
            json_decref(reply);
            return -1;
        }
        fprintf(stderr, "error code: %lld\nerror message:\n%s\n",
                (long long)json_integer_value(code),
                json_is_string(msg) ? json_string_value(msg) : "");
        rc = 1;
    } else if (result == NULL || json_is_null(result)) {
        /* nothing to print */
    } else if (json_is_string(result)) {
        printf("%s\n", json_string_value(result));
    } else {
        /* Amounts arrive as numbers with 8 decimals but are held as doubles
         * here; 15 significant digits print every amount below ten million
         * coins exactly (98.4999, not 98.499899999999997). */
        char *s = json_dumps(result, JSON_INDENT(2) | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER |
                                         JSON_REAL_PRECISION(15));
        if (s == NULL) {
            rc = fail("out of memory");
        } else {
            printf("%s\n", s);
            free(s);
        }
    }
    json_decref(reply);
    return rc;
}

static int run(struct cli *c)
{
    char err[CLI_ERR_LEN];
    int64_t port, timeout, wait_timeout;
    bool wait = false;
    if (args_get_int(&c->args, "rpcport", c->params->rpc_port, 1, 65535, &port, err, sizeof err) !=
            ARGS_OK ||
        args_get_int(&c->args, "rpcclienttimeout", CLI_DEFAULT_TIMEOUT, 0, 1000000, &timeout, err,
                     sizeof err) != ARGS_OK ||
        args_get_int(&c->args, "rpcwaittimeout", 0, 0, 1000000, &wait_timeout, err,
                     sizeof err) != ARGS_OK ||
        args_get_bool(&c->args, "rpcwait", false, &wait, err, sizeof err) != ARGS_OK)
        return fail("%s", err);
    const char *host = args_get_str(&c->args, "rpcconnect", "127.0.0.1");

    char path[1024] = "/";
    const char *wallet = args_get_str(&c->args, "rpcwallet", NULL);
    if (wallet != NULL) {
        char *enc = evhttp_uriencode(wallet, -1, 0);
        if (enc == NULL || snprintf(path, sizeof path, "/wallet/%s", enc) >= (int)sizeof path) {
            free(enc);
            return fail("-rpcwallet name too long");
        }
        free(enc);
    }
    char *body = NULL;
    int rc = build_request(c, &body);
    if (rc != 0)
        return rc;

    struct call call;
    buf_init(&call.body);
    int64_t deadline = time_mono_us() + wait_timeout * 1000000;
    for (;;) {
        char auth[2 * RPC_AUTH_MAX_CRED + 64];
        bool have_auth = get_auth(c, auth, sizeof auth, err, sizeof err);
        bool answered = have_auth && http_post(host, (uint16_t)port, path, auth, body,
                                                (int)timeout, &call) && call.status != 0;
        bool may_retry = wait && (wait_timeout == 0 || time_mono_us() < deadline);
        if (!answered) {
            if (may_retry) {
                sleep_ms(1000);
                continue;
            }
            if (!have_auth)
                rc = fail("%s", err);
            else
                rc = fail("Could not connect to the server %s:%lld\n\nMake sure the soukd server "
                          "is running and that you are connecting to the correct RPC port.",
                          host, (long long)port);
            break;
        }
        if (call.status == 401) {
            rc = fail("Authorization failed: Incorrect rpcuser or rpcpassword");
            break;
        }
        rc = print_reply(&call, may_retry);
        if (rc != -1)
            break;
        sleep_ms(1000);
    }
    buf_clear(&call.body);
    free(body);
    return rc;
}

static bool wants_help(int argc, char *argv[])
{
    for (int i = 1; i < argc && argv[i][0] == '-'; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "-?") == 0 ||
            strcmp(argv[i], "-help") == 0 || strcmp(argv[i], "--help") == 0)
            return true;
    return false;
}

int main(int argc, char *argv[])
{
    struct cli c;
    memset(&c, 0, sizeof c);
    char err[CLI_ERR_LEN];
    if (args_init(&c.args, cli_options, CLI_N_OPTIONS, err, sizeof err) != ARGS_OK) {
        args_clear(&c.args);
        return fail("%s", err);
    }
    int rc;
    if (wants_help(argc, argv)) {
        usage(&c.args);
        rc = 0;
    } else {
        rc = setup(&c, argc, argv);
        if (rc == 0)
            rc = run(&c);
    }
    args_clear(&c.args);
    return rc;
}
