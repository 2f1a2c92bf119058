#define _XOPEN_SOURCE 700
#include "soukd/init.h"
#include "souk-config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "consensus/chainparams.h"
#include "gateway/gateway.h"
#include "node/chatbus.h"
#include "node/eventbus.h"
#include "node/eventpub.h"
#include "node/pluginhost.h"
#include "node/services.h"
#include "p2p/net.h"
#include "p2p/netproc.h"
#include "plugins/market/market.h"
#include "plugins/chat/chat.h"
#include "plugins/review/review.h"
#include "plugins/testkv/testkv.h"
#include "rpc/rpc_blockchain.h"
#include "rpc/rpc_control.h"
#include "rpc/rpc_mining.h"
#include "rpc/rpc_mempool.h"
#include "rpc/rpc_net.h"
#include "rpc/rpc_plugin.h"
#include "rpc/rpc_rawtx.h"
#include "rpc/server.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/sqlitedb.h"
#include "util/notify.h"
#include "util/time.h"
#include "wallet/rpc_wallet.h"
#include "wallet/walletinit.h"

#define INIT_ERR_LEN 1024

const struct args_option init_options[] = {
    {"help", NULL, NULL, "Print this help message and exit (also -h, -?).", ARGS_CLI_ONLY,
     "General options"},
    {"version", NULL, NULL, "Print the version and exit.", ARGS_CLI_ONLY, NULL},
    {"conf", "<file>", "souk.conf",
     "Read options from this file; a relative path is taken from the data directory. The "
     "default file may be missing, an explicitly given one may not.",
     ARGS_CLI_ONLY, NULL},
    {"datadir", "<dir>", "~/.souk", "Data directory (created when missing).", ARGS_CLI_ONLY,
     NULL},
    {"daemon", NULL, "0",
     "Run in the background: the command returns once the node is up, and soukd.pid in the "
     "network data directory holds the process id.",
     0, NULL},
    {"printtoconsole", NULL, "1, or 0 with -daemon", "Send log lines to stderr as well.", 0,
     NULL},
    {"debug", "<category>", NULL,
     "Write debug messages of this category (net, p2p, rpc, http, mempool, validation, db, "
     "bench, wallet, market, review, chat, plugin, mining, addrman, reindex, libevent); 1 or "
     "all for every category.",
     ARGS_MULTI, "Debugging options"},
    {"debugexclude", "<category>", NULL, "Leave out debug messages of this category.",
     ARGS_MULTI, NULL},
    {"logtimemicros", NULL, "0", "Log timestamps with microseconds.", 0, NULL},
    {"testnet", NULL, NULL, "Use the test network.", 0, "Chain selection options"},
    {"regtest", NULL, NULL,
     "Use the regression test network: private, blocks mined instantly on demand.", 0, NULL},
    {"testplugin", NULL, "0",
     "Host the testkv plugin, which exists to test the plugin host (regtest only).", 0,
     "Plugin options"},
};
const size_t init_options_count = sizeof init_options / sizeof init_options[0];

/* ==================================================================
 * Extension points. Areas add their option table and their start/stop
 * hooks here, in dependency order (storage before chainstate before
 * mempool before miner).
 * ================================================================== */
static const struct init_option_table init_option_tables[] = {
    {init_options, &init_options_count},
    {rpc_control_options, &rpc_control_options_count},
    {services_options, &services_options_count},
    {walletinit_options, &walletinit_options_count},
    {p2p_options, &p2p_options_count},
    {eventpub_options, &eventpub_options_count},
    {gateway_options, &gateway_options_count},
};

/* Plugins: one line each. `option` names the boolean option that turns a
 * plugin on (NULL: always hosted); `regtest_only` refuses it elsewhere. */
