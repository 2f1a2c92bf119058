/* rpc_load: the HTTP load generator of contrib/bench_rpc.py.
 *
 *   rpc_load <port> <connections> <auth|-> repeat <seconds> <body>
 *   rpc_load <port> <connections> <auth|-> file <path>
 *
 * Keeps <connections> keep-alive connections to 127.0.0.1:<port>, each
 * with one POST / in flight. "repeat" sends <body> again and again for
 * <seconds>; "file" sends the lines of <path>, connection c taking the
 * c-th of <connections> equal consecutive slices in order (so a sender's
 * transactions can stay on one connection in nonce order). Prints
 * "requests <n> ok <n> seconds <s>", where ok counts HTTP 200 replies whose
 * body has "error":null. One thread and poll(), so that the client costs
 * the machine as little as it can; written for the benchmark only. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

struct conn {
    int fd;
    char *out;
    size_t out_len, out_off;
    char *in;
    size_t in_len, in_cap;
    size_t next, end; /* file mode: the lines this connection sends */
    int busy;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static char **lines;
static size_t n_lines;
static const char *auth;
static const char *repeat_body;

static void build(struct conn *c, const char *body)
{
    size_t bl = strlen(body);
    size_t need = bl + 512 + (auth != NULL ? strlen(auth) : 0);
    free(c->out);
    c->out = malloc(need);
    if (c->out == NULL)
        exit(2);
    int n = snprintf(c->out, need,
                     "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s%sContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n%s",
                     auth != NULL ? "Authorization: " : "", auth != NULL ? auth : "",
                     auth != NULL ? "\r\n" : "", bl, body);
    c->out_len = (size_t)n;
    c->out_off = 0;
    c->busy = 1;
}

static int connect_one(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        perror("connect");
        exit(2);
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* A whole reply in c->in: its length, or 0 when more is needed. */
static size_t reply_len(const struct conn *c, int *status, int *ok)
{
    char *end = NULL;
    for (size_t i = 3; i < c->in_len; i++)
        if (memcmp(c->in + i - 3, "\r\n\r\n", 4) == 0) {
            end = c->in + i + 1;
            break;
        }
    if (end == NULL)
        return 0;
    size_t head = (size_t)(end - c->in);
    size_t clen = 0;
    for (char *p = c->in; p < end;) {
        char *eol = memchr(p, '\n', (size_t)(end - p));
        if (eol == NULL)
            break;
        if (strncasecmp(p, "Content-Length:", 15) == 0)
            clen = strtoul(p + 15, NULL, 10);
        p = eol + 1;
    }
    if (c->in_len < head + clen)
        return 0;
    *status = atoi(c->in + 9);
    *ok = 0;
    if (*status == 200) {
        const char *b = c->in + head;
        for (size_t i = 0; i + 12 <= clen; i++)
            if (memcmp(b + i, "\"error\":null", 12) == 0) {
                *ok = 1;
                break;
            }
    }
    return head + clen;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: see the comment at the top of rpc_load.c\n");
        return 2;
    }
    int port = atoi(argv[1]);
    int nconn = atoi(argv[2]);
    auth = strcmp(argv[3], "-") != 0 ? argv[3] : NULL;
    int file_mode = strcmp(argv[4], "file") == 0;
    double seconds = 0;
    if (file_mode) {
        FILE *f = fopen(argv[5], "r");
        if (f == NULL) {
            perror(argv[5]);
            return 2;
        }
        size_t cap = 0;
        char *line = NULL;
        size_t lcap = 0;
        ssize_t n;
        while ((n = getline(&line, &lcap, f)) > 0) {
            while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                line[--n] = '\0';
            if (n == 0)
                continue;
            if (n_lines == cap) {
                cap = cap ? cap * 2 : 1024;
                lines = realloc(lines, cap * sizeof *lines);
            }
            lines[n_lines++] = strdup(line);
        }
        free(line);
        fclose(f);
    } else {
        if (argc < 7)
            return 2;
        seconds = atof(argv[5]);
        repeat_body = argv[6];
    }
    struct conn *cs = calloc((size_t)nconn, sizeof *cs);
    struct pollfd *pf = calloc((size_t)nconn, sizeof *pf);
    size_t per = file_mode ? (n_lines + (size_t)nconn - 1) / (size_t)nconn : 0;
    for (int i = 0; i < nconn; i++) {
        cs[i].fd = connect_one(port);
        cs[i].in_cap = 1 << 16;
        cs[i].in = malloc(cs[i].in_cap);
        if (file_mode) {
            cs[i].next = (size_t)i * per;
            cs[i].end = cs[i].next + per < n_lines ? cs[i].next + per : n_lines;
            if (cs[i].next < cs[i].end)
                build(&cs[i], lines[cs[i].next++]);
        } else {
            build(&cs[i], repeat_body);
        }
    }
    long requests = 0, ok = 0;
    double t0 = now(), stop = t0 + seconds;
    int active = 1;
    while (active) {
        active = 0;
        for (int i = 0; i < nconn; i++) {
            pf[i].fd = cs[i].busy ? cs[i].fd : -1;
            pf[i].events = cs[i].out_off < cs[i].out_len ? POLLOUT : POLLIN;
            active |= cs[i].busy;
        }
        if (!active)
            break;
        if (poll(pf, (nfds_t)nconn, 1000) < 0 && errno != EINTR)
            return 2;
        for (int i = 0; i < nconn; i++) {
            struct conn *c = &cs[i];
            if (!c->busy || pf[i].revents == 0)
                continue;
            if (c->out_off < c->out_len) {
                ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
                if (w < 0 && errno != EAGAIN && errno != EINTR) {
                    perror("send");
                    return 2;
                }
                if (w > 0)
                    c->out_off += (size_t)w;
                continue;
            }
            if (c->in_len == c->in_cap) {
                c->in_cap *= 2;
                c->in = realloc(c->in, c->in_cap);
            }
            ssize_t r = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
            if (r <= 0) {
                fprintf(stderr, "connection %d closed by the server\n", i);
                return 2;
            }
            c->in_len += (size_t)r;
            int status, good;
            size_t len = reply_len(c, &status, &good);
            if (len == 0)
                continue;
            memmove(c->in, c->in + len, c->in_len - len);
            c->in_len -= len;
            requests++;
            ok += good;
            c->busy = 0;
            if (file_mode) {
                if (c->next < c->end)
                    build(c, lines[c->next++]);
            } else if (now() < stop) {
                c->out_off = 0;
                c->busy = 1;
            }
        }
    }
    printf("requests %ld ok %ld seconds %.6f\n", requests, ok, now() - t0);
    return 0;
}
