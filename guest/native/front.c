/*
 * tsd-runc, the front end (see front.h). runc is exec'd several times per container and a Node
 * process costs ~25 ms of CPU before any of our code runs, so the verbs whose work is a few
 * syscalls (start: read the exec fifo; delete of a stopped container: rmdir; kill of the init:
 * kill(2)) run here when the
 * TypeScript runtime has said, at create, that nothing else is needed. This program decides
 * nothing about a container: anything unusual (a flag it does not know, an error, any doubt)
 * goes to Node, so every message and exit code is the runtime's own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "front.h"

#if defined(__x86_64__)
#define NODE_ARCH "x64"
#elif defined(__aarch64__)
#define NODE_ARCH "arm64"
#else
#error "tsd-runc: unsupported architecture"
#endif

/* runc's global flags as guest/runc/main.ts declares them: 1 = takes a value. */
static const struct { const char *name; int value; } GLOBAL_FLAGS[] = {
	{"root", 1}, {"log", 1}, {"log-format", 1}, {"rootless", 1}, {"criu", 1},
	{"debug", 0}, {"systemd-cgroup", 0}, {"help", 0}, {"h", 0}, {"version", 0}, {"v", 0},
};

/* The Node that runs the bundle: $TSD_RUNC_NODE, else the guest's Node from the image cache (the
 * last match of the sorted glob, as bin/tsd-runc's sh did), else `node` from PATH. */
static const char *node_binary(char *buf, size_t size)
{
	const char *env = getenv("TSD_RUNC_NODE");
	if (env && *env)
		return env;
	const char *cache = getenv("TSD_CACHE"), *home = getenv("HOME");
	char pattern[PATH_MAX];
	if (cache && *cache)
		snprintf(pattern, sizeof pattern, "%s/node/node-linux-" NODE_ARCH "-*-stripped/node", cache);
	else
		snprintf(pattern, sizeof pattern, "%s/.cache/tsd/node/node-linux-" NODE_ARCH "-*-stripped/node",
			 home && *home ? home : "/root");
	const char *found = "node";
	glob_t g;
	if (glob(pattern, 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++)
			if (access(g.gl_pathv[i], X_OK) == 0 && strlen(g.gl_pathv[i]) < size)
				found = strcpy(buf, g.gl_pathv[i]);
		globfree(&g);
	}
	return found;
}

/* The bundle, found from where this binary really is (symlinks resolved): dist/native/<arch>/ in
 * a checkout (bin/tsd-runc links there) → dist/guest/runc.cjs; /opt/tsd/bin/ in the guest → /opt/tsd/runc.cjs.
 * runc.cjs runs the runtime with a V8 code cache (guest/runc/boot.ts); runc.mjs, the plain ES
 * module bundle, is the fallback where only it was installed. */
static void bundle_path(char *out, size_t size)
{
	static const char *const CANDIDATES[] = {"/../../guest/runc.cjs", "/../../guest/runc.mjs", "/../runc.cjs", "/../runc.mjs", "/../dist/guest/runc.cjs", "/../dist/guest/runc.mjs"};
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[n > 0 ? n : 0] = 0;
	char *slash = strrchr(exe, '/');
	if (slash)
		*slash = 0;
	for (size_t i = 0; i < sizeof CANDIDATES / sizeof *CANDIDATES; i++) {
		snprintf(out, size, "%s%s", exe, CANDIDATES[i]);
		if (access(out, R_OK) == 0)
			return;
	}
	snprintf(out, size, "%s%s", exe, CANDIDATES[0]); /* Node reports the missing module */
}

static void __attribute__((noreturn)) exec_node(char **argv, int argc)
{
	char node_buf[PATH_MAX], bundle[PATH_MAX + 32];
	const char *cache = getenv("NODE_COMPILE_CACHE");
	/* Node >= 22 reuses the compiled bundle across invocations through this directory. */
	if (!cache || !*cache) {
		setenv("NODE_COMPILE_CACHE", "/var/tmp/tsd-runc-compile-cache", 1);
		/* Ours alone, whatever the caller's umask: the runtime's code cache (guest/runc/boot.ts)
		 * is only used from a directory no one else can write. Existing: left as it is. */
		(void)mkdir("/var/tmp/tsd-runc-compile-cache", 0700);
	}
	const char *node = node_binary(node_buf, sizeof node_buf);
	bundle_path(bundle, sizeof bundle);
	char **args = calloc(argc + 2, sizeof *args);
	if (!args)
		abort();
	args[0] = (char *)node;
	args[1] = bundle;
	for (int i = 1; i < argc; i++)
		args[i + 1] = argv[i];
	execvp(node, args);
	fprintf(stderr, "tsd-runc: cannot run %s: %s\n", node, strerror(errno));
	exit(127);
}

void front_log(const struct front *f, const char *level, const char *msg)
{
	/* new Date().toISOString(); msg needs no JSON escaping: fast paths only log ids and known flags. */
	struct timespec now;
	struct tm tm;
	char stamp[32], line[PATH_MAX + 256];
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	size_t k = strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(stamp + k, sizeof stamp - k, ".%03ldZ", now.tv_nsec / 1000000);
	int len = f->json ? snprintf(line, sizeof line, "{\"level\":\"%s\",\"msg\":\"%s\",\"time\":\"%s\"}\n", level, msg, stamp)
			  : snprintf(line, sizeof line, "time=\"%s\" level=%s msg=\"%s\"\n", stamp, level, msg);
	if (len < 0)
		return;
	if ((size_t)len >= sizeof line) { /* cut, but keep the line a line */
		len = sizeof line - 1;
		line[len - 1] = '\n';
	}
	int fd = f->log ? open(f->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666) : -1;
	if (write(fd >= 0 ? fd : 2, line, len) < 0 && fd >= 0)
		(void)!write(2, line, len); /* like Node: an unwritable log file falls back to stderr */
	if (fd >= 0)
		close(fd);
}

