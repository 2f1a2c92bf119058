/* mkstemp, mkdtemp are POSIX. */
#define _POSIX_C_SOURCE 200809L

#include "unit.h"
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/args.h"

static const struct args_option opts[] = {
    {"conf", "<file>", "souk.conf", "Specify the configuration file.", ARGS_CLI_ONLY, "Options"},
    {"datadir", "<dir>", NULL, "Specify the data directory.", ARGS_CLI_ONLY, NULL},
    {"testnet", NULL, NULL, "Use the test network.", 0, "Chain selection options"},
    {"regtest", NULL, NULL, "Use the regression test network.", 0, NULL},
    {"port", "<port>", "8733", "Listen for connections on <port>.", 0, "Connection options"},
    {"addnode", "<ip>", NULL, "Add a node to connect to.", ARGS_MULTI, NULL},
    {"listen", NULL, "1", "Accept connections from outside.", 0, NULL},
    {"server", NULL, "0", "Accept JSON-RPC commands.", 0, "RPC server options"},
    {"rpcpassword", "<pw>", NULL, "Password for JSON-RPC connections.", 0, NULL},
    {"debug", "<category>", NULL,
     "Output debug logging for <category>. If <category> is not supplied or is 1 or all, "
     "output all debug logging; 0 or none turns it off. Categories: net, p2p, rpc, http, "
     "mempool, validation, db, bench, wallet, market, review, chat, plugin.",
     ARGS_MULTI, "Debugging options"},
    {"checklevel", "<n>", NULL, "An option nobody should see.", ARGS_HIDDEN, NULL},
    {"maxpeers", "<n>", "125", "", 0, NULL},
};
#define N_OPTS (sizeof opts / sizeof opts[0])

static struct args a;
static char err[512];

static void setup(void)
{
    err[0] = '\0';
    ck_assert_int_eq(args_init(&a, opts, N_OPTS, err, sizeof err), ARGS_OK);
}

static void teardown(void)
{
    args_clear(&a);
}

#define ARGV(...) ((char *[]){"soukd", __VA_ARGS__})
#define CLI(...) \
    args_parse_cmdline(&a, (int)(sizeof ARGV(__VA_ARGS__) / sizeof(char *)), ARGV(__VA_ARGS__), err, sizeof err)

static enum args_err conf(const char *text)
{
    return args_read_config_text(&a, text, strlen(text), "souk.conf", err, sizeof err);
}

static void assert_err_has(const char *needle)
{
    ck_assert_msg(strstr(err, needle) != NULL, "error '%s' does not mention '%s'", err, needle);
}

static int64_t get_int(const char *name, int64_t def)
{
    int64_t v = -999;
    ck_assert_int_eq(args_get_int(&a, name, def, INT64_MIN, INT64_MAX, &v, err, sizeof err), ARGS_OK);
    return v;
}

static bool get_bool(const char *name, bool def)
{
    bool v;
    ck_assert_int_eq(args_get_bool(&a, name, def, &v, err, sizeof err), ARGS_OK);
    return v;
}

static void assert_list(const char *name, size_t n, const char *const *expect)
{
    const char *const *vals = NULL;
    ck_assert_uint_eq(args_get_list(&a, name, &vals), n);
    ck_assert_ptr_nonnull(vals);
    for (size_t i = 0; i < n; i++)
        ck_assert_str_eq(vals[i], expect[i]);
}

/* ------------------------------------------------------------ command line */

