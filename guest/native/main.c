/*
 * Entry point and the process stages of tsd-runc-helper.
 *
 *   stage parent: reads the plan, runs the steps before "clone" (setns into existing namespaces),
 *                 clones the container process with the new-namespace flags, reports its pid,
 *                 and either exits (detached) or waits for it and exits with its status (attached).
 *   stage child:  runs every step after "clone" in order (sync points, mounts, pivot_root, identity,
 *                 console, exec fifo) and finally execve()s the container process.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/close_range.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "helper.h"

int sync_fd = -1;
pid_t host_pid;
static int fifo_fd = -1;
extern char **environ;

void sync_send(const char *fmt, ...)
{
	char line[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0) return;
	if (n > (int)sizeof(line) - 2) n = sizeof(line) - 2;
	line[n++] = '\n';
	if (sync_fd < 0) { (void)!write(2, line, n); return; }
	for (int off = 0; off < n;) {
		ssize_t w = write(sync_fd, line + off, n - off);
		if (w < 0 && errno == EINTR) continue;
		if (w <= 0) _exit(120);
		off += w;
	}
}

void fail(const char *step, int err, const char *detail)
{
	/* Newlines would break the line protocol; details are paths and names, so replace them. */
	char clean[1024];
	snprintf(clean, sizeof(clean), "%s", detail ? detail : "");
	for (char *p = clean; *p; p++) if (*p == '\n') *p = ' ';
	if (sync_fd < 0) /* after `ready` (e.g. after start): only stderr is left */
		fprintf(stderr, "tsd-runc-helper: %s %s: %s\n", step, clean, strerror(err));
	else
		sync_send("error %s %d %s", step, err, clean);
	_exit(121);
}

void sync_wait_ack(const char *name)
{
	char buf[16];
	size_t got = 0;
	while (got < sizeof(buf)) {
		ssize_t r = read(sync_fd, buf + got, 1);
		if (r < 0 && errno == EINTR) continue;
		if (r <= 0) fail("sync", r == 0 ? EPIPE : errno, name);
		if (buf[got] == '\n') break;
		got++;
	}
	if (got != 3 || memcmp(buf, "ack", 3) != 0) _exit(122); /* the parent aborted: it reports why */
}

unsigned long parse_ulong(const char *text, int base)
{
	return strtoul(text, NULL, base);
}

/*
 * The plan arrives in one write; reading it field by field cost a syscall per field (hundreds).
 * Reading ahead is safe: the runtime sends nothing after the plan until the helper speaks.
 */
static char plan_buf[65536];
static size_t plan_have, plan_off, plan_total;

static void plan_read(void *out, size_t n)
{
	while (n > 0) {
		if (plan_off == plan_have) {
			ssize_t r = read(sync_fd, plan_buf, sizeof(plan_buf));
			if (r < 0 && errno == EINTR) continue;
			/* Started by the front end for a runtime that then had nothing to run (--help, a bad config). */
			if (r == 0 && plan_total == 0) _exit(0);
			if (r <= 0) fail("plan", r == 0 ? EPIPE : errno, "read");
			plan_have = (size_t)r;
			plan_total += (size_t)r;
			plan_off = 0;
		}
		size_t take = plan_have - plan_off < n ? plan_have - plan_off : n;
		memcpy(out, plan_buf + plan_off, take);
		plan_off += take;
		out = (char *)out + take;
		n -= take;
	}
}

static uint32_t read_u32(void)
{
	uint32_t v;
	plan_read(&v, 4);
	return v;
}

/* Plan: "TSDP" u32 version u32 steps, then per step u32 argc and argc × (u32 length, bytes). */
static struct step *read_plan(uint32_t *count)
{
	char magic[4];
	plan_read(magic, 4);
	if (memcmp(magic, PLAN_MAGIC, 4) != 0) fail("plan", EINVAL, "bad magic");
	uint32_t version = read_u32();
	if (version != PLAN_VERSION) fail("plan", EINVAL, "unsupported plan version");
	*count = read_u32();
	struct step *steps = calloc(*count, sizeof(*steps));
	if (!steps) fail("plan", ENOMEM, "steps");
	for (uint32_t i = 0; i < *count; i++) {
		uint32_t argc = read_u32();
		if (argc == 0 || argc > MAX_FIELDS) fail("plan", EINVAL, "bad step");
		steps[i].argc = argc;
		steps[i].argv = calloc(argc + 1, sizeof(char *));
		steps[i].len = calloc(argc, sizeof(size_t));
		for (uint32_t a = 0; a < argc; a++) {
			uint32_t len = read_u32();
			char *field = malloc((size_t)len + 1);
			if (!field || !steps[i].argv) fail("plan", ENOMEM, "field");
			plan_read(field, len);
			field[len] = 0;
			steps[i].argv[a] = field;
			steps[i].len[a] = len;
		}
	}
	return steps;
}

