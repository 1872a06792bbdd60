/*
 * containerd-shim-tsd-v2's front end (shim-front.c): handles `start` when the namespace's group
 * shim is already serving, execs the Node shim (dist/guest/shim.mjs) for everything else.
 */
#ifndef TSD_SHIM_FRONT_H
#define TSD_SHIM_FRONT_H
#include <stddef.h>

/* The lowercase hex SHA-256 of data (shim-sha256.c). */
void sha256_hex(const void *data, size_t length, char out[65]);

/* Calls containerd.task.v2.Task/Connect {id} on the ttrpc socket (shim-ttrpc.c): 0 when the shim
 * answered with an OK status, -1 on any failure (no server, timeout, error status). */
int ttrpc_connect_task(const char *socket_path, const char *id);

#endif
