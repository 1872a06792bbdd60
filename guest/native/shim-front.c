/*
 * containerd-shim-tsd-v2, the front end. containerd execs the shim's `start` verb for every task;
 * a Node process costs ~150 ms there, while in the common case the namespace's group shim is
 * already serving and `start` is a few syscalls: reserve it with a ttrpc Connect (under the
 * group's start lock), write <bundle>/address, link <bundle>/shim.log, print the address.
 * That case runs here; anything else (another verb, a group annotation, TSD_SHIM_IDLE_SECONDS,
 * no live shim, any error) execs the Node shim with the same arguments, which decides everything.
 * The rules mirrored here live in guest/shim/{flags,group,start-verb}.ts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shim-front.h"

#define SOCKET_DIR "/run/containerd/s"
#define GROUP_DIR "/run/containerd/tsd-shim"

static const char *const GROUP_ANNOTATIONS[] = {"io.containerd.tsd.v2.group", "io.containerd.runc.v2.group", "io.kubernetes.cri.sandbox-id"};

/* The Node shim, found from where this binary really is: dist/native/<arch>/ in a checkout →
 * dist/guest/shim.mjs; bin/ beside dist/ (the wrapper's layout); /opt/tsd/bin/ → /opt/tsd/shim.mjs. */
static void exec_node(char **argv)
{
	static const char *const CANDIDATES[] = {"/../../guest/shim.mjs", "/../dist/guest/shim.mjs", "/../shim.mjs"};
	char exe[PATH_MAX], bundle[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[n > 0 ? n : 0] = 0;
	char *slash = strrchr(exe, '/');
	if (slash)
		*slash = 0;
	snprintf(bundle, sizeof bundle, "%s%s", exe, CANDIDATES[0]);
	for (size_t i = 0; i < sizeof CANDIDATES / sizeof *CANDIDATES; i++) {
		char candidate[PATH_MAX + 64];
		snprintf(candidate, sizeof candidate, "%s%s", exe, CANDIDATES[i]);
		if (access(candidate, R_OK) == 0 && realpath(candidate, bundle))
			break;
	}
	const char *node = getenv("TSD_SHIM_NODE");
	if (!node || !*node)
		node = "node";
	int argc = 0;
	while (argv[argc])
		argc++;
	char **args = calloc((size_t)argc + 3, sizeof *args);
	if (!args)
		_exit(1);
	args[0] = (char *)node;
	args[1] = "--no-warnings"; /* `start` prints its address on stdout+stderr combined */
	args[2] = bundle;
	for (int i = 1; i < argc; i++)
		args[i + 2] = argv[i];
	execvp(node, args);
	fprintf(stderr, "containerd-shim-tsd-v2: cannot run %s: %s\n", node, strerror(errno));
	_exit(1);
}

struct start_flags {
	const char *namespace, *id, *address;
};

/* flags.ts's syntax: -flag value, -flag=value, --flag value; 0 only for a plain `start`. */
static int parse_start(int argc, char **argv, struct start_flags *flags)
{
	static const char *const STRING_FLAGS[] = {"namespace", "id", "address", "publish-binary", "bundle", "socket"};
	const char *action = NULL;
	*flags = (struct start_flags){"", "", ""};
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (arg[0] != '-' || strcmp(arg, "-") == 0) {
			if (!action)
				action = arg;
			continue;
		}
		const char *body = arg + (arg[1] == '-' ? 2 : 1);
		const char *eq = strchr(body, '=');
		size_t name_length = eq ? (size_t)(eq - body) : strlen(body);
		if (name_length == 5 && strncmp(body, "debug", 5) == 0)
			continue;
		const char *value = NULL;
		for (size_t f = 0; f < sizeof STRING_FLAGS / sizeof *STRING_FLAGS; f++) {
			if (strlen(STRING_FLAGS[f]) != name_length || strncmp(body, STRING_FLAGS[f], name_length) != 0)
				continue;
			value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
			if (!value)
				return -1;
			if (f == 0)
				flags->namespace = value;
			else if (f == 1)
				flags->id = value;
			else if (f == 2)
				flags->address = value;
			break;
		}
		if (!value)
			return -1; /* -v, -version, an unknown flag: Node's answer */
	}
	return action && strcmp(action, "start") == 0 && *flags->namespace ? 0 : -1;
}