static const struct init_plugin {
    const struct plugin *plugin;
    const char *option;
    bool regtest_only;
} init_plugins[] = {
    {&market_plugin, NULL, false},
    {&review_plugin, NULL, false}, /* reads the market's orders: after it */
    {&chat_plugin, NULL, false},
    {&testkv_plugin, "testplugin", true},
};

static bool start_rpc_methods(struct node_ctx *ctx, char *err, size_t errlen)
{
    return rpc_control_register(ctx->rpc, err, errlen) &&
           rpc_blockchain_register(ctx->rpc, err, errlen) &&
           rpc_mining_register(ctx->rpc, err, errlen) &&
           rpc_rawtx_register(ctx->rpc, err, errlen) &&
           rpc_wallet_register(ctx->rpc, err, errlen) &&
           rpc_mempool_register(ctx->rpc, err, errlen) &&
           rpc_net_register(ctx->rpc, err, errlen) &&
           rpc_plugin_register(ctx->rpc, ctx->plugins, err, errlen);
}

static bool plugins_start(struct node_ctx *ctx, char *err, size_t errlen)
{
    bool reindex = false;
    return args_get_bool(ctx->args, "reindex", false, &reindex, err, errlen) == ARGS_OK &&
           pluginhost_start(ctx->plugins, ctx, reindex, err, errlen);
}

static void plugins_stop(struct node_ctx *ctx)
{
    pluginhost_stop(ctx->plugins);
}

/* A plugin's inventory type as P2P takes it: the handler's ctx is this. */
static struct init_inv {
    const struct plugin_inv *inv;
    struct plugin_ctx *pc;
} init_invs[PLUGINHOST_MAX * 4];

static bool inv_have(void *ctx, const uint8_t hash[32])
{
    struct init_inv *a = ctx;
    return a->inv->have(a->pc, hash);
}

static bool inv_get(void *ctx, const uint8_t hash[32], struct ser_writer *w)
{
    struct init_inv *a = ctx;
    return a->inv->get(a->pc, hash, w);
}

static int inv_receive(void *ctx, const msgpack_object *payload, uint8_t hash[32], bool *relay)
{
    struct init_inv *a = ctx;
    return a->inv->receive(a->pc, payload, hash, relay);
}

static size_t inv_list(void *ctx, const uint8_t *after, uint8_t (*ids)[32], size_t max)
{
    struct init_inv *a = ctx;
    return a->inv->list != NULL ? a->inv->list(a->pc, after, ids, max) : 0;
}

static void inv_announce(struct plugin_ctx *pc, uint32_t type, const uint8_t hash[32])
{
    p2p_announce_inv(pc->node, type, hash);
}

static void inv_request(struct plugin_ctx *pc, uint32_t type, const uint8_t hash[32])
{
    p2p_request_inv(pc->node, type, hash);
}

/* Runs after P2P started: the plugins' inventory types join it. */
static bool plugins_p2p_start(struct node_ctx *ctx, char *err, size_t errlen)
{
    struct pluginhost *host = ctx->plugins;
    size_t n = 0;
    for (size_t i = 0; i < host->started; i++) {
        struct plugin_ctx *pc = &host->ctx[i];
        for (size_t k = 0; k < pc->plugin->n_invs; k++) {
            if (n == sizeof init_invs / sizeof init_invs[0]) {
                snprintf(err, errlen, "too many plugin inventory types");
                return false;
            }
            init_invs[n] = (struct init_inv){&pc->plugin->invs[k], pc};
            struct p2p_inv_handler h = {.type = pc->plugin->invs[k].type,
                                        .command = pc->plugin->invs[k].command,
                                        .ctx = &init_invs[n],
                                        .have = inv_have,
                                        .get = inv_get,
                                        .receive = inv_receive,
                                        .list = inv_list};
            if (!p2p_register_inv_handler(ctx, &h)) {
                snprintf(err, errlen, "plugin %s: inventory type %u refused by P2P",
                         pc->plugin->name, (unsigned)h.type);
                return false;
            }
            n++;
        }
        pc->announce = inv_announce;
        pc->request = inv_request;
    }
    return true;
}