/* A container id the runtime accepts: [A-Za-z0-9_+.-]+, not "." or "..". */
static int valid_id(const char *id)
{
	if (!*id || !strcmp(id, ".") || !strcmp(id, ".."))
		return 0;
	return id[strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+.-")] == 0;
}

/* Parses one "-name[=value]"/"--name[=value]" flag; returns the table index or -1. */
static int global_flag(char **argv, int argc, int *i, const char **value)
{
	const char *body = argv[*i] + (argv[*i][1] == '-' ? 2 : 1);
	size_t name_len = strcspn(body, "=");
	*value = body[name_len] ? body + name_len + 1 : NULL;
	for (int k = 0; k < (int)(sizeof GLOBAL_FLAGS / sizeof *GLOBAL_FLAGS); k++) {
		if (strlen(GLOBAL_FLAGS[k].name) != name_len || strncmp(GLOBAL_FLAGS[k].name, body, name_len))
			continue;
		if (GLOBAL_FLAGS[k].value && !*value) {
			if (*i + 1 >= argc)
				return -1;
			*value = argv[++*i];
		}
		return k;
	}
	return -1;
}

/* A signal as a number, as containerd passes it (1-64); 0 for names, which the runtime parses. */
static int signal_number(const char *text)
{
	if (!*text || text[strspn(text, "0123456789")] || strlen(text) > 2)
		return 0;
	int n = atoi(text);
	return n >= 1 && n <= 64 ? n : 0;
}

static int is_true(const char *value)
{
	return !value || !strcmp(value, "true") || !strcmp(value, "1");
}

int main(int argc, char **argv)
{
	struct front f = {.root = "/run/tsd-runc"};
	const char *trace = getenv("TSD_RUNC_FRONT_DEBUG"), *why = "not a fast verb", *value;
	f.trace = trace && !strcmp(trace, "1");
	int i = 1, verb_at = -1;
	for (; i < argc && argv[i][0] == '-' && argv[i][1] && strcmp(argv[i], "--"); i++) {
		why = "a global flag the runtime handles";
		int k = global_flag(argv, argc, &i, &value);
		const char *name = k < 0 ? "" : GLOBAL_FLAGS[k].name;
		if (k < 0 || (!GLOBAL_FLAGS[k].value && strcmp(name, "debug") && is_true(value)))
			goto node; /* unknown or missing value, help, version, systemd-cgroup */
		if (GLOBAL_FLAGS[k].value && !*value)
			goto node; /* e.g. --root= : the runtime's path.join() reads it differently */
		if (!strcmp(name, "root"))
			f.root = value;
		else if (!strcmp(name, "log"))
			f.log = value;
		else if (!strcmp(name, "log-format")) {
			if (strcmp(value, "json") && strcmp(value, "text"))
				goto node; /* the runtime rejects it */
			f.json = !strcmp(value, "json");
		} else if (!strcmp(name, "debug"))
			f.debug = is_true(value);
		why = "not a fast verb";
	}
	if (i >= argc)
		goto node;
	verb_at = i;
	/* start ID | delete [-f|--force] ID | kill ID [SIGNAL NUMBER] */
	const char *verb = argv[i];
	int force = 0, first = i + 1, j = first, last = argc - 1, sig = SIGTERM;
	if (!strcmp(verb, "delete"))
		for (; j < argc && (!strcmp(argv[j], "-f") || !strcmp(argv[j], "--force") || !strcmp(argv[j], "-force")); j++)
			force = 1;
	if (!strcmp(verb, "kill") && argc - j == 2)
		sig = signal_number(argv[last--]);
	if (j != last || !valid_id(argv[j]) || !sig || (strcmp(verb, "start") && strcmp(verb, "delete") && strcmp(verb, "kill")))
		goto node;
	/* The runtime's debug line: "<verb> <args as given>". */
	size_t len = strlen(verb) + 2;
	for (int k = first; k < argc; k++)
		len += strlen(argv[k]) + 1;
	if (len > 512 || !(f.line = malloc(len)))
		goto node; /* the debug line stays short: no JSON escaping, one write */
	strcpy(f.line, verb);
	strcat(f.line, " ");
	for (int k = first; k < argc; k++)
		strcat(strcat(f.line, argv[k]), k + 1 < argc ? " " : "");
	enum fast r = !strcmp(verb, "start")	 ? fast_start(&f, argv[j], &why)
		      : !strcmp(verb, "delete") ? fast_delete(&f, argv[j], force, &why)
						 : fast_kill(&f, argv[j], sig, &why);
	if (r != FAST_FALLBACK) {
		if (f.trace)
			fprintf(stderr, "tsd-runc front: fast %s\n", verb);
		return r == FAST_DONE ? 0 : 1;
	}
node:
	if (f.trace)
		fprintf(stderr, "tsd-runc front: node (%s)\n", why);
	if (verb_at > 0 && (!strcmp(argv[verb_at], "create") || !strcmp(argv[verb_at], "run")))
		front_start_helper(f.trace);
	exec_node(argv, argc);
}