/* Does the bundle's config.json leave the group to the default (no group annotation at all)? */
static int default_group(void)
{
	int fd = open("config.json", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	struct stat st;
	char *text = NULL;
	int ok = 0;
	if (fstat(fd, &st) == 0 && st.st_size < (64 << 20) && (text = malloc((size_t)st.st_size + 1))) {
		size_t done = 0;
		ssize_t r;
		while (done < (size_t)st.st_size && (r = read(fd, text + done, (size_t)st.st_size - done)) > 0)
			done += (size_t)r;
		text[done] = 0;
		ok = done == (size_t)st.st_size;
		for (size_t i = 0; ok && i < sizeof GROUP_ANNOTATIONS / sizeof *GROUP_ANNOTATIONS; i++)
			if (memmem(text, done, GROUP_ANNOTATIONS[i], strlen(GROUP_ANNOTATIONS[i])))
				ok = 0;
	}
	free(text);
	close(fd);
	return ok;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* group.ts's withGroupLock: mkdir <dir>/start.lock; a lock older than 60 s is a crashed start's,
 * removed; otherwise retry every 50 ms. After 1200 tries: -1 (Node then waits and reports). */
static int take_lock(const char *dir, const char *lock)
{
	for (int attempt = 0;; attempt++) {
		mkdir(GROUP_DIR, 0777);
		mkdir(dir, 0777); /* an exiting shim may just have removed it */
		if (mkdir(lock, 0777) == 0)
			return 0;
		if (errno != EEXIST)
			return -1;
		struct stat st;
		double age = stat(lock, &st) == 0 ? now_ms() - (st.st_mtim.tv_sec * 1e3 + st.st_mtim.tv_nsec / 1e6) : 0;
		if (age > 60000)
			rmdir(lock);
		else if (attempt > 1200)
			return -1;
		else
			usleep(50000);
	}
}

/* temp + fsync + rename + fsync of the directory, as guest/lib/atomic-file.ts. */
static int write_atomic(const char *target, const char *data)
{
	char temp[PATH_MAX];
	snprintf(temp, sizeof temp, ".%s.tmp-%d-c", target, (int)getpid());
	int fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	size_t length = strlen(data);
	int ok = write(fd, data, length) == (ssize_t)length && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(temp, target) != 0) {
		unlink(temp);
		return -1;
	}
	int dir = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir >= 0) {
		fsync(dir);
		close(dir);
	}
	return 0;
}

/* The fast `start`; -1 whenever Node must do it (nothing here needs undoing then: a Connect
 * that reserved the shim is repeated by Node's start). */
static int fast_start(int argc, char **argv)
{
	struct start_flags flags;
	if (parse_start(argc, argv, &flags) < 0 || getenv("TSD_SHIM_IDLE_SECONDS") || !default_group())
		return -1;
	/* group.ts: sha256 of `${address}/${namespace}/tsd/namespace/${namespace}`. */
	char key[8192], hash[65], socket_path[128], dir[128], lock[160], log[160], address[160];
	int n = snprintf(key, sizeof key, "%s/%s/tsd/namespace/%s", flags.address, flags.namespace, flags.namespace);
	if (n < 0 || (size_t)n >= sizeof key)
		return -1;
	sha256_hex(key, (size_t)n, hash);
	snprintf(socket_path, sizeof socket_path, SOCKET_DIR "/%s", hash);
	snprintf(dir, sizeof dir, GROUP_DIR "/%.32s", hash);
	snprintf(lock, sizeof lock, "%s/start.lock", dir);
	snprintf(log, sizeof log, "%s/shim.log", dir);
	snprintf(address, sizeof address, "unix://%s", socket_path);
	struct stat st;
	if (stat(socket_path, &st) != 0 || !S_ISSOCK(st.st_mode) || take_lock(dir, lock) < 0)
		return -1;
	int reserved = ttrpc_connect_task(socket_path, flags.id);
	rmdir(lock);
	if (reserved < 0 || write_atomic("address", address) < 0)
		return -1;
	if ((unlink("shim.log") != 0 && errno != ENOENT) || symlink(log, "shim.log") != 0)
		return -1;
	size_t length = strlen(address);
	return write(STDOUT_FILENO, address, length) == (ssize_t)length ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (fast_start(argc, argv) == 0)
		return 0;
	exec_node(argv);
}
