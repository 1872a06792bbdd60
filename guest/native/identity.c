/*
 * Identity steps: groups, gid, uid, the five capability sets, securebits, no_new_privs and the
 * seccomp filter (compiled to BPF by the TypeScript side; here it is only loaded).
 * The order of these steps matters and is chosen by the plan builder (see plan/identity.ts).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "helper.h"

static int last_cap(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int last = 40;
	if (f) { if (fscanf(f, "%d", &last) != 1) last = 40; fclose(f); }
	return last;
}

static int drop_bounding(unsigned long long keep)
{
	for (int cap = 0; cap <= last_cap() && cap < 64; cap++) {
		if (keep & (1ULL << cap)) continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) return -1;
	}
	return 0;
}

static int set_caps(unsigned long long eff, unsigned long long perm, unsigned long long inh)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = {
		{ (uint32_t)eff, (uint32_t)perm, (uint32_t)inh },
		{ (uint32_t)(eff >> 32), (uint32_t)(perm >> 32), (uint32_t)(inh >> 32) },
	};
	return (int)syscall(SYS_capset, &hdr, data);
}

static int raise_ambient(unsigned long long mask)
{
	for (int cap = 0; cap < 64; cap++)
		if ((mask & (1ULL << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			return -1;
	return 0;
}

static int set_groups(const char *list)
{
	gid_t gids[256];
	size_t n = 0;
	for (const char *p = list; *p && n < 256;) {
		char *end;
		gids[n++] = (gid_t)strtoul(p, &end, 10);
		p = *end == ',' ? end + 1 : end;
		if (end == p && *p) { errno = EINVAL; return -1; }
	}
	return setgroups(n, gids);
}

/* The filter arrives as raw struct sock_filter bytes (8 per instruction, host endianness). */
static int load_seccomp(unsigned flags, const char *bytes, size_t len)
{
	if (len == 0 || len % sizeof(struct sock_filter) != 0) { errno = EINVAL; return -1; }
	struct sock_fprog prog = { (unsigned short)(len / sizeof(struct sock_filter)), (struct sock_filter *)bytes };
	if (flags == 0) return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
}

static int is(const struct step *s, const char *name, int argc)
{
	if (strcmp(s->argv[0], name) != 0) return 0;
	if (s->argc != argc) fail(name, EINVAL, "wrong number of arguments");
	return 1;
}

static unsigned long long hex64(const char *text) { return strtoull(text, NULL, 16); }

int run_identity_step(const struct step *s, int *handled)
{
	char **a = s->argv;
	*handled = 1;
	if (is(s, "setgroups", 2)) return set_groups(a[1]);
	if (is(s, "setgid", 2)) { gid_t g = parse_ulong(a[1], 10); return setresgid(g, g, g); }
	if (is(s, "setuid", 2)) { uid_t u = parse_ulong(a[1], 10); return setresuid(u, u, u); }
	if (is(s, "keepcaps", 2)) return prctl(PR_SET_KEEPCAPS, parse_ulong(a[1], 10), 0, 0, 0);
	if (is(s, "securebits", 2)) return prctl(PR_SET_SECUREBITS, parse_ulong(a[1], 0), 0, 0, 0);
	if (is(s, "bounding", 2)) return drop_bounding(hex64(a[1]));
	if (is(s, "capset", 4)) return set_caps(hex64(a[1]), hex64(a[2]), hex64(a[3]));
	if (is(s, "ambient", 2)) return raise_ambient(hex64(a[1]));
	if (is(s, "nnp", 1)) return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (is(s, "seccomp", 3)) return load_seccomp(parse_ulong(a[1], 0), a[2], s->len[2]);
	*handled = 0;
	return 0;
}
