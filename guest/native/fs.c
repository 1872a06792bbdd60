/*
 * Filesystem steps: mounts, directories and device nodes inside the new mount namespace,
 * pivot_root (or MS_MOVE + chroot), masked and read-only paths, and writes to /proc files.
 * Which mounts, in which order, with which flags is decided by the TypeScript plan builder.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "helper.h"

static const char *opt(const char *field) { return field[0] ? field : NULL; }

static int mkdirp(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) { errno = ENAMETOOLONG; return -1; }
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/') continue;
		*p = 0;
		if (mkdir(buf, mode) < 0 && errno != EEXIST) return -1;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST) return -1;
	return 0;
}

static int touch(const char *path)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) { *slash = 0; if (mkdirp(dir, 0755) < 0) return -1; }
	int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 && errno == EISDIR) return 0;
	if (fd < 0) return -1;
	return close(fd);
}

/* A remount must keep the flags the kernel locks in a user namespace (nosuid, nodev, noexec...). */
static int remount(const char *target, unsigned long flags)
{
	struct statvfs sv;
	if (statvfs(target, &sv) < 0) return -1;
	static const struct { unsigned long st, ms; } keep[] = {
		{ ST_NOSUID, MS_NOSUID }, { ST_NODEV, MS_NODEV }, { ST_NOEXEC, MS_NOEXEC },
		{ ST_NOATIME, MS_NOATIME }, { ST_NODIRATIME, MS_NODIRATIME }, { ST_RELATIME, MS_RELATIME },
	};
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if (sv.f_flag & keep[i].st) flags |= keep[i].ms;
	return mount(NULL, target, NULL, flags | MS_REMOUNT, NULL);
}

/* Masked path: /dev/null over a file, an empty read-only tmpfs over a directory; absent is fine. */
static int mask(const char *path)
{
	if (mount("/dev/null", path, NULL, MS_BIND, NULL) == 0) return 0;
	if (errno == ENOENT) return 0;
	if (errno != ENOTDIR) return -1;
	return mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=0");
}

static int readonly(const char *path)
{
	if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0) return errno == ENOENT ? 0 : -1;
	return remount(path, MS_BIND | MS_REC | MS_RDONLY);
}

static int pivot(const char *rootfs)
{
	int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	int newroot = open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (oldroot < 0 || newroot < 0) return -1;
	/* pivot_root(".", ".") stacks the old root under the new one; then detach it. */
	if (fchdir(newroot) < 0 || syscall(SYS_pivot_root, ".", ".") < 0) return -1;
	if (fchdir(oldroot) < 0) return -1;
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0) return -1;
	if (umount2(".", MNT_DETACH) < 0) return -1;
	close(oldroot);
	close(newroot);
	return chdir("/");
}

static int chroot_move(const char *rootfs)
{
	if (chdir(rootfs) < 0) return -1;
	if (mount(rootfs, "/", NULL, MS_MOVE, NULL) < 0) return -1;
	if (chroot(".") < 0) return -1;
	return chdir("/");
}

static int write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) return -1;
	ssize_t w = write(fd, data, len);
	int err = errno;
	close(fd);
	if (w != (ssize_t)len) { errno = w < 0 ? err : EIO; return -1; }
	return 0;
}

static int is(const struct step *s, const char *name, int argc)
{
	if (strcmp(s->argv[0], name) != 0) return 0;
	if (s->argc != argc) fail(name, EINVAL, "wrong number of arguments");
	return 1;
}

int run_fs_step(const struct step *s, int *handled)
{
	char **a = s->argv;
	*handled = 1;
	if (is(s, "mount", 6))
		return mount(opt(a[1]), a[2], opt(a[3]), parse_ulong(a[4], 0), opt(a[5]));
	if (is(s, "remount", 3)) return remount(a[1], parse_ulong(a[2], 0));
	if (is(s, "mkdirp", 3)) return mkdirp(a[1], parse_ulong(a[2], 8));
	if (is(s, "touch", 2)) return touch(a[1]);
	if (is(s, "mknod", 5)) {
		dev_t dev = makedev(parse_ulong(a[3], 10), parse_ulong(a[4], 10));
		if (mknod(a[1], parse_ulong(a[2], 8), dev) < 0 && errno != EEXIST) return -1;
		return 0;
	}
	if (is(s, "symlink", 3)) return symlink(a[1], a[2]) < 0 && errno != EEXIST ? -1 : 0;
	if (is(s, "chown", 4)) return lchown(a[1], parse_ulong(a[2], 10), parse_ulong(a[3], 10));
	if (is(s, "chmod", 3)) return chmod(a[1], parse_ulong(a[2], 8));
	if (is(s, "pivot_root", 2)) return pivot(a[1]);
	if (is(s, "chroot_move", 2)) return chroot_move(a[1]);
	if (is(s, "mask", 2)) return mask(a[1]);
	if (is(s, "readonly", 2)) return readonly(a[1]);
	if (is(s, "write", 3)) return write_file(a[1], a[2], s->len[2]);
	*handled = 0;
	return 0;
}
