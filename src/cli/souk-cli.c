/* souk-cli: command-line client for soukd's JSON-RPC interface.
 *
 * Finds the node the way bitcoin-cli does: network from -regtest/-testnet
 * (or the config file), port from -rpcport or the network default,
 * credentials from -rpcuser/-rpcpassword or else the .cookie file in the
 * network data directory. The arguments after the method (and with -stdin
 * the lines of standard input, read to the end first) are sent as the
 * types the method declares, which souk-cli asks the server for first
 * (getrpcschema <method>); rpc/client.h has the rules. In short, a string
 * argument is always sent as a string (a wallet named 2024 stays "2024"),
 * and an argument declared as a number, boolean, object or array that
 * does not parse as one is refused here, naming the argument. When the
 * server does not know the method (or has no getrpcschema) each argument
 * is sent as JSON when it parses as JSON and as a string otherwise, and the
 * call itself reports what the server says. With -named the arguments are
 * name=value pairs sent as named parameters, converted the same way.
 * Both requests go through one function (rpc_exchange), which -rpcwait
 * makes retry while the server is down or warming up. String results are
 * printed as they are, others as indented JSON. Any failure prints a
 * message on stderr and exits with status 1 (an RPC error prints "error
 * code: N" and "error message:" lines first). */
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

#include "souk-config.h"
#include "consensus/chainparams.h"
#include "rpc/auth.h"
#include "rpc/client.h"
#include "rpc/server.h"
#include "util/args.h"
#include "util/buf.h"
#include "util/time.h"

#define CLI_ERR_LEN 1024
#define CLI_DEFAULT_TIMEOUT 900
#define CLI_MAX_PATH 4096

static const struct args_option cli_options[] = {
    {"help", NULL, NULL, "Print this help message and exit (also -h, -?).", ARGS_CLI_ONLY,
     "Options"},
    {"version", NULL, NULL, "Print the version and exit.", ARGS_CLI_ONLY, NULL},
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
           "       souk-cli [options] help <command>        help on a command\n\n"
           "Each param is sent as the type the command declares (getrpcschema <command>):\n"
           "string params as strings even when they look like numbers.\n\n");
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

/* The method and its arguments, from the command line and -stdin. */
struct cmd {
    const char **all;   /* the method, then its arguments; borrowed from argv and lines */
    const char *method; /* all[0] */
    const char **args;  /* all + 1 */
    size_t nargs;
    char **lines;       /* -stdin's lines, owned */
    size_t nlines;
    bool named;
};

static void cmd_clear(struct cmd *cmd)
{
    for (size_t i = 0; i < cmd->nlines; i++)
        free(cmd->lines[i]);
    free(cmd->lines);
    free(cmd->all);
    memset(cmd, 0, sizeof *cmd);
}

/* Reads standard input to its end, one argument per line. */
static bool read_stdin_lines(struct cmd *cmd)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    bool ok = true;
    while (ok && (n = getline(&line, &cap, stdin)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        char **nl = realloc(cmd->lines, (cmd->nlines + 1) * sizeof *nl);
        if (nl == NULL) {
            ok = false;
            break;
        }
        cmd->lines = nl;
        if ((cmd->lines[cmd->nlines] = strdup(line)) == NULL)
            ok = false;
        else
            cmd->nlines++;
    }
    ok = ok && !ferror(stdin);
    free(line);
    return ok;
}

/* Everything that can be refused without asking the server is refused
 * here, before any connection. */
static int collect_args(struct cli *c, struct cmd *cmd)
{
    memset(cmd, 0, sizeof *cmd);
    size_t npos;
    const char *const *pos = args_positional(&c->args, &npos);
    bool use_stdin = false;
    char err[CLI_ERR_LEN];
    if (args_get_bool(&c->args, "stdin", false, &use_stdin, err, sizeof err) != ARGS_OK ||
        args_get_bool(&c->args, "named", false, &cmd->named, err, sizeof err) != ARGS_OK)
        return fail("%s", err);
    if (use_stdin && !read_stdin_lines(cmd))
        return fail("cannot read the arguments from standard input");
    size_t total = npos + cmd->nlines;
    if (total == 0)
        return fail("too few parameters (need at least a command; try souk-cli help)");
    cmd->all = malloc(total * sizeof *cmd->all);
    if (cmd->all == NULL)
        return fail("out of memory");
    for (size_t i = 0; i < total; i++)
        cmd->all[i] = i < npos ? pos[i] : cmd->lines[i - npos];
    cmd->method = cmd->all[0];
    cmd->args = cmd->all + 1;
    cmd->nargs = total - 1;
    for (size_t i = 0; cmd->named && i < cmd->nargs; i++) {
        const char *eq = strchr(cmd->args[i], '=');
        if (eq == NULL || eq == cmd->args[i])
            return fail("named argument '%s' is not of the form name=value", cmd->args[i]);
    }
    return 0;
}

