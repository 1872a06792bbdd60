/*
 * Keeping the cgroup lock warm while the runtime loads (`tsd-runc-helper init FD warm`, as the
 * front end starts it for create and run).
 *
 * Moving a process with a write to cgroup.procs takes the kernel's cgroup_threadgroup_rwsem for
 * writing. After a quiet period the lock first switches to its slow mode, which waits for an RCU
 * grace period (≈ 9 ms here), and switches back one grace period after the last writer is done;
 * the lock is global, so any hierarchy's cgroup.procs will do. The runtime's first write (the
 * container into its cgroups) would pay that wait with nothing else to do. So while Node starts
 * and loads the runtime (≈ 25-30 ms), the helper moves itself into the cgroup it already is in
 * (nothing changes) at once, and again every few ms until the plan arrives: the lock is in its
 * slow mode when the runtime's write comes. Best effort: a failure only loses the overlap.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "helper.h"

/* Shorter than a grace period (the lock stays in its slow mode one grace period after a write). */
#define REARM_MS 4
/* Node loads the runtime in ≈ 25-30 ms, several times that on a loaded host. If the plan has not
 * come after this many writes (2 s), stop: the slow mode makes every fork and exit on the machine
 * take the lock's slow path, which a runtime that is stuck must not keep up. */
#define MAX_WRITES 500

/* `<root><path>/cgroup.procs` opened for writing, or -1. */
static int open_procs(const char *root, const char *path)
{
	char file[4096 + 600];
	snprintf(file, sizeof file, "%s%s/cgroup.procs", root, path);
	return open(file, O_WRONLY | O_CLOEXEC);
}

/* The cgroup.procs file of one of our own cgroups, at the usual mount points: v1 (a directory per
 * hierarchy, named after its controllers or name=), v2 (hybrid: unified/; pure: the root). */
static int own_procs(void)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return -1;
	char line[4096 + 256];
	int fd = -1;
	while (fd < 0 && fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = 0; /* "ID:CONTROLLERS:PATH" */
		char *controllers = strchr(line, ':'), *path = controllers ? strchr(controllers + 1, ':') : NULL;
		if (!path)
			continue;
		*path++ = 0;
		controllers++;
		if (!*controllers) {
			fd = open_procs("/sys/fs/cgroup/unified", path);
			if (fd < 0)
				fd = open_procs("/sys/fs/cgroup", path);
		} else {
			char root[512];
			snprintf(root, sizeof root, "/sys/fs/cgroup/%s", strncmp(controllers, "name=", 5) ? controllers : controllers + 5);
			fd = open_procs(root, path);
		}
	}
	fclose(f);
	return fd;
}

void cgroup_keep_warm(int sync)
{
	int procs = own_procs();
	if (procs < 0)
		return;
	char pid[16];
	int n = snprintf(pid, sizeof pid, "%d", (int)getpid());
	struct pollfd p = {.fd = sync, .events = POLLIN};
	for (int writes = 0; writes < MAX_WRITES; writes++) {
		if (write(procs, pid, (size_t)n) != n)
			break;
		int r = poll(&p, 1, REARM_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r != 0)
			break; /* the plan (or the runtime's end) is there */
	}
	close(procs);
}