static void plugins_p2p_stop(struct node_ctx *ctx)
{
    struct pluginhost *host = ctx->plugins;
    for (size_t i = 0; i < host->n; i++)
    {
        host->ctx[i].announce = NULL;
        host->ctx[i].request = NULL;
    }
}

static const struct init_hook init_hooks[] = {
    {"chain and mempool", services_start, services_stop, false, "Loading block index\xe2\x80\xa6"},
    {"events", eventpub_start, eventpub_stop, false, "Loading block index\xe2\x80\xa6"},
    {"wallets", walletinit_start, walletinit_stop, false, "Loading wallets\xe2\x80\xa6"},
    {"plugins", plugins_start, plugins_stop, false, "Starting plugins\xe2\x80\xa6"},
    {"p2p", p2p_start, p2p_stop, true, "Starting network\xe2\x80\xa6"},
    {"plugin inventories", plugins_p2p_start, plugins_p2p_stop, true, "Starting network\xe2\x80\xa6"},
    {"gateway", gateway_start, gateway_stop, true, "Starting the gateway\xe2\x80\xa6"},
};
/* ================================================================== */

struct init_state {
    struct pluginhost plugins;
    struct chatbus chatbus;
    struct args_option *opts;
    size_t n_opts;
    struct args args;
    struct rpc_table rpc;
    struct node_ctx ctx;
    struct event *shutdown_ev;
    struct event *sig_ev[3];
    int lock_fd;
    char pid_path[PATH_MAX + 16];
    bool pid_written;
    int notify_fd; /* -daemon: the pipe to the waiting parent, else -1 */
    size_t hooks_started; /* written by the startup thread until it is joined */
    pthread_t startup_thread;
    bool startup_running;
    struct event *startup_done_ev;
    bool startup_ok;      /* the startup thread's verdict, read after it signals */
    int rc;
    bool console;         /* log lines go to stderr already */
    atomic_bool fatal;    /* a fatal_error ended the node: exit status 1 */
};

static void print_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void print_err(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("Error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

#define INIT_N_PLUGINS (sizeof init_plugins / sizeof init_plugins[0])

/* The areas' tables, then each plugin's own options. */
static bool build_options(struct init_state *st)
{
    size_t n = 0;
    for (size_t i = 0; i < sizeof init_option_tables / sizeof init_option_tables[0]; i++)
        n += *init_option_tables[i].count;
    for (size_t i = 0; i < INIT_N_PLUGINS; i++)
        n += init_plugins[i].plugin->n_options;
    st->opts = calloc(n, sizeof *st->opts);
    if (st->opts == NULL)
        return false;
    for (size_t i = 0; i < sizeof init_option_tables / sizeof init_option_tables[0]; i++) {
        memcpy(st->opts + st->n_opts, init_option_tables[i].opts,
               *init_option_tables[i].count * sizeof *st->opts);
        st->n_opts += *init_option_tables[i].count;
    }
    for (size_t i = 0; i < INIT_N_PLUGINS; i++) {
        const struct plugin *p = init_plugins[i].plugin;
        if (p->n_options > 0)
            memcpy(st->opts + st->n_opts, p->options, p->n_options * sizeof *st->opts);
        st->n_opts += p->n_options;
    }
    return true;
}

static bool wants_help(int argc, char *argv[])
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-')
            break;
        if (strcmp(a, "-h") == 0 || strcmp(a, "-?") == 0 || strcmp(a, "--help") == 0 ||
            strcmp(a, "-help") == 0)
            return true;
    }
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

static void print_help(const struct args *a)
{
    struct buf b;
    buf_init(&b);
    printf("souk daemon\n\nUsage: soukd [options]\n\nOptions:\n\n");
    if (args_format_help(a, &b))
        fwrite(b.data, 1, b.len, stdout);
    buf_clear(&b);
}

/* mkdir -p. */
static bool make_dirs(const char *path)
{
    char tmp[PATH_MAX];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof tmp)
        return false;
    memcpy(tmp, path, len + 1);
    for (char *p = tmp + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
            return false;
        *p = '/';
    }
    return mkdir(tmp, 0700) == 0 || errno == EEXIST;
}

