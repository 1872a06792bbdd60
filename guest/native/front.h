/*
 * tsd-runc, the front end: a small static program in front of the TypeScript runtime. It parses
 * runc's global flags and the verb; `start ID`, `delete [-f] ID` and `kill ID [N]` take a fast path when the
 * runtime left a fast-path file in the container's state dir saying it is safe, and everything
 * else execs Node on the bundle. The fast-path contract is in README.md (and docs/runc.md).
 */
#ifndef TSD_FRONT_H
#define TSD_FRONT_H

#define FAST_FILE "fast-path"
#define FAST_MAGIC "tsd-runc-fast-path 1"

/* What the global flags said, as far as a fast path needs it. */
struct front {
	const char *root;	/* --root, default /run/tsd-runc */
	const char *log;	/* --log FILE, or NULL for stderr */
	int json;		/* --log-format json */
	int debug;		/* --debug */
	int trace;		/* $TSD_RUNC_FRONT_DEBUG=1: say on stderr which path was taken */
	char *line;		/* the Node runtime's debug line for this call: "<verb> <args...>" */
};

/* Outcome of a fast path: done (exit 0), failed (exit 1, already logged), or let Node do it. */
enum fast { FAST_DONE, FAST_FAILED, FAST_FALLBACK };

enum fast fast_start(const struct front *f, const char *id, const char **why);
enum fast fast_delete(const struct front *f, const char *id, int force, const char **why);
enum fast fast_kill(const struct front *f, const char *id, int sig, const char **why);

/* create and run: start the helper for Node and pass it its sync socket (front-helper.c). */
void front_start_helper(int trace);

/* One log entry exactly as the Node runtime writes it (guest/runc/cli/log.ts). */
void front_log(const struct front *f, const char *level, const char *msg);

#endif