static int is(const struct step *s, const char *name, int argc)
{
	if (strcmp(s->argv[0], name) != 0) return 0;
	if (argc >= 0 && s->argc != argc) fail(name, EINVAL, "wrong number of arguments");
	return 1;
}

/*
 * report_fd >= 0 (plan step report_exit): the runtime is not this process's parent (the front end
 * started it) and cannot wait for it, so the status also goes to the runtime as "exit N".
 */
static int wait_and_exit(pid_t child, int relay_sock, int report_fd)
{
	/* Attached mode: the runtime forwards signals to the container itself, so ignore them here. */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGCHLD && sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_IGN);
	if (relay_sock >= 0) console_relay_run(relay_sock);
	int status;
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR) _exit(125);
	int code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
	if (report_fd >= 0) {
		char line[32];
		int n = snprintf(line, sizeof line, "exit %d\n", code);
		(void)!send(report_fd, line, n, MSG_NOSIGNAL); /* a runtime that is gone hears nothing */
	}
	_exit(code);
}

/* exec FILE N ARG×N ENV...: PATH lookup uses the container's environment, like runc. */
static int do_exec(const struct step *s)
{
	if (s->argc < 3) { errno = EINVAL; return -1; }
	int nargs = (int)parse_ulong(s->argv[2], 10);
	if (nargs < 1 || 3 + nargs > s->argc) { errno = EINVAL; return -1; }
	char **argv = &s->argv[3];
	char **envp = calloc(s->argc - 3 - nargs + 1, sizeof(char *));
	for (int i = 3 + nargs; i < s->argc; i++) envp[i - 3 - nargs] = s->argv[i];
	char *saved = argv[nargs];
	argv[nargs] = NULL;
	environ = envp;
	execvp(s->argv[1], argv);
	argv[nargs] = saved;
	return -1;
}

/* A regular file this process may execute (directories are EACCES, as execve says). */
static int executable(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0) return -1;
	if (S_ISDIR(st.st_mode)) { errno = EACCES; return -1; }
	return access(path, X_OK);
}

/*
 * lookpath FILE PATH: the program must be found before `ready`, so that a missing one fails
 * `create` (runc does the same; dockerd turns that error into exit status 127), not the exec
 * after `start`. A name without a slash is searched in PATH (an empty entry is the cwd).
 */
static int lookpath(const char *file, const char *path)
{
	if (strchr(file, '/')) return executable(file);
	char candidate[4096];
	int err = ENOENT;
	for (const char *p = path;;) {
		const char *end = strchrnul(p, ':');
		int len = (int)(end - p);
		if (len == 0) snprintf(candidate, sizeof(candidate), "%s", file);
		else snprintf(candidate, sizeof(candidate), "%.*s/%s", len, p, file);
		if (executable(candidate) == 0) return 0;
		if (errno == EACCES) err = EACCES;
		if (*end == 0) break;
		p = end + 1;
	}
	errno = err;
	return -1;
}

/* A new network namespace has only a loopback device, down; containers expect it up. */
static int loopback_up(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) return -1;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	int rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (rc == 0) {
		ifr.ifr_flags |= IFF_UP;
		rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return rc;
}

static int run_core_step(const struct step *s, int *handled)
{
	*handled = 1;
	if (is(s, "sync", 2)) { sync_send("sync %s", s->argv[1]); sync_wait_ack(s->argv[1]); return 0; }
	if (is(s, "unshare", 2)) return unshare((int)parse_ulong(s->argv[1], 0));
	if (is(s, "setresids", 3)) {
		gid_t g = parse_ulong(s->argv[2], 10);
		if (setresgid(g, g, g) < 0) return -1;
		uid_t u = parse_ulong(s->argv[1], 10);
		return setresuid(u, u, u);
	}
	if (is(s, "hostname", 2)) return sethostname(s->argv[1], s->len[1]);
	if (is(s, "domainname", 2)) return setdomainname(s->argv[1], s->len[1]);
	if (is(s, "chdir", 2)) return chdir(s->argv[1]);
	if (is(s, "umask", 2)) { umask(parse_ulong(s->argv[1], 8)); return 0; }
	if (is(s, "rlimit", 4)) {
		struct rlimit rl = { parse_ulong(s->argv[2], 10), parse_ulong(s->argv[3], 10) };
		return setrlimit((int)parse_ulong(s->argv[1], 10), &rl);
	}
	if (is(s, "ready", 1)) {
		sync_send("ready");
		close(sync_fd);
		sync_fd = -1; /* from here on, errors go to stderr */
		return 0;
	}
	if (is(s, "fifo_open", 2)) {
		fifo_fd = open(s->argv[1], O_PATH | O_CLOEXEC);
		return fifo_fd < 0 ? -1 : 0;
	}
	if (is(s, "fifo_wait", 1)) {
		/* Blocks until `start` opens the fifo for reading: the container is "created" until then. */
		char path[64];
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fifo_fd);
		int fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0) return -1;
		if (write(fd, "0", 1) != 1) return -1;
		close(fd);
		close(fifo_fd);
		return 0;
	}
	if (is(s, "closefds", 2)) {
		/* Everything above 2 + preserved fds must not leak into the container. */
		unsigned first = 3 + parse_ulong(s->argv[1], 10);
		return (int)syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC);
	}
	if (is(s, "loopback_up", 1)) return loopback_up();
	if (is(s, "hook", -1)) return run_hook(s);
	if (is(s, "exec", -1)) return do_exec(s);
	if (is(s, "lookpath", 3)) return lookpath(s->argv[1], s->argv[2]);
	*handled = 0;
	return 0;
}