START_TEST(cli_values)
{
    ck_assert_int_eq(CLI("-port=1234", "-listen", "--server", "-rpcpassword=a=b#c", "-datadir="),
                     ARGS_OK);
    ck_assert_int_eq(get_int("port", 1), 1234);
    ck_assert_str_eq(args_get_str(&a, "port", "x"), "1234");
    ck_assert(get_bool("listen", false));
    ck_assert_str_eq(args_get_str(&a, "listen", NULL), "1");
    ck_assert(get_bool("server", false));
    /* only the first '=' separates */
    ck_assert_str_eq(args_get_str(&a, "rpcpassword", NULL), "a=b#c");
    ck_assert(args_is_set(&a, "datadir"));
    ck_assert_str_eq(args_get_str(&a, "datadir", "default"), "");

    /* unset options give the caller's default */
    ck_assert(!args_is_set(&a, "maxpeers"));
    ck_assert_str_eq(args_get_str(&a, "maxpeers", "125"), "125");
    ck_assert_ptr_null(args_get_str(&a, "conf", NULL));
    ck_assert_int_eq(get_int("maxpeers", 125), 125);
    ck_assert(!get_bool("regtest", false));
    ck_assert(get_bool("regtest", true));

    /* a single-value option given twice: the last wins */
    ck_assert_int_eq(CLI("-port=1", "-port=2"), ARGS_OK);
    ck_assert_int_eq(get_int("port", 0), 2);

    size_t n = 99;
    args_positional(&a, &n);
    ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(cli_negation)
{
    ck_assert_int_eq(CLI("-nolisten"), ARGS_OK);
    ck_assert(args_is_set(&a, "listen"));
    ck_assert(!get_bool("listen", true));
    ck_assert_str_eq(args_get_str(&a, "listen", "1"), "0");
    ck_assert_int_eq(get_int("listen", 5), 0);

    ck_assert_int_eq(CLI("-nolisten=0"), ARGS_OK);
    ck_assert(get_bool("listen", false));
    ck_assert_int_eq(CLI("-nolisten=1"), ARGS_OK);
    ck_assert(!get_bool("listen", true));
    ck_assert_int_eq(CLI("-listen", "-nolisten"), ARGS_OK);
    ck_assert(!get_bool("listen", true));
    ck_assert_int_eq(CLI("-nolisten", "--listen"), ARGS_OK);
    ck_assert(get_bool("listen", false));
    ck_assert_int_eq(CLI("--nolisten"), ARGS_OK);
    ck_assert(!get_bool("listen", true));

    /* -nolisten=2 means nothing: refused, state untouched */
    ck_assert_int_eq(CLI("-listen", "-nolisten=2"), ARGS_ERR_BAD_VALUE);
    assert_err_has("-nolisten");
    ck_assert(!get_bool("listen", true));
}
END_TEST

START_TEST(cli_positional)
{
    ck_assert_int_eq(CLI("-rpcpassword=pw", "sendtoaddress", "rsouk1xyz", "-5", "-port=9"), ARGS_OK);
    size_t n;
    const char *const *pos = args_positional(&a, &n);
    ck_assert_uint_eq(n, 4);
    ck_assert_str_eq(pos[0], "sendtoaddress");
    ck_assert_str_eq(pos[1], "rsouk1xyz");
    ck_assert_str_eq(pos[2], "-5");
    ck_assert_str_eq(pos[3], "-port=9");
    /* options after the first positional are not options */
    ck_assert(!args_is_set(&a, "port"));
    ck_assert_str_eq(args_get_str(&a, "rpcpassword", NULL), "pw");

    /* "--" ends the options and is dropped */
    ck_assert_int_eq(CLI("-port=7", "--", "-notanoption", "x"), ARGS_OK);
    pos = args_positional(&a, &n);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(pos[0], "-notanoption");
    ck_assert_str_eq(pos[1], "x");
    ck_assert_int_eq(get_int("port", 0), 7);

    /* a later parse replaces the positional arguments */
    ck_assert_int_eq(CLI("-listen"), ARGS_OK);
    args_positional(&a, &n);
    ck_assert_uint_eq(n, 0);

    /* argc of 1: nothing at all */
    char *only[] = {"soukd"};
    ck_assert_int_eq(args_parse_cmdline(&a, 1, only, err, sizeof err), ARGS_OK);
}
END_TEST

START_TEST(cli_unknown_option)
{
    ck_assert_int_eq(CLI("-port=1"), ARGS_OK);
    ck_assert_int_eq(CLI("-port=2", "-frobnicate=3"), ARGS_ERR_UNKNOWN_OPTION);
    assert_err_has("-frobnicate");
    /* the whole command line is refused: -port=2 was not applied */
    ck_assert_int_eq(get_int("port", 0), 1);

    ck_assert_int_eq(CLI("-nofrob"), ARGS_ERR_UNKNOWN_OPTION);
    assert_err_has("-nofrob");
    ck_assert_int_eq(CLI("--Port=3"), ARGS_ERR_UNKNOWN_OPTION);
    assert_err_has("-Port");
    /* "no" alone is not a negation of the empty name */
    ck_assert_int_eq(CLI("-no"), ARGS_ERR_UNKNOWN_OPTION);
    /* positional arguments of a refused command line are not kept either */
    ck_assert_int_eq(CLI("-bogus", "getinfo"), ARGS_ERR_UNKNOWN_OPTION);
    size_t n;
    args_positional(&a, &n);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(get_int("port", 0), 1);
}
END_TEST

START_TEST(cli_malformed)
{
    const char *bad[] = {"-", "-=1", "--=1", "---port=1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *argv[] = {"soukd", (char *)bad[i]};
        err[0] = '\0';
        ck_assert_int_eq(args_parse_cmdline(&a, 2, argv, err, sizeof err), ARGS_ERR_MALFORMED);
        assert_err_has(bad[i]);
    }
    /* errors never need a buffer */
    char *argv[] = {"soukd", "-x"};
    ck_assert_int_eq(args_parse_cmdline(&a, 2, argv, NULL, 0), ARGS_ERR_UNKNOWN_OPTION);
}
END_TEST

START_TEST(cli_repeats)
{
    ck_assert_int_eq(CLI("-addnode=a", "-addnode=b", "-addnode=a"), ARGS_OK);
    assert_list("addnode", 3, (const char *[]){"a", "b", "a"});
    ck_assert_str_eq(args_get_str(&a, "addnode", NULL), "a");
    args_clear(&a);
    setup();

    /* a negation discards the values before it */
    ck_assert_int_eq(CLI("-addnode=a", "-noaddnode", "-addnode=c"), ARGS_OK);
    assert_list("addnode", 1, (const char *[]){"c"});
    ck_assert_int_eq(CLI("-noaddnode"), ARGS_OK);
    assert_list("addnode", 0, NULL);
    ck_assert(args_is_set(&a, "addnode"));

    /* a second parse adds to the first */
    ck_assert_int_eq(CLI("-addnode=x"), ARGS_OK);
    ck_assert_int_eq(CLI("-addnode=y"), ARGS_OK);
    assert_list("addnode", 2, (const char *[]){"x", "y"});

    /* unset or unknown: empty */
    assert_list("debug", 0, NULL);
    assert_list("nosuchoption", 0, NULL);
}
END_TEST

/* ------------------------------------------------------------ config */

START_TEST(config_syntax)
{
    const char *text =
        "# a comment\n"
        "\n"
        "   port = 1111   \n"
        "\t listen=0\r\n"
        "rpcpassword=se#cret   # the comment after a space goes\n"
        "addnode=n1 #c\n"
        "  # indented comment\n"
        "addnode=n2#kept\n"
        "server=\n"
        "nomaxpeers=0\n"
        "debug=net";  /* no final newline */
    ck_assert_int_eq(conf(text), ARGS_OK);
    ck_assert_int_eq(get_int("port", 0), 1111);
    ck_assert(!get_bool("listen", true));
    ck_assert_str_eq(args_get_str(&a, "rpcpassword", NULL), "se#cret");
    assert_list("addnode", 2, (const char *[]){"n1", "n2#kept"});
    ck_assert(args_is_set(&a, "server"));
    ck_assert_str_eq(args_get_str(&a, "server", NULL), "");
    ck_assert_str_eq(args_get_str(&a, "maxpeers", NULL), "1");
    assert_list("debug", 1, (const char *[]){"net"});

    /* an empty file is fine */
    ck_assert_int_eq(conf(""), ARGS_OK);
    ck_assert_int_eq(conf("\n\n# nothing\n"), ARGS_OK);
}
END_TEST

START_TEST(config_negation)
{
    ck_assert_int_eq(conf("listen=1\nnolisten=1\n"), ARGS_OK);
    ck_assert(!get_bool("listen", true));
    ck_assert_int_eq(conf("nolisten=0\n"), ARGS_OK);
    ck_assert(get_bool("listen", false));
    ck_assert_int_eq(conf("nolisten=yes\n"), ARGS_ERR_BAD_VALUE);
    assert_err_has("souk.conf:1:");
    assert_err_has("nolisten");
    ck_assert(get_bool("listen", false));
}
END_TEST

START_TEST(config_sections)
{
    const char *text =
        "port=1\n"
        "addnode=top\n"
        "[main]\n"
        "rpcpassword=mainpw\n"
        "[test]\n"
        "port=2\n"
        "[ regtest ]\n"
        "port=3\n"
        "addnode=r1\n"
        "addnode=r2\n";
    ck_assert_int_eq(conf(text), ARGS_OK);

    ck_assert_int_eq(args_network(&a), ARGS_NET_MAIN);
    ck_assert_int_eq(get_int("port", 0), 1);
    ck_assert_str_eq(args_get_str(&a, "rpcpassword", "none"), "mainpw");
    assert_list("addnode", 1, (const char *[]){"top"});

    ck_assert_int_eq(CLI("-testnet"), ARGS_OK);
    ck_assert_int_eq(args_select_network(&a, err, sizeof err), ARGS_OK);
    ck_assert_int_eq(args_network(&a), ARGS_NET_TEST);
    ck_assert_str_eq(args_network_name(args_network(&a)), "test");
    ck_assert_int_eq(get_int("port", 0), 2);
    /* [main] does not leak into other networks */
    ck_assert(!args_is_set(&a, "rpcpassword"));
    ck_assert_str_eq(args_get_str(&a, "rpcpassword", "none"), "none");
    assert_list("addnode", 1, (const char *[]){"top"});
}
END_TEST

START_TEST(precedence)
{
    ck_assert_int_eq(conf("port=1\n[regtest]\nport=2\n"), ARGS_OK);
    ck_assert_int_eq(CLI("-regtest"), ARGS_OK);
    ck_assert_int_eq(args_select_network(&a, err, sizeof err), ARGS_OK);
    ck_assert_int_eq(args_network(&a), ARGS_NET_REGTEST);
    /* section beats top level */
    ck_assert_int_eq(get_int("port", 0), 2);
    /* command line beats the section */
    ck_assert_int_eq(CLI("-port=3"), ARGS_OK);
    ck_assert_int_eq(get_int("port", 0), 3);
    /* ... also when the config file is read after the command line */
    ck_assert_int_eq(conf("[regtest]\nport=4\n"), ARGS_OK);
    ck_assert_int_eq(get_int("port", 0), 3);

    /* a command-line negation beats config values */
    ck_assert_int_eq(conf("listen=1\n[regtest]\nlisten=1\n"), ARGS_OK);
    ck_assert_int_eq(CLI("-nolisten"), ARGS_OK);
    ck_assert(!get_bool("listen", true));
}
END_TEST

START_TEST(list_precedence)
{
    ck_assert_int_eq(conf("addnode=t1\naddnode=t2\n[regtest]\naddnode=r1\n"), ARGS_OK);
    assert_list("addnode", 2, (const char *[]){"t1", "t2"});
    ck_assert_int_eq(CLI("-regtest"), ARGS_OK);
    ck_assert_int_eq(args_select_network(&a, err, sizeof err), ARGS_OK);
    /* the section's values replace the top level's */
    assert_list("addnode", 1, (const char *[]){"r1"});
    /* command-line values replace the config file's */
    ck_assert_int_eq(CLI("-addnode=c1", "-addnode=c2"), ARGS_OK);
    assert_list("addnode", 2, (const char *[]){"c1", "c2"});
    ck_assert_str_eq(args_get_str(&a, "addnode", NULL), "c2");
    /* and -noaddnode on the command line empties the list */
    ck_assert_int_eq(CLI("-noaddnode"), ARGS_OK);
    assert_list("addnode", 0, NULL);
    ck_assert(args_is_set(&a, "addnode"));
}
END_TEST

START_TEST(config_unknown_option)
{
    ck_assert_int_eq(conf("port=1\n"), ARGS_OK);
    ck_assert_int_eq(conf("port=5\n\n# x\nfrobnicate=1\n"), ARGS_ERR_UNKNOWN_OPTION);
    assert_err_has("souk.conf:4:");
    assert_err_has("frobnicate");
    /* nothing from the refused file was applied */
    ck_assert_int_eq(get_int("port", 0), 1);

    /* inside a section too */
    ck_assert_int_eq(conf("[test]\nport=2\n[regtest]\n  bogus = 1\n"), ARGS_ERR_UNKNOWN_OPTION);
    assert_err_has("souk.conf:4:");
    assert_err_has("bogus");
    ck_assert_int_eq(conf("nofrob=1\n"), ARGS_ERR_UNKNOWN_OPTION);
    assert_err_has("nofrob");
    /* dotted section.key syntax is not supported */
    ck_assert_int_eq(conf("regtest.port=1\n"), ARGS_ERR_UNKNOWN_OPTION);
    assert_err_has("regtest.port");
}
END_TEST

START_TEST(config_malformed)
{
    struct {
        const char *text;
        enum args_err rc;
        const char *mention;
    } cases[] = {
        {"port=1\nlisten\n", ARGS_ERR_MALFORMED, "souk.conf:2:"},
        {"-port=1\n", ARGS_ERR_MALFORMED, "souk.conf:1:"},
        {"=1\n", ARGS_ERR_MALFORMED, "souk.conf:1:"},
        {"\n\n[main\n", ARGS_ERR_MALFORMED, "souk.conf:3:"},
        {"[main] port=1\n", ARGS_ERR_MALFORMED, "souk.conf:1:"},
        {"[foo]\nport=1\n", ARGS_ERR_UNKNOWN_SECTION, "foo"},
        {"[]\n", ARGS_ERR_UNKNOWN_SECTION, "souk.conf:1:"},
        {"[Main]\n", ARGS_ERR_UNKNOWN_SECTION, "Main"},
        {"port=1\nconf=/etc/souk.conf\n", ARGS_ERR_CLI_ONLY, "conf"},
        {"[main]\ndatadir=/x\n", ARGS_ERR_CLI_ONLY, "souk.conf:2:"},
        {"[regtest]\nregtest=1\n", ARGS_ERR_MISPLACED, "souk.conf:2:"},
        {"[test]\ntestnet=1\n", ARGS_ERR_MISPLACED, "testnet"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        err[0] = '\0';
        ck_assert_msg(conf(cases[i].text) == cases[i].rc, "case %zu: %s", i, err);
        assert_err_has(cases[i].mention);
    }
    /* the hint for a bare word */
    ck_assert_int_eq(conf("nolisten\n"), ARGS_ERR_MALFORMED);
    assert_err_has("nolisten");
    assert_err_has("=1");

    /* a NUL byte inside the text */
    const char nul[] = "port=1\npo\0rt=2\n";
    ck_assert_int_eq(args_read_config_text(&a, nul, sizeof nul - 1, "souk.conf", err, sizeof err),
                     ARGS_ERR_MALFORMED);
    assert_err_has("souk.conf:2:");
    ck_assert(!args_is_set(&a, "port"));
    ck_assert(!args_is_set(&a, "listen"));
}
END_TEST

START_TEST(config_file_on_disk)
{
    char path[] = "/tmp/souk_test_args_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    const char *text = "port=4444\n[regtest]\nport=5555\nunknownopt=1\n";
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);

    ck_assert_int_eq(args_read_config_file(&a, path, err, sizeof err), ARGS_ERR_UNKNOWN_OPTION);
    /* the message names the file, the line and the option */
    assert_err_has(path);
    assert_err_has(":4:");
    assert_err_has("unknownopt");
    ck_assert(!args_is_set(&a, "port"));

    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("port=4444\n[regtest]\nport=5555\n", f);
    fclose(f);
    ck_assert_int_eq(args_read_config_file(&a, path, err, sizeof err), ARGS_OK);
    ck_assert_int_eq(get_int("port", 0), 4444);
    unlink(path);

    ck_assert_int_eq(args_read_config_file(&a, path, err, sizeof err), ARGS_ERR_NO_FILE);
    assert_err_has(path);

    char dir[] = "/tmp/souk_test_argsdir_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(args_read_config_file(&a, dir, err, sizeof err), ARGS_ERR_IO);
    assert_err_has(dir);
    rmdir(dir);
    ck_assert_int_eq(get_int("port", 0), 4444);
}
END_TEST

/* ------------------------------------------------------------ network */

START_TEST(network_selection)
{
    ck_assert_int_eq(args_select_network(&a, err, sizeof err), ARGS_OK);
    ck_assert_int_eq(args_network(&a), ARGS_NET_MAIN);
    ck_assert_str_eq(args_network_name(ARGS_NET_MAIN), "main");
    ck_assert_str_eq(args_network_name(ARGS_NET_REGTEST), "regtest");
    ck_assert_str_eq(args_network_name((enum args_network)7), "?");

    /* from the top of the config file */
    ck_assert_int_eq(conf("regtest=1\n"), ARGS_OK);
    ck_assert_int_eq(args_select_network(&a, err, sizeof err), ARGS_OK);
    ck_assert_int_eq(args_network(&a), ARGS_NET_REGTEST);

    /* the command line overrides it */
    ck_assert_int_eq(CLI("-regtest=0"), ARGS_OK);
    ck_assert_int_eq(args_select_network(&a, err, sizeof err), ARGS_OK);
    ck_assert_int_eq(args_network(&a), ARGS_NET_MAIN);
    ck_assert_int_eq(CLI("-noregtest", "-testnet"), ARGS_OK);
    ck_assert_int_eq(args_select_network(&a, err, sizeof err), ARGS_OK);
    ck_assert_int_eq(args_network(&a), ARGS_NET_TEST);
}
END_TEST

START_TEST(network_conflict)
{
    ck_assert_int_eq(CLI("-testnet", "-regtest"), ARGS_OK);
    ck_assert_int_eq(args_select_network(&a, err, sizeof err), ARGS_ERR_NETWORK_CONFLICT);
    assert_err_has("-testnet");
    assert_err_has("-regtest");
    ck_assert_int_eq(args_network(&a), ARGS_NET_MAIN);
    args_clear(&a);

    /* one from the command line, one from the file */
    setup();
    ck_assert_int_eq(CLI("-testnet"), ARGS_OK);
    ck_assert_int_eq(conf("regtest=1\n"), ARGS_OK);
    ck_assert_int_eq(args_select_network(&a, err, sizeof err), ARGS_ERR_NETWORK_CONFLICT);
    args_clear(&a);

    /* both in the file */
    setup();
    ck_assert_int_eq(conf("testnet=1\nregtest=1\n"), ARGS_OK);
    ck_assert_int_eq(args_select_network(&a, err, sizeof err), ARGS_ERR_NETWORK_CONFLICT);
    args_clear(&a);

    /* junk */
    setup();
    ck_assert_int_eq(CLI("-regtest=yes"), ARGS_OK);
    ck_assert_int_eq(args_select_network(&a, err, sizeof err), ARGS_ERR_BAD_VALUE);
    assert_err_has("-regtest=yes");
    ck_assert_int_eq(args_network(&a), ARGS_NET_MAIN);
}
END_TEST

START_TEST(network_options_need_table_entries)
{
    static const struct args_option small[] = {{"port", "<port>", NULL, "p", 0, NULL}};
    struct args b;
    ck_assert_int_eq(args_init(&b, small, 1, err, sizeof err), ARGS_OK);
    char *argv[] = {"souk-cli", "-regtest"};
    ck_assert_int_eq(args_parse_cmdline(&b, 2, argv, err, sizeof err), ARGS_ERR_UNKNOWN_OPTION);
    assert_err_has("-regtest");
    ck_assert_int_eq(args_select_network(&b, err, sizeof err), ARGS_OK);
    ck_assert_int_eq(args_network(&b), ARGS_NET_MAIN);
    args_clear(&b);
}
END_TEST

/* ------------------------------------------------------------ getters */

START_TEST(int_getter)
{
    int64_t v = 77;
    ck_assert_int_eq(CLI("-port=-5"), ARGS_OK);
    ck_assert_int_eq(get_int("port", 0), -5);
    ck_assert_int_eq(CLI("-port=007"), ARGS_OK);
    ck_assert_int_eq(get_int("port", 0), 7);
    ck_assert_int_eq(CLI("-port=9223372036854775807"), ARGS_OK);
    ck_assert_int_eq(get_int("port", 0), INT64_MAX);
    ck_assert_int_eq(CLI("-port=-9223372036854775808"), ARGS_OK);
    ck_assert_int_eq(get_int("port", 0), INT64_MIN);

    const char *junk[] = {"12abc", "", " 1", "1 ", "+1", "0x10", "1e3", "-", "--1", "1.5"};
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        char word[32];
        snprintf(word, sizeof word, "-port=%s", junk[i]);
        char *argv[] = {"soukd", word};
        ck_assert_int_eq(args_parse_cmdline(&a, 2, argv, err, sizeof err), ARGS_OK);
        ck_assert_msg(args_get_int(&a, "port", 0, INT64_MIN, INT64_MAX, &v, err, sizeof err) ==
                          ARGS_ERR_BAD_VALUE,
                      "'%s' accepted", junk[i]);
        assert_err_has("-port");
        ck_assert_int_eq(v, 77);
    }

    ck_assert_int_eq(CLI("-port=70000"), ARGS_OK);
    ck_assert_int_eq(args_get_int(&a, "port", 8733, 1, 65535, &v, err, sizeof err), ARGS_ERR_RANGE);
    assert_err_has("-port=70000");
    assert_err_has("65535");
    ck_assert_int_eq(v, 77);
    ck_assert_int_eq(CLI("-port=0"), ARGS_OK);
    ck_assert_int_eq(args_get_int(&a, "port", 8733, 1, 65535, &v, err, sizeof err), ARGS_ERR_RANGE);
    ck_assert_int_eq(CLI("-port=99999999999999999999"), ARGS_OK);
    ck_assert_int_eq(args_get_int(&a, "port", 0, INT64_MIN, INT64_MAX, &v, err, sizeof err),
                     ARGS_ERR_RANGE);
    ck_assert_int_eq(CLI("-port=-99999999999999999999"), ARGS_OK);
    ck_assert_int_eq(args_get_int(&a, "port", 0, INT64_MIN, INT64_MAX, &v, err, sizeof err),
                     ARGS_ERR_RANGE);
    ck_assert_int_eq(v, 77);
    ck_assert_int_eq(CLI("-port=65535"), ARGS_OK);
    ck_assert_int_eq(args_get_int(&a, "port", 8733, 1, 65535, &v, err, sizeof err), ARGS_OK);
    ck_assert_int_eq(v, 65535);

    /* a name the program never registered is a programming error, reported */
    ck_assert_int_eq(args_get_int(&a, "prot", 1, 0, 9, &v, err, sizeof err), ARGS_ERR_UNKNOWN_OPTION);
    assert_err_has("prot");
    ck_assert_int_eq(v, 65535);
    ck_assert(!args_is_set(&a, "prot"));
    ck_assert_str_eq(args_get_str(&a, "prot", "d"), "d");
}
END_TEST