/* The request body for method with params (borrowed); NULL when it cannot
 * be encoded. */
static char *request_body(const char *method, json_t *params)
{
    json_t *req = json_pack("{s:s,s:O,s:i}", "method", method, "params", params, "id", 1);
    char *body = req != NULL ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    return body;
}

/* Converts the arguments by the schema (NULL: none known) into an array,
 * or with -named an object, in *out. */
static int build_params(const struct cmd *cmd, const json_t *schema, json_t **out)
{
    json_t *params = cmd->named ? json_object() : json_array();
    if (params == NULL)
        return fail("out of memory");
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < cmd->nargs; i++) {
        const char *text = cmd->args[i];
        char *key = NULL;
        if (cmd->named) {
            const char *eq = strchr(text, '=');
            key = eq != NULL ? strndup(text, (size_t)(eq - text)) : NULL;
            if (key == NULL) {
                rc = fail("out of memory");
                break;
            }
            text = eq + 1;
        }
        const char *name;
        enum rpc_arg_type t = rpc_client_arg_type(schema, i, key, &name);
        json_t *v;
        char err[CLI_ERR_LEN];
        if (!rpc_client_arg_json(t, text, &v, err, sizeof err)) {
            if (name != NULL)
                rc = fail("argument '%s' of %s: %s", name, cmd->method, err);
            else if (key != NULL)
                rc = fail("argument '%s' of %s: %s", key, cmd->method, err);
            else
                rc = fail("argument %zu of %s: %s", i + 1, cmd->method, err);
        } else if (key != NULL ? json_object_set_new(params, key, v) != 0
                               : json_array_append_new(params, v) != 0) {
            rc = fail("out of memory");
        }
        free(key);
    }
    if (rc != 0) {
        json_decref(params);
        return rc;
    }
    *out = params;
    return 0;
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

/* Where and how requests go. */
struct endpoint {
    const char *host;
    uint16_t port;
    char path[1024];      /* "/" or "/wallet/<name>" */
    int timeout;          /* seconds per request; 0 waits forever */
    bool wait;            /* -rpcwait */
    int64_t wait_timeout; /* seconds; 0 waits forever */
    int64_t deadline_us;  /* when -rpcwait gives up, on the monotonic clock */
};

/* The reply's error object, or NULL when the call succeeded. */
static const json_t *reply_error(const json_t *reply)
{
    const json_t *e = json_object_get(reply, "error");
    return e != NULL && !json_is_null(e) ? e : NULL;
}

static json_int_t reply_error_code(const json_t *reply)
{
    return json_integer_value(json_object_get(reply_error(reply), "code"));
}

/* Sends body and stores the server's reply object in *reply (new
 * reference), whether the call succeeded or not. With -rpcwait it retries
 * every second while the server cannot be reached or answers -28 (warming
 * up), until -rpcwaittimeout. Returns 0, or prints why there is no reply
 * and returns 1. */
static int rpc_exchange(struct cli *c, const struct endpoint *ep, const char *body, json_t **reply)
{
    *reply = NULL;
    char err[CLI_ERR_LEN];
    struct call call;
    buf_init(&call.body);
    int rc;
    for (;;) {
        char auth[2 * RPC_AUTH_MAX_CRED + 64];
        bool have_auth = get_auth(c, auth, sizeof auth, err, sizeof err);
        bool answered = have_auth &&
                        http_post(ep->host, ep->port, ep->path, auth, body, ep->timeout, &call) &&
                        call.status != 0;
        memset(auth, 0, sizeof auth); /* the password, in base64 */
        bool may_retry = ep->wait && (ep->wait_timeout == 0 || time_mono_us() < ep->deadline_us);
        if (!answered) {
            if (may_retry) {
                sleep_ms(1000);
                continue;
            }
            if (!have_auth)
                rc = fail("%s", err);
            else
                rc = fail("Could not connect to the server %s:%u\n\nMake sure the soukd server "
                          "is running and that you are connecting to the correct RPC port.",
                          ep->host, (unsigned)ep->port);
            break;
        }
        if (call.status == 401) {
            rc = fail("Authorization failed: Incorrect rpcuser or rpcpassword");
            break;
        }
        json_t *r = json_loadb((const char *)call.body.data, call.body.len, 0, NULL);
        if (r == NULL || !json_is_object(r)) {
            json_decref(r);
            rc = fail("server returned HTTP error %d", call.status);
            break;
        }
        if (may_retry && reply_error_code(r) == RPC_IN_WARMUP) {
            json_decref(r);
            sleep_ms(1000);
            continue;
        }
        *reply = r;
        rc = 0;
        break;
    }
    buf_clear(&call.body);
    return rc;
}