static bool is_dir(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static bool setup_datadir(struct init_state *st)
{
    struct node_ctx *ctx = &st->ctx;
    char want[PATH_MAX];
    const char *dd = args_get_str(&st->args, "datadir", NULL);
    if (dd != NULL && dd[0] != '\0') {
        if (snprintf(want, sizeof want, "%s", dd) >= (int)sizeof want) {
            print_err("-datadir is too long");
            return false;
        }
    } else {
        const char *home = getenv("HOME");
        if (home == NULL || home[0] == '\0') {
            print_err("HOME is not set; give -datadir");
            return false;
        }
        if (snprintf(want, sizeof want, "%s/.souk", home) >= (int)sizeof want) {
            print_err("data directory path too long");
            return false;
        }
    }
    if (!make_dirs(want) || !is_dir(want)) {
        print_err("cannot create the data directory %s: %s", want, strerror(errno));
        return false;
    }
    /* Absolute from here on: -daemon changes nothing, but log lines and the
     * cookie path in messages are unambiguous. */
    if (realpath(want, ctx->basedir) == NULL) {
        print_err("cannot resolve the data directory %s: %s", want, strerror(errno));
        return false;
    }
    return true;
}

static bool read_config(struct init_state *st)
{
    char err[INIT_ERR_LEN];
    const char *conf = args_get_str(&st->args, "conf", NULL);
    bool explicit = conf != NULL;
    if (conf == NULL)
        conf = "souk.conf";
    char path[PATH_MAX + 16];
    if (conf[0] == '/')
        snprintf(path, sizeof path, "%s", conf);
    else
        snprintf(path, sizeof path, "%s/%s", st->ctx.basedir, conf);
    enum args_err rc = args_read_config_file(&st->args, path, err, sizeof err);
    if (rc == ARGS_ERR_NO_FILE && !explicit)
        return true;
    if (rc == ARGS_ERR_NO_FILE) {
        print_err("the configuration file %s does not exist", path);
        return false;
    }
    if (rc != ARGS_OK) {
        print_err("%s", err);
        return false;
    }
    return true;
}

static bool setup_network(struct init_state *st)
{
    char err[INIT_ERR_LEN];
    struct node_ctx *ctx = &st->ctx;
    if (args_select_network(&st->args, err, sizeof err) != ARGS_OK) {
        print_err("%s", err);
        return false;
    }
    ctx->params = chainparams_by_name(args_network_name(args_network(&st->args)));
    if (ctx->params == NULL) {
        print_err("unknown network");
        return false;
    }
    int n;
    if (ctx->params->datadir_sub[0] != '\0')
        n = snprintf(ctx->datadir, sizeof ctx->datadir, "%s/%s", ctx->basedir,
                     ctx->params->datadir_sub);
    else
        n = snprintf(ctx->datadir, sizeof ctx->datadir, "%s", ctx->basedir);
    if (n < 0 || (size_t)n >= sizeof ctx->datadir) {
        print_err("data directory path too long");
        return false;
    }
    if (!make_dirs(ctx->datadir)) {
        print_err("cannot create %s: %s", ctx->datadir, strerror(errno));
        return false;
    }
    return true;
}

/* An fcntl lock on <datadir>/.lock, held by the open descriptor until the
 * process exits, so a crashed node leaves no stale lock behind. */
static bool take_lock(struct init_state *st)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/.lock", st->ctx.datadir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        print_err("cannot open the lock file %s: %s", path, strerror(errno));
        return false;
    }
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(fd, F_SETLK, &fl) != 0) {
        print_err("cannot obtain a lock on the data directory %s: souk is probably already "
                  "running.",
                  st->ctx.datadir);
        close(fd);
        return false;
    }
    st->lock_fd = fd;
    return true;
}