static void run_child(struct step *steps, uint32_t from, uint32_t count)
{
	for (uint32_t i = from; i < count; i++) {
		int handled = 0, rc = run_core_step(&steps[i], &handled);
		if (!handled) rc = run_fs_step(&steps[i], &handled);
		if (!handled) rc = run_identity_step(&steps[i], &handled);
		if (!handled) rc = run_console_step(&steps[i], &handled);
		if (!handled) fail(steps[i].argv[0], ENOSYS, "unknown step");
		if (rc < 0) fail(steps[i].argv[0], errno, steps[i].argc > 1 ? steps[i].argv[1] : "");
	}
	fail("plan", EINVAL, "plan ended without exec");
}

static int init_main(int fd, int warm)
{
	sync_fd = fd;
	if (warm) cgroup_keep_warm(fd);
	uint32_t count;
	struct step *steps = read_plan(&count);
	int attached = 0, report_exit = 0, relay_sock = -1;
	for (uint32_t i = 0; i < count; i++) {
		struct step *s = &steps[i];
		if (is(s, "attached", 1)) { attached = 1; continue; }
		if (is(s, "report_exit", 1)) { report_exit = 1; continue; }
		if (is(s, "setns", 3)) {
			int nsfd = open(s->argv[1], O_RDONLY | O_CLOEXEC);
			if (nsfd < 0) fail("setns", errno, s->argv[1]);
			if (setns(nsfd, (int)parse_ulong(s->argv[2], 0)) < 0) fail("setns", errno, s->argv[1]);
			close(nsfd);
			continue;
		}
		if (is(s, "mkfifo", 3)) {
			if (mkfifo(s->argv[1], parse_ulong(s->argv[2], 8)) < 0) fail("mkfifo", errno, s->argv[1]);
			continue;
		}
		if (is(s, "console_relay", 1)) {
			if ((relay_sock = console_relay_prepare()) < 0) fail("console_relay", errno, "socketpair");
			continue;
		}
		if (is(s, "console_connect", 2)) {
			int handled;
			if (run_console_step(s, &handled) < 0) fail("console_connect", errno, s->argv[1]);
			continue;
		}
		if (is(s, "clone", 2)) {
			/* The child waits on this pipe until its pid has been reported, so that the
			 * runtime always hears "pid" before the child's first sync point. */
			int go[2];
			if (pipe2(go, O_CLOEXEC) < 0) fail("clone", errno, "pipe");
			unsigned long flags = parse_ulong(s->argv[1], 0);
			pid_t pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
			/*
			 * qemu-user (running this helper for another architecture) refuses namespace
			 * flags in a fork-like clone with EINVAL. The same namespaces then come from
			 * unshare() here and a plain fork: the new pid namespace applies to the child,
			 * the others to this first process too, which only waits from here on.
			 */
			if (pid < 0 && errno == EINVAL && flags != 0) {
				if (unshare((int)flags) < 0) fail("clone", errno, s->argv[1]);
				pid = fork();
			}
			if (pid < 0) fail("clone", errno, s->argv[1]);
			if (pid == 0) {
				/* In a new pid namespace getpid() is 1; hooks need the pid the host sees. */
				close(go[1]);
				if (read(go[0], &host_pid, sizeof(host_pid)) != sizeof(host_pid)) _exit(123);
				close(go[0]);
				run_child(steps, i + 1, count);
			}
			close(go[0]);
			sync_send("pid %d", pid);
			if (write(go[1], &pid, sizeof(pid)) != sizeof(pid)) fail("clone", errno, "pipe");
			close(go[1]);
			if (attached && report_exit) wait_and_exit(pid, relay_sock, sync_fd);
			close(sync_fd);
			if (attached) wait_and_exit(pid, relay_sock, -1);
			_exit(0);
		}
		fail(s->argv[0], EINVAL, "step not allowed before clone");
	}
	fail("plan", EINVAL, "plan has no clone step");
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "init") == 0) return init_main((int)parse_ulong(argv[2], 10), 0);
	if (argc == 4 && strcmp(argv[1], "init") == 0 && strcmp(argv[3], "warm") == 0) return init_main((int)parse_ulong(argv[2], 10), 1);
	if (argc == 3 && strcmp(argv[1], "recvtty") == 0) return recvtty_main(argv[2]);
	fprintf(stderr, "usage: tsd-runc-helper init SYNC_FD [warm] | recvtty SOCKET\n");
	return 2;
}