START_TEST(bool_getter)
{
    bool v = true;
    const char *junk[] = {"yes", "true", "2", "", "01", " 1"};
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        char word[32];
        snprintf(word, sizeof word, "-server=%s", junk[i]);
        char *argv[] = {"soukd", word};
        ck_assert_int_eq(args_parse_cmdline(&a, 2, argv, err, sizeof err), ARGS_OK);
        ck_assert_msg(args_get_bool(&a, "server", false, &v, err, sizeof err) == ARGS_ERR_BAD_VALUE,
                      "'%s' accepted", junk[i]);
        assert_err_has("-server");
        ck_assert(v);
    }
    ck_assert_int_eq(args_get_bool(&a, "srever", false, &v, err, sizeof err),
                     ARGS_ERR_UNKNOWN_OPTION);
    ck_assert_int_eq(CLI("-server=0"), ARGS_OK);
    ck_assert(!get_bool("server", true));
    ck_assert_int_eq(CLI("-server=1"), ARGS_OK);
    ck_assert(get_bool("server", false));
}
END_TEST

/* ------------------------------------------------------------ table, help, errors */

START_TEST(table_validation)
{
    struct args b;
    static const struct args_option dup[] = {{"port", NULL, NULL, "", 0, NULL},
                                             {"listen", NULL, NULL, "", 0, NULL},
                                             {"port", NULL, NULL, "", 0, NULL}};
    ck_assert_int_eq(args_init(&b, dup, 3, err, sizeof err), ARGS_ERR_BAD_TABLE);
    assert_err_has("port");
    args_clear(&b);

    static const struct args_option ambiguous[] = {{"node", NULL, NULL, "", 0, NULL},
                                                   {"de", NULL, NULL, "", 0, NULL}};
    ck_assert_int_eq(args_init(&b, ambiguous, 2, err, sizeof err), ARGS_ERR_BAD_TABLE);
    assert_err_has("-node");
    args_clear(&b);

    const char *bad_names[] = {"", "Port", "-port", "po rt", "port=1", "p.ort"};
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
        struct args_option one[] = {{bad_names[i], NULL, NULL, "", 0, NULL}};
        ck_assert_msg(args_init(&b, one, 1, err, sizeof err) == ARGS_ERR_BAD_TABLE, "'%s'",
                      bad_names[i]);
        args_clear(&b);
    }
    struct args_option nul[] = {{NULL, NULL, NULL, "", 0, NULL}};
    ck_assert_int_eq(args_init(&b, nul, 1, err, sizeof err), ARGS_ERR_BAD_TABLE);
    /* a failed struct answers queries safely */
    ck_assert(!args_is_set(&b, "port"));
    ck_assert_str_eq(args_get_str(&b, "port", "d"), "d");
    args_clear(&b);

    /* an empty table is valid */
    ck_assert_int_eq(args_init(&b, NULL, 0, err, sizeof err), ARGS_OK);
    char *argv[] = {"souk-cli", "getinfo"};
    ck_assert_int_eq(args_parse_cmdline(&b, 2, argv, err, sizeof err), ARGS_OK);
    size_t n;
    ck_assert_str_eq(args_positional(&b, &n)[0], "getinfo");
    ck_assert_uint_eq(n, 1);
    args_clear(&b);
}
END_TEST

