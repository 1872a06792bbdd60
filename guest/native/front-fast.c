/*
 * The front end's two fast paths. Both act only on what the TypeScript runtime wrote at create
 * in <root>/<id>/fast-path (guest/runc/state/fast-path.ts):
 *
 *   tsd-runc-fast-path 1
 *   pid <host pid of the init>
 *   start-time <field 22 of /proc/<pid>/stat when it was created>
 *   start fifo          present when `start` is only "read the exec fifo" (no poststart hooks)
 *   delete rmdir        present when deleting a stopped container is only rmdir (no poststop hooks)
 *   kill init           present when `kill ID N` of a live init is only kill(2) (always, today)
 *   force kill          present when `delete --force` of a live one may SIGKILL the init first (it has
 *                       its own pid namespace, so the rest of the container dies with it)
 *   cgroup <dir>        each cgroup directory the container has, one a line
 *
 * Anything else, or any doubt about the container's status, falls back to Node.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "front.h"

#define MAX_CGROUPS 32

struct fast_file {
	char buf[16384];
	const char *pid, *start_time;
	int start_fifo, delete_rmdir, kill_init, force_kill, ncgroups;
	const char *cgroups[MAX_CGROUPS];
};

/* Reads and parses <dir>/fast-path; -1 when it is missing, of another version or malformed. */
static int read_fast(const char *dir, struct fast_file *ff)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/" FAST_FILE, dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, ff->buf, sizeof ff->buf - 1);
	close(fd);
	if (n <= 0 || n == (ssize_t)sizeof ff->buf - 1)
		return -1;
	ff->buf[n] = 0;
	char *save, *line = strtok_r(ff->buf, "\n", &save);
	if (!line || strcmp(line, FAST_MAGIC))
		return -1;
	while ((line = strtok_r(NULL, "\n", &save))) {
		if (!strncmp(line, "pid ", 4))
			ff->pid = line + 4;
		else if (!strncmp(line, "start-time ", 11))
			ff->start_time = line + 11;
		else if (!strcmp(line, "start fifo"))
			ff->start_fifo = 1;
		else if (!strcmp(line, "delete rmdir"))
			ff->delete_rmdir = 1;
		else if (!strcmp(line, "kill init"))
			ff->kill_init = 1;
		else if (!strcmp(line, "force kill"))
			ff->force_kill = 1;
		else if (!strncmp(line, "cgroup /", 8) && ff->ncgroups < MAX_CGROUPS)
			ff->cgroups[ff->ncgroups++] = line + 7;
		else /* also a cgroup beyond MAX_CGROUPS */
			return -1; /* a line this version does not know: let the runtime decide */
	}
	return ff->pid && ff->start_time && *ff->start_time ? 0 : -1;
}

/* Is the init still the process we created? Alive, not a zombie, and the same start time (so a
 * reused pid does not count): guest/runc/state/status.ts, in C. */