/* Prints the result or the error of a reply; returns the exit status. */
static int print_reply(const json_t *reply)
{
    const json_t *error = reply_error(reply);
    const json_t *result = json_object_get(reply, "result");
    if (error != NULL) {
        const json_t *msg = json_object_get(error, "message");
        fprintf(stderr, "error code: %lld\nerror message:\n%s\n",
                (long long)json_integer_value(json_object_get(error, "code")),
                json_is_string(msg) ? json_string_value(msg) : "");
        return 1;
    }
    if (result == NULL || json_is_null(result))
        return 0; /* nothing to print */
    if (json_is_string(result)) {
        printf("%s\n", json_string_value(result));
        return 0;
    }
    char *s = rpc_client_format_result(result);
    if (s == NULL)
        return fail("out of memory");
    printf("%s\n", s);
    free(s);
    return 0;
}

/* Asks the server for the method's declared arguments: *schema gets them
 * (new reference), or NULL when the server does not know the method (-8)
 * or has no getrpcschema (-32601, an older soukd), in which case the
 * arguments go as they look and the call itself says what is wrong. */
static int fetch_schema(struct cli *c, const struct endpoint *ep, const char *method,
                        json_t **schema)
{
    *schema = NULL;
    json_t *params = json_pack("[s]", method);
    char *body = params != NULL ? request_body("getrpcschema", params) : NULL;
    json_decref(params);
    if (body == NULL)
        return fail("cannot encode a request for method '%s' (not UTF-8?)", method);
    json_t *reply;
    int rc = rpc_exchange(c, ep, body, &reply);
    free(body);
    if (rc != 0)
        return rc;
    json_int_t code = reply_error_code(reply);
    if (reply_error(reply) == NULL) {
        json_t *s = json_object_get(json_object_get(reply, "result"), method);
        if (json_is_array(s))
            *schema = json_incref(s);
    } else if (code != RPC_METHOD_NOT_FOUND && code != RPC_INVALID_PARAMETER) {
        rc = print_reply(reply);
    }
    json_decref(reply);
    return rc;
}

static int run(struct cli *c)
{
    char err[CLI_ERR_LEN];
    int64_t port, timeout;
    struct endpoint ep;
    memset(&ep, 0, sizeof ep);
    if (args_get_int(&c->args, "rpcport", c->params->rpc_port, 1, 65535, &port, err, sizeof err) !=
            ARGS_OK ||
        args_get_int(&c->args, "rpcclienttimeout", CLI_DEFAULT_TIMEOUT, 0, 1000000, &timeout, err,
                     sizeof err) != ARGS_OK ||
        args_get_int(&c->args, "rpcwaittimeout", 0, 0, 1000000, &ep.wait_timeout, err,
                     sizeof err) != ARGS_OK ||
        args_get_bool(&c->args, "rpcwait", false, &ep.wait, err, sizeof err) != ARGS_OK)
        return fail("%s", err);
    ep.host = args_get_str(&c->args, "rpcconnect", "127.0.0.1");
    ep.port = (uint16_t)port;
    ep.timeout = (int)timeout;
    snprintf(ep.path, sizeof ep.path, "/");
    const char *wallet = args_get_str(&c->args, "rpcwallet", NULL);
    if (wallet != NULL) {
        char *enc = evhttp_uriencode(wallet, -1, 0);
        if (enc == NULL ||
            snprintf(ep.path, sizeof ep.path, "/wallet/%s", enc) >= (int)sizeof ep.path) {
            free(enc);
            return fail("-rpcwallet name too long");
        }
        free(enc);
    }
    struct cmd cmd;
    int rc = collect_args(c, &cmd);
    json_t *schema = NULL, *params = NULL, *reply = NULL;
    char *body = NULL;
    /* One -rpcwait budget for both requests. */
    ep.deadline_us = time_mono_us() + ep.wait_timeout * 1000000;
    if (rc == 0)
        rc = fetch_schema(c, &ep, cmd.method, &schema);
    if (rc == 0)
        rc = build_params(&cmd, schema, &params);
    if (rc == 0 && (body = request_body(cmd.method, params)) == NULL)
        rc = fail("out of memory");
    if (rc == 0)
        rc = rpc_exchange(c, &ep, body, &reply);
    if (rc == 0)
        rc = print_reply(reply);
    json_decref(reply);
    free(body);
    json_decref(params);
    json_decref(schema);
    cmd_clear(&cmd);
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

/* -version (or --version) among the leading options. */
static bool wants_version(int argc, char *argv[])
{
    for (int i = 1; i < argc && argv[i][0] == '-'; i++)
        if (strcmp(argv[i], "-version") == 0 || strcmp(argv[i], "--version") == 0)
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
    } else if (wants_version(argc, argv)) {
        printf("souk RPC client version %s\n", PACKAGE_VERSION);
        rc = 0;
    } else {
        rc = setup(&c, argc, argv);
        if (rc == 0)
            rc = run(&c);
    }
    args_clear(&c.args);
    return rc;
}