START_TEST(help_text)
{
    struct buf out;
    buf_init(&out);
    ck_assert(buf_append(&out, "Usage: soukd [options]\n\n", 24));
    ck_assert(args_format_help(&a, &out));
    const char *h = (const char *)out.data;
    ck_assert_uint_eq(strlen(h), out.len);

    ck_assert_ptr_nonnull(strstr(h, "Usage: soukd [options]\n\nOptions:\n\n  -conf=<file>\n"));
    ck_assert_ptr_nonnull(strstr(h, "  -port=<port>\n       Listen for connections on <port>. "
                                    "(default: 8733)\n\n"));
    ck_assert_ptr_nonnull(strstr(h, "  -listen\n       Accept connections from outside. (default: 1)\n"));
    ck_assert_ptr_nonnull(strstr(h, "  -datadir=<dir>\n       Specify the data directory.\n\n"));
    ck_assert_ptr_nonnull(strstr(h, "Add a node to connect to. May be given more than once.\n"));
    ck_assert_ptr_nonnull(strstr(h, "\nConnection options:\n\n  -port"));
    ck_assert_ptr_nonnull(strstr(h, "\nRPC server options:\n\n  -server"));
    ck_assert_ptr_nonnull(strstr(h, "  -maxpeers=<n>\n       (default: 125)\n"));
    /* hidden options stay out */
    ck_assert_ptr_null(strstr(h, "checklevel"));
    /* option order follows the table */
    ck_assert(strstr(h, "-testnet") < strstr(h, "-regtest"));
    ck_assert(strstr(h, "-regtest") < strstr(h, "-port"));

    /* long help is wrapped at 79 columns with a 7-space indent, losing no word */
    const char *line = h;
    int long_lines = 0;
    while (*line) {
        const char *nl = strchr(line, '\n');
        ck_assert_ptr_nonnull(nl);
        ck_assert_int_le(nl - line, 79);
        if (strncmp(line, "       ", 7) == 0 && nl - line > 60)
            long_lines++;
        line = nl + 1;
    }
    ck_assert_int_ge(long_lines, 2);
    /* joining the wrapped lines gives back the help text */
    const char *start = strstr(h, "  -debug=<category>\n");
    ck_assert_ptr_nonnull(start);
    start += strlen("  -debug=<category>\n");
    const char *end = strstr(start, "\n\n");
    ck_assert_ptr_nonnull(end);
    char joined[1024];
    size_t jl = 0;
    for (const char *p = start; p < end; p++) {
        if (strncmp(p, "       ", 7) == 0 && (p == start || p[-1] == '\n')) {
            p += 6;
            continue;
        }
        ck_assert_uint_lt(jl, sizeof joined - 1);
        joined[jl++] = *p == '\n' ? ' ' : *p;
    }
    joined[jl] = '\0';
    char expect[1024];
    snprintf(expect, sizeof expect, "%s May be given more than once.", opts[9].help);
    ck_assert_str_eq(joined, expect);
    buf_clear(&out);
}
END_TEST

START_TEST(strerror_table)
{
    for (int e = 0; e < ARGS_ERR_COUNT; e++) {
        const char *s = args_strerror((enum args_err)e);
        ck_assert_ptr_nonnull(s);
        ck_assert_uint_gt(strlen(s), 0);
        for (int k = 0; k < e; k++)
            ck_assert_str_ne(s, args_strerror((enum args_err)k));
    }
    ck_assert_str_eq(args_strerror(ARGS_ERR_COUNT), "unknown error");
    ck_assert_str_eq(args_strerror((enum args_err)-1), "unknown error");
    ck_assert_str_eq(args_strerror(ARGS_OK), "ok");
}
END_TEST

Suite *unit_suite(void)
{
    static const struct fixture_case tc = {.setup = setup, .teardown = teardown};
    const TTest *tests[] = {
        cli_values, cli_negation, cli_positional, cli_unknown_option, cli_malformed, cli_repeats,
        config_syntax, config_negation, config_sections, precedence, list_precedence,
        config_unknown_option, config_malformed, config_file_on_disk, network_selection,
        network_conflict, network_options_need_table_entries, int_getter, bool_getter,
        table_validation, help_text, strerror_table, NULL
    };
    return fixture_suite("args", &tc, tests);
}
