/* rpc_bare: the yardstick of contrib/bench_rpc.py — a bare libevent evhttp
 * server on 127.0.0.1:<port> answering every request with one fixed
 * JSON-RPC reply, as fast as evhttp alone can. No threads, no parsing, no
 * authentication: what soukd's RPC server is compared with.
 *
 *   rpc_bare <port>      (runs until killed) */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

static const char reply[] = "{\"result\":0,\"error\":null,\"id\":1}\n";

static void on_request(struct evhttp_request *req, void *arg)
{
    (void)arg;
    struct evbuffer *b = evhttp_request_get_output_buffer(req);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
    evbuffer_add_reference(b, reply, sizeof reply - 1, NULL, NULL);
    evhttp_send_reply(req, 200, "OK", NULL);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: rpc_bare <port>\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    struct event_base *base = event_base_new();
    struct evhttp *http = evhttp_new(base);
    if (base == NULL || http == NULL ||
        evhttp_bind_socket(http, "127.0.0.1", (unsigned short)atoi(argv[1])) != 0) {
        fprintf(stderr, "rpc_bare: cannot listen on port %s\n", argv[1]);
        return 1;
    }
    evhttp_set_gencb(http, on_request, NULL);
    printf("ready\n");
    fflush(stdout);
    event_base_dispatch(base);
    return 0;
}