static int init_alive(const struct fast_file *ff)
{
	char path[64], stat[1024];
	snprintf(path, sizeof path, "/proc/%s/stat", ff->pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, stat, sizeof stat - 1);
	close(fd);
	if (n <= 0)
		return 0;
	stat[n] = 0;
	char *p = strrchr(stat, ')'); /* the command name may hold spaces and parentheses */
	if (!p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		return 0;
	p += 2;
	for (int field = 3; field < 22 && p; field++) /* p is at field 3 (state); find field 22 */
		if ((p = strchr(p, ' ')))
			p++;
	return p && !strncmp(p, ff->start_time, strlen(ff->start_time)) && p[strlen(ff->start_time)] == ' ';
}

static int state_dir(const struct front *f, const char *id, char *dir, struct fast_file *ff)
{
	snprintf(dir, PATH_MAX, "%s/%s", f->root, id);
	memset(ff, 0, sizeof *ff);
	return read_fast(dir, ff);
}

enum fast fast_start(const struct front *f, const char *id, const char **why)
{
	static struct fast_file ff;
	char dir[PATH_MAX], fifo[PATH_MAX + 16], byte;
	if (state_dir(f, id, dir, &ff) < 0 || !ff.start_fifo)
		return *why = "no fast-path file, or start needs the runtime", FAST_FALLBACK;
	if (!init_alive(&ff))
		return *why = "the init is not running", FAST_FALLBACK;
	snprintf(fifo, sizeof fifo, "%s/exec.fifo", dir);
	/* Non-blocking: the open never waits; the init (blocked opening it for writing) wakes up,
	 * writes one byte and execs. No byte and a dead init means it died before it could start. */
	int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return *why = "no exec fifo: not in the created state", FAST_FALLBACK;
	for (;;) {
		ssize_t n = read(fd, &byte, 1);
		if (n == 1)
			break;
		if (n < 0 && errno != EAGAIN) {
			close(fd);
			return *why = "reading the exec fifo failed", FAST_FALLBACK;
		}
		if (!init_alive(&ff)) {
			/* /bin/true may write, exec and exit between the read and the check: read once more. */
			if (read(fd, &byte, 1) == 1)
				break;
			close(fd);
			if (f->debug)
				front_log(f, "debug", f->line);
			front_log(f, "error", "container init exited before it could be started (see the runtime log)");
			if (f->log)
				fputs("container init exited before it could be started (see the runtime log)\n", stderr);
			return FAST_FAILED;
		}
		struct pollfd p = {.fd = fd, .events = POLLIN};
		/* POLLHUP alone (a writer came and went without a byte) would return at once: wait a bit. */
		if (poll(&p, 1, 20) == 1 && !(p.revents & POLLIN))
			usleep(1000);
	}
	close(fd);
	if (f->debug)
		front_log(f, "debug", f->line);
	/* The container runs now: a fallback would wait on the fifo for a byte that never comes. */
	if (unlink(fifo) < 0 && errno != ENOENT) {
		char msg[PATH_MAX + 64];
		snprintf(msg, sizeof msg, "removing %s: %s", fifo, strerror(errno));
		front_log(f, "error", msg);
		if (f->log)
			fprintf(stderr, "%s\n", msg);
		return FAST_FAILED;
	}
	return FAST_DONE;
}

/* A cgroup with tasks left needs the runtime (it kills them); one whose last task just exited can
 * be busy for a moment (EBUSY): retried briefly here, then the runtime retries longer. */
static int remove_cgroup(const char *dir)
{
	char procs[PATH_MAX + 16], c;
	for (int attempt = 1; attempt <= 20; attempt++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -1;
		snprintf(procs, sizeof procs, "%s/cgroup.procs", dir);
		int fd = open(procs, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, &c, 1) : -1;
		if (fd >= 0)
			close(fd);
		if (n != 0)
			return -1;
		usleep(1000 * (attempt < 5 ? attempt : 5));
	}
	return -1;
}

/* The state directory holds files only (state.json, fast-path, exec.fifo). */
static int remove_state(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	struct dirent *e;
	int failed = 0;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && unlinkat(dirfd(d), e->d_name, 0) < 0 && errno != ENOENT)
			failed = 1;
	closedir(d);
	return failed || (rmdir(dir) < 0 && errno != ENOENT) ? -1 : 0;
}

/* --force of a live container: SIGKILL the init and wait (up to ~1 s) until it is gone. A frozen
 * init may not die: after the wait the runtime takes over (it thaws first). */
static int kill_init(const struct fast_file *ff)
{
	if (kill((pid_t)atoi(ff->pid), SIGKILL) < 0 && errno != ESRCH)
		return -1;
	for (int attempt = 1; attempt <= 200; attempt++) {
		if (!init_alive(ff))
			return 0;
		usleep(1000 * (attempt < 5 ? attempt : 5));
	}
	return -1;
}

enum fast fast_delete(const struct front *f, const char *id, int force, const char **why)
{
	static struct fast_file ff;
	char dir[PATH_MAX];
	if (state_dir(f, id, dir, &ff) < 0 || !ff.delete_rmdir)
		return *why = "no fast-path file, or delete needs the runtime", FAST_FALLBACK;
	if (init_alive(&ff) && (!force || !ff.force_kill))
		return *why = "the init is alive: not stopped", FAST_FALLBACK;
	/* The init is stopped, or alive and to be killed (checked with its start time just above). */
	if (init_alive(&ff) && kill_init(&ff) < 0)
		return *why = "the init did not die from SIGKILL", FAST_FALLBACK;
	for (int i = 0; i < ff.ncgroups; i++)
		if (remove_cgroup(ff.cgroups[i]) < 0)
			return *why = "a cgroup is busy or still has processes", FAST_FALLBACK;
	if (remove_state(dir) < 0)
		return *why = "the state directory could not be removed", FAST_FALLBACK;
	if (f->debug)
		front_log(f, "debug", f->line);
	return FAST_DONE;
}

enum fast fast_kill(const struct front *f, const char *id, int sig, const char **why)
{
	static struct fast_file ff;
	char dir[PATH_MAX];
	if (state_dir(f, id, dir, &ff) < 0 || !ff.kill_init)
		return *why = "no fast-path file, or kill needs the runtime", FAST_FALLBACK;
	if (!init_alive(&ff))
		return *why = "the init is not running", FAST_FALLBACK;
	if (kill((pid_t)atoi(ff.pid), sig) < 0)
		return *why = "kill(2) failed", FAST_FALLBACK; /* e.g. it has just exited: the runtime says so */
	if (f->debug)
		front_log(f, "debug", f->line);
	return FAST_DONE;
}