static bool start_logging(struct init_state *st, bool daemon_mode)
{
    char err[INIT_ERR_LEN];
    bool console, micros;
    if (args_get_bool(&st->args, "printtoconsole", !daemon_mode, &console, err, sizeof err) !=
            ARGS_OK ||
        args_get_bool(&st->args, "logtimemicros", false, &micros, err, sizeof err) != ARGS_OK) {
        print_err("%s", err);
        return false;
    }
    const char *const *en, *const *ex;
    size_t n_en = args_get_list(&st->args, "debug", &en);
    size_t n_ex = args_get_list(&st->args, "debugexclude", &ex);
    if (!log_set_debug(en, n_en, ex, n_ex, err, sizeof err)) {
        print_err("%s", err);
        return false;
    }
    st->console = console;
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/debug.log", st->ctx.datadir);
    struct log_config cfg = {path, console, micros};
    if (!log_start(&cfg, err, sizeof err)) {
        print_err("%s", err);
        return false;
    }
    return true;
}

/* Forks; the parent waits on a pipe until the child reports that it is up
 * (one byte) or exits, and exits with the matching status. */
static bool daemonize(struct init_state *st)
{
    int fds[2];
    if (pipe(fds) != 0) {
        print_err("pipe: %s", strerror(errno));
        return false;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        print_err("fork: %s", strerror(errno));
        return false;
    }
    if (pid > 0) {
        close(fds[1]);
        char c;
        ssize_t n;
        do
            n = read(fds[0], &c, 1);
        while (n < 0 && errno == EINTR);
        if (n == 1)
            _exit(0);
        int status = 0;
        waitpid(pid, &status, 0);
        _exit(WIFEXITED(status) && WEXITSTATUS(status) != 0 ? WEXITSTATUS(status) : 1);
    }
    close(fds[0]);
    if (setsid() < 0) {
        print_err("setsid: %s", strerror(errno));
        return false;
    }
    st->notify_fd = fds[1];
    return true;
}

static void notify_parent(struct init_state *st)
{
    if (st->notify_fd < 0)
        return;
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        if (null > STDERR_FILENO)
            close(null);
    }
    ssize_t n = write(st->notify_fd, "1", 1);
    (void)n;
    close(st->notify_fd);
    st->notify_fd = -1;
}

static bool write_pid_file(struct init_state *st)
{
    snprintf(st->pid_path, sizeof st->pid_path, "%s/soukd.pid", st->ctx.datadir);
    FILE *f = fopen(st->pid_path, "w");
    if (f == NULL) {
        print_err("cannot write %s: %s", st->pid_path, strerror(errno));
        return false;
    }
    fprintf(f, "%ld\n", (long)getpid());
    if (fclose(f) != 0) {
        print_err("cannot write %s", st->pid_path);
        return false;
    }
    st->pid_written = true;
    return true;
}

/* ------------------------------------------------------------ event loop */

static void on_shutdown_event(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct init_state *st = arg;
    LOG_INFO(LOG_CAT_GENERAL, "shutdown requested");
    rpc_service_interrupt(&st->ctx);
    event_base_loopbreak(st->ctx.base);
}

static void request_shutdown(struct node_ctx *ctx)
{
    struct init_state *st = ctx->priv;
    atomic_store(&ctx->shutdown_requested, true);
    /* event_active is thread-safe once evthread_use_pthreads has run. */
    event_active(st->shutdown_ev, EV_READ, 0);
}

