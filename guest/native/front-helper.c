/*
 * create and run: the front end starts the helper (tsd-runc-helper init FD) before it execs Node,
 * and hands Node its end of the helper's sync socket ($TSD_RUNC_SYNC_FD) and the helper's pid
 * ($TSD_RUNC_HELPER_PID). Node then never loads child_process (≈ 7 ms of its CPU per call,
 * measured) nor forks its own large address space. The helper is the same program with the same
 * stdio and inherited fds that Node's spawn gave it; it waits for the plan (keeping the cgroup
 * lock warm meanwhile: cgroup-warm.c), and exits quietly
 * when Node ends without sending one (--help, a bad config). Any doubt (no helper found, a
 * failing call) leaves it to Node, which starts the helper itself.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "front.h"

#if defined(__x86_64__)
#define HELPER_ARCH "x86_64"
#elif defined(__aarch64__)
#define HELPER_ARCH "aarch64"
#endif

/* Where guest/runc/process/helper-path.ts finds it: $TSD_RUNC_HELPER, else beside this binary
 * (dist/native/<arch>/) or in ../native/<arch>/ (the guest image's /opt/tsd/bin/). */
static int helper_path(char *out, size_t size)
{
	const char *env = getenv("TSD_RUNC_HELPER");
	if (env && *env) {
		snprintf(out, size, "%s", env);
		return access(out, X_OK) == 0;
	}
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[n > 0 ? n : 0] = 0;
	char *slash = strrchr(exe, '/');
	if (!slash)
		return 0;
	*slash = 0;
	static const char *const CANDIDATES[] = {"/tsd-runc-helper", "/../native/" HELPER_ARCH "/tsd-runc-helper"};
	for (size_t i = 0; i < sizeof CANDIDATES / sizeof *CANDIDATES; i++) {
		snprintf(out, size, "%s%s", exe, CANDIDATES[i]);
		if (access(out, X_OK) == 0)
			return 1;
	}
	return 0;
}

void front_start_helper(int trace)
{
	char path[PATH_MAX + 64], fd_text[16];
	int sv[2];
	if (!helper_path(path, sizeof path) || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return;
	/* Above the fds a caller passes on (--preserve-fds): those keep their numbers in the helper. */
	int node_fd = fcntl(sv[0], F_DUPFD, 64), helper_fd = fcntl(sv[1], F_DUPFD_CLOEXEC, 64);
	close(sv[0]);
	close(sv[1]);
	pid_t pid = node_fd >= 0 && helper_fd >= 0 ? fork() : -1;
	if (pid == 0) {
		close(node_fd);
		if (fcntl(helper_fd, F_SETFD, 0) < 0)
			_exit(127);
		snprintf(fd_text, sizeof fd_text, "%d", helper_fd);
		execl(path, path, "init", fd_text, "warm", (char *)NULL);
		_exit(127); /* Node reads EOF: "container init exited before it was ready" */
	}
	if (helper_fd >= 0)
		close(helper_fd);
	if (pid < 0) {
		if (node_fd >= 0)
			close(node_fd);
		return;
	}
	snprintf(fd_text, sizeof fd_text, "%d", node_fd);
	setenv("TSD_RUNC_SYNC_FD", fd_text, 1);
	snprintf(fd_text, sizeof fd_text, "%d", (int)pid);
	setenv("TSD_RUNC_HELPER_PID", fd_text, 1);
	if (trace)
		fprintf(stderr, "tsd-runc front: helper started (pid %d)\n", (int)pid);
}
