/*
 * OCI hooks that must run inside the container's namespaces (createContainer before pivot_root,
 * startContainer just before the user process): fork, exec the hook with the state JSON on its
 * stdin, wait for it with its timeout. The runtime runs the other hooks itself.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include "helper.h"

static void write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, data, len);
		if (w < 0 && errno == EINTR) continue;
		if (w <= 0) return; /* the hook need not read its stdin */
		data += w;
		len -= w;
	}
}

int run_hook(const struct step *s)
{
	if (s->argc < 6) { errno = EINVAL; return -1; }
	unsigned timeout = parse_ulong(s->argv[2], 10);
	int nargs = (int)parse_ulong(s->argv[5], 10);
	if (nargs < 1 || 6 + nargs > s->argc) { errno = EINVAL; return -1; }
	int in[2];
	if (pipe2(in, O_CLOEXEC) < 0) return -1;
	pid_t pid = fork();
	if (pid < 0) return -1;
	if (pid == 0) {
		dup2(in[0], 0);
		char **argv = calloc(nargs + 1, sizeof(char *));
		char **envp = calloc(s->argc - 6 - nargs + 1, sizeof(char *));
		for (int i = 0; i < nargs; i++) argv[i] = s->argv[6 + i];
		for (int i = 6 + nargs; i < s->argc; i++) envp[i - 6 - nargs] = s->argv[i];
		execve(s->argv[1], argv, envp);
		_exit(127);
	}
	close(in[0]);
	signal(SIGPIPE, SIG_IGN);
	char pidtext[16];
	snprintf(pidtext, sizeof(pidtext), "%d", host_pid);
	write_all(in[1], s->argv[3], s->len[3]);
	write_all(in[1], pidtext, strlen(pidtext));
	write_all(in[1], s->argv[4], s->len[4]);
	close(in[1]);
	signal(SIGPIPE, SIG_DFL);
	/* Poll for the exit so that a timeout (0 = none) can kill a hung hook. */
	struct timespec tick = { 0, 5 * 1000 * 1000 };
	for (unsigned long waited_ms = 0;; waited_ms += 5) {
		int status;
		pid_t done = waitpid(pid, &status, WNOHANG);
		if (done == pid) {
			if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
			errno = WIFEXITED(status) && WEXITSTATUS(status) == 127 ? ENOENT : ECANCELED;
			return -1;
		}
		if (done < 0 && errno != EINTR) return -1;
		if (timeout > 0 && waited_ms >= timeout * 1000UL) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			errno = ETIMEDOUT;
			return -1;
		}
		nanosleep(&tick, NULL);
	}
}