static void fatal_error(struct node_ctx *ctx, const char *msg)
{
    struct init_state *st = ctx->priv;
    LOG_ERROR(LOG_CAT_GENERAL, "%s; shutting down", msg);
    /* The operator sees it even when the log goes only to debug.log (or
     * when debug.log itself is what cannot be written). */
    if (!st->console)
        print_err("%s; shutting down", msg);
    atomic_store(&st->fatal, true);
    request_shutdown(ctx);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    struct init_state *st = arg;
    if (sig == SIGHUP) {
        char err[INIT_ERR_LEN];
        if (!log_reopen(err, sizeof err))
            LOG_ERROR(LOG_CAT_GENERAL, "reopening debug.log failed: %s", err);
        else
            LOG_INFO(LOG_CAT_GENERAL, "debug.log reopened");
        return;
    }
    LOG_INFO(LOG_CAT_GENERAL, "received signal %d", (int)sig);
    request_shutdown(&st->ctx);
}

static bool setup_loop(struct init_state *st)
{
    if (evthread_use_pthreads() != 0) {
        print_err("libevent has no pthreads support");
        return false;
    }
    struct node_ctx *ctx = &st->ctx;
    /* epoll's change list: a socket whose interest goes read -> write ->
     * read within one turn of the loop (every HTTP request and reply) costs
     * one epoll_ctl instead of several. */
    struct event_config *cfg = event_config_new();
    if (cfg != NULL)
        event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    ctx->base = cfg != NULL ? event_base_new_with_config(cfg) : event_base_new();
    if (cfg != NULL)
        event_config_free(cfg);
    if (ctx->base == NULL) {
        print_err("cannot create the event loop");
        return false;
    }
    st->shutdown_ev = event_new(ctx->base, -1, 0, on_shutdown_event, st);
    static const int sigs[3] = {SIGINT, SIGTERM, SIGHUP};
    for (int i = 0; i < 3; i++) {
        st->sig_ev[i] = event_new(ctx->base, sigs[i], EV_SIGNAL | EV_PERSIST, on_signal, st);
        if (st->sig_ev[i] == NULL || event_add(st->sig_ev[i], NULL) != 0) {
            print_err("cannot install signal handlers");
            return false;
        }
    }
    if (st->shutdown_ev == NULL) {
        print_err("cannot create the shutdown event");
        return false;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    /* A write past the file size limit (ulimit -f) then fails with EFBIG,
     * which the storage code reports and shuts down on cleanly, instead of
     * the signal killing the process between two writes that belong
     * together. */
    sigaction(SIGXFSZ, &sa, NULL);
    return true;
}

/* ------------------------------------------------------------ main */

static void warmup_status(struct node_ctx *ctx, const char *status)
{
    (void)ctx;
    rpc_warmup_set_status(status);
}

/* Runs hooks [from, to) on the calling thread. */
static bool start_hooks(struct init_state *st, size_t from, size_t to)
{
    char err[INIT_ERR_LEN];
    for (size_t i = from; i < to; i++) {
        err[0] = '\0';
        LOG_INFO(LOG_CAT_GENERAL, "starting %s", init_hooks[i].name);
        rpc_warmup_set_status(init_hooks[i].warmup);
        if (!init_hooks[i].start(&st->ctx, err, sizeof err)) {
            if (node_shutdown_requested(&st->ctx)) {
                LOG_INFO(LOG_CAT_GENERAL, "starting %s stopped: shutdown requested (%s)",
                         init_hooks[i].name, err);
            } else {
                LOG_ERROR(LOG_CAT_GENERAL, "starting %s failed: %s", init_hooks[i].name, err);
                print_err("%s: %s", init_hooks[i].name, err);
            }
            return false;
        }
        st->hooks_started = i + 1;
    }
    return true;
}

#define INIT_N_HOOKS (sizeof init_hooks / sizeof init_hooks[0])

/* The hooks before the first on_loop one run on the startup thread. */
static size_t first_loop_hook(void)
{
    size_t k = 0;
    while (k < INIT_N_HOOKS && !init_hooks[k].on_loop)
        k++;
    return k;
}

static void *startup_main(void *arg)
{
    struct init_state *st = arg;
    st->startup_ok = start_hooks(st, 0, first_loop_hook());
    /* Wakes the loop thread (event_active is thread-safe with pthreads on). */
    event_active(st->startup_done_ev, EV_READ, 0);
    return NULL;
}

/* Loop thread, once the startup thread is done: the loop hooks, then the
 * node is ready. */
static void on_startup_done(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct init_state *st = arg;
    pthread_join(st->startup_thread, NULL);
    st->startup_running = false;
    if (node_shutdown_requested(&st->ctx))
        return; /* the shutdown event ends the loop */
    if (!st->startup_ok || !start_hooks(st, first_loop_hook(), INIT_N_HOOKS)) {
        st->rc = node_shutdown_requested(&st->ctx) ? 0 : 1;
        event_base_loopbreak(st->ctx.base);
        return;
    }
    rpc_warmup_finish();
    LOG_INFO(LOG_CAT_GENERAL, "init done");
    notify_parent(st);
}

static void stop_hooks(struct init_state *st)
{
    while (st->hooks_started > 0) {
        const struct init_hook *h = &init_hooks[--st->hooks_started];
        if (h->stop != NULL) {
            LOG_INFO(LOG_CAT_GENERAL, "stopping %s", h->name);
            h->stop(&st->ctx);
        }
    }
}

/* Chooses the plugins and registers their consensus parts: before any hook
 * runs, so the chain opens (and reindexes) with them. */
static bool host_plugins(struct init_state *st, char *err, size_t errlen)
{
    st->ctx.plugins = &st->plugins;
    for (size_t i = 0; i < INIT_N_PLUGINS; i++) {
        const struct init_plugin *ip = &init_plugins[i];
        bool on = true;
        if (ip->option != NULL &&
            args_get_bool(&st->args, ip->option, false, &on, err, errlen) != ARGS_OK)
            return false;
        if (!on)
            continue;
        if (ip->regtest_only && st->ctx.params->network != CHAIN_REGTEST) {
            snprintf(err, errlen, "-%s is only allowed on regtest", ip->option);
            return false;
        }
        if (!pluginhost_add(&st->plugins, ip->plugin, err, errlen))
            return false;
        LOG_INFO(LOG_CAT_PLUGIN, "hosting plugin %s", ip->plugin->name);
    }
    return pluginhost_install(&st->plugins, err, errlen);
}

static void teardown(struct init_state *st)
{
    if (st->startup_running) {
        /* A shutdown during warm-up: the chain stops between blocks. */
        atomic_store(&st->ctx.shutdown_requested, true);
        pthread_join(st->startup_thread, NULL);
        st->startup_running = false;
    }
    if (st->startup_done_ev != NULL)
        event_free(st->startup_done_ev);
    rpc_service_stop(&st->ctx);
    stop_hooks(st);
    notify_queue_stop(st->ctx.notify);
    st->ctx.notify = NULL;
    eventbus_free(st->ctx.events);
    st->ctx.events = NULL;
    if (st->pid_written)
        unlink(st->pid_path);
    for (int i = 0; i < 3; i++)
        if (st->sig_ev[i] != NULL)
            event_free(st->sig_ev[i]);
    if (st->shutdown_ev != NULL)
        event_free(st->shutdown_ev);
    if (st->ctx.base != NULL)
        event_base_free(st->ctx.base);
    rpc_table_clear(&st->rpc);
    pluginhost_clear(&st->plugins);
    chatbus_destroy(&st->chatbus);
    pthread_mutex_destroy(&st->ctx.lock);
    if (st->lock_fd >= 0)
        close(st->lock_fd);
    args_clear(&st->args);
    free(st->opts);
}

int init_main(int argc, char *argv[])
{
    static struct init_state st; /* reachable from signal and shutdown callbacks */
    char err[INIT_ERR_LEN];
    st.lock_fd = -1;
    st.notify_fd = -1;
    pthread_mutex_init(&st.ctx.lock, NULL);
    atomic_init(&st.ctx.shutdown_requested, false);
    st.ctx.args = &st.args;
    st.ctx.rpc = &st.rpc;
    chatbus_init(&st.chatbus);
    st.ctx.chatbus = &st.chatbus;
    st.ctx.priv = &st;
    st.ctx.request_shutdown = request_shutdown;
    st.ctx.warmup_status = warmup_status;
    st.ctx.fatal_error = fatal_error;
    atomic_init(&st.fatal, false);
    rpc_table_init(&st.rpc);
    sqlitedb_global_init();

    int rc = 1;
    if (!build_options(&st)) {
        print_err("out of memory");
        goto out;
    }
    if (args_init(&st.args, st.opts, st.n_opts, err, sizeof err) != ARGS_OK) {
        print_err("%s", err);
        goto out;
    }
    if (wants_help(argc, argv)) {
        print_help(&st.args);
        rc = 0;
        goto out;
    }
    if (wants_version(argc, argv)) {
        printf("souk daemon version %s\n", PACKAGE_VERSION);
        rc = 0;
        goto out;
    }
    if (args_parse_cmdline(&st.args, argc, argv, err, sizeof err) != ARGS_OK) {
        print_err("%s", err);
        goto out;
    }
    size_t npos;
    const char *const *pos = args_positional(&st.args, &npos);
    if (npos > 0) {
        print_err("unexpected argument '%s' (options start with '-'; see soukd -help)", pos[0]);
        goto out;
    }
    if (!setup_datadir(&st) || !read_config(&st) || !setup_network(&st))
        goto out;
    bool daemon_mode;
    if (args_get_bool(&st.args, "daemon", false, &daemon_mode, err, sizeof err) != ARGS_OK) {
        print_err("%s", err);
        goto out;
    }
    if (daemon_mode && !daemonize(&st))
        goto out;
    if (!take_lock(&st) || !start_logging(&st, daemon_mode))
        goto out;
    st.ctx.start_time = time_now();
    LOG_INFO(LOG_CAT_GENERAL, "soukd starting on %s, data directory %s", st.ctx.params->name,
             st.ctx.datadir);
    if ((daemon_mode && !write_pid_file(&st)) || !setup_loop(&st))
        goto out_log;
    if (!notify_queue_start(&st.ctx.notify, 0, err, sizeof err) ||
        !eventpub_bus_new(&st.args, &st.ctx.events, err, sizeof err)) {
        print_err("%s", err);
        goto out_log;
    }
    rpc_warmup_set_status("Starting\xe2\x80\xa6");
    if (!host_plugins(&st, err, sizeof err) || !start_rpc_methods(&st.ctx, err, sizeof err) ||
        !rpc_service_start(&st.ctx, err, sizeof err)) {
        LOG_ERROR(LOG_CAT_GENERAL, "%s", err);
        print_err("%s", err);
        goto out_log;
    }
    st.startup_done_ev = event_new(st.ctx.base, -1, 0, on_startup_done, &st);
    if (st.startup_done_ev == NULL ||
        pthread_create(&st.startup_thread, NULL, startup_main, &st) != 0) {
        print_err("cannot start the startup thread");
        goto out_log;
    }
    st.startup_running = true;
    st.rc = 0;
    event_base_dispatch(st.ctx.base);
    LOG_INFO(LOG_CAT_GENERAL, "shutting down");
    rc = atomic_load(&st.fatal) ? 1 : st.rc;
out_log:
    teardown(&st);
    LOG_INFO(LOG_CAT_GENERAL, "shutdown %s",
             rc == 0 ? "done" : atomic_load(&st.fatal) ? "after a fatal error" : "after a failed startup");
    log_shutdown();
    return rc;
out:
    teardown(&st);
    return rc;
}
