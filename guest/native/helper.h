/*
 * tsd-runc-helper: the few syscalls a container needs that Node cannot make safely.
 * The TypeScript runtime (guest/runc/) decides everything; this program executes a plan of
 * steps in order and reports the first failure as "error <step> <errno> <detail>".
 * See README.md for the plan format, the sync protocol and the stages.
 */
#ifndef TSD_HELPER_H
#define TSD_HELPER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PLAN_MAGIC "TSDP"
#define PLAN_VERSION 1
#define MAX_FIELDS 4096

/* One step of the plan: its name and its arguments (each NUL-terminated; len excludes the NUL). */
struct step {
	int argc;
	char **argv;
	size_t *len;
};

/* The sync channel to the TypeScript parent (a unix stream socket inherited as a numbered fd). */
extern int sync_fd;
/* The container process's pid as the host sees it (for the state hooks receive). */
extern pid_t host_pid;

/* Until the plan arrives on fd: keeps the cgroup lock in its slow mode (cgroup-warm.c). */
void cgroup_keep_warm(int fd);

/* Writes one line to the parent. Lines are the whole protocol: see README.md. */
void sync_send(const char *fmt, ...);
/* Blocks until the parent answers "ack"; any other answer (or EOF) ends the helper. */
void sync_wait_ack(const char *name);
/* Reports a failed step with errno and exits: the parent turns it into an error. */
void fail(const char *step, int err, const char *detail) __attribute__((noreturn));

/* Steps, one function per kind; each returns 0 or -1 with errno set. */
int run_fs_step(const struct step *s, int *handled);
int run_identity_step(const struct step *s, int *handled);
int run_console_step(const struct step *s, int *handled);
/* hook PATH TIMEOUT STATE_BEFORE_PID STATE_AFTER_PID N ARG×N ENV...: an OCI hook run from inside the container. */
int run_hook(const struct step *s);

/* console_relay: a socketpair whose other end the container sends its pty master to. */
int console_relay_prepare(void);
/* Receives the master and relays it to stdin/stdout until the terminal closes. */
void console_relay_run(int sock);

/* `tsd-runc-helper recvtty SOCKET`: receives a pty master and relays it to stdio (tests, tools). */
int recvtty_main(const char *socket_path);

unsigned long parse_ulong(const char *text, int base);

#endif
