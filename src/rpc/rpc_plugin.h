/* rpc_plugin: getplugininfo and getindexinfo, and adding every hosted
 * plugin's methods to the RPC table.
 *
 * getplugininfo shows what the node hosts: the core's transaction types
 * and chainstate prefixes, then each plugin's types (with their fields and
 * bounds), rules (reason, class), prefixes, deadline owners, methods,
 * inventory types, database file and the state of its index. */
#ifndef SOUK_RPC_RPC_PLUGIN_H
#define SOUK_RPC_RPC_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>

struct pluginhost;
struct rpc_table;

/* getplugininfo, getindexinfo, then every plugin's own table (a duplicate method name is
 * refused with a message naming the plugin). */
bool rpc_plugin_register(struct rpc_table *t, const struct pluginhost *host, char *err,
                         size_t errlen);

#endif
