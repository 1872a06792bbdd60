/*
 * Terminal steps, runc's --console-socket protocol: the container's init opens a pty in the
 * container's devpts, sends the master over a unix socket with SCM_RIGHTS (the data is the pty
 * name), and makes the slave its controlling terminal and stdio. Also `recvtty`, the receiving
 * side for tests and tools: it accepts one master and relays it to its own stdin/stdout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "helper.h"

static int console_fd = -1;

static int unix_address(const char *path, struct sockaddr_un *addr)
{
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(addr->sun_path)) { errno = ENAMETOOLONG; return -1; }
	strcpy(addr->sun_path, path);
	return 0;
}

static int connect_console(const char *path)
{
	struct sockaddr_un addr;
	if (unix_address(path, &addr) < 0) return -1;
	console_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (console_fd < 0) return -1;
	return connect(console_fd, (struct sockaddr *)&addr, sizeof(addr));
}

static int send_fd(int sock, int fd, const char *name)
{
	char control[CMSG_SPACE(sizeof(int))];
	memset(control, 0, sizeof(control));
	struct iovec iov = { (void *)name, strlen(name) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control) };
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) < 0 ? -1 : 0;
}

/* Runs after pivot_root, so /dev/ptmx is the container's own devpts instance. rows and cols
 * (process.consoleSize; 0 when not given) size the terminal before the process can read it,
 * so its first size is right without waiting for a resize from the other end. */
static int setup_console(unsigned short rows, unsigned short cols)
{
	int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0) return -1;
	int unlock = 0, n = -1;
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCGPTN, &n) < 0) return -1;
	if (rows > 0 && cols > 0) {
		struct winsize ws = { .ws_row = rows, .ws_col = cols };
		if (ioctl(master, TIOCSWINSZ, &ws) < 0) return -1;
	}
	int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	if (slave < 0) return -1;
	char name[32];
	snprintf(name, sizeof(name), "/dev/pts/%d", n);
	if (send_fd(console_fd, master, name) < 0) return -1;
	close(master);
	close(console_fd);
	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0) return -1;
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0) return -1;
	if (slave > 2) close(slave);
	return 0;
}

int run_console_step(const struct step *s, int *handled)
{
	*handled = 1;
	if (strcmp(s->argv[0], "console_connect") == 0 && s->argc == 2) return connect_console(s->argv[1]);
	if (strcmp(s->argv[0], "console_setup") == 0 && s->argc == 1) return setup_console(0, 0);
	if (strcmp(s->argv[0], "console_setup") == 0 && s->argc == 3)
		return setup_console((unsigned short)strtoul(s->argv[1], NULL, 10), (unsigned short)strtoul(s->argv[2], NULL, 10));
	*handled = 0;
	return 0;
}

static int receive_fd(int sock)
{
	char name[4096], control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { name, sizeof(name) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control) };
	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) < 0) return -1;
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
	if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS) { errno = EPROTO; return -1; }
	int fd;
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	return fd;
}

static int copy(int from, int to)
{
	char buf[4096];
	ssize_t r = read(from, buf, sizeof(buf));
	if (r <= 0) return -1;
	for (ssize_t off = 0; off < r;) {
		ssize_t w = write(to, buf + off, r - off);
		if (w < 0 && errno == EINTR) continue;
		if (w <= 0) return -1;
		off += w;
	}
	return 0;
}

/* Relays stdin → master and master → stdout until the terminal closes (EIO/HUP on the master). */
static volatile sig_atomic_t winch;
static void on_winch(int sig) { (void)sig; winch = 1; }

static void relay(int master)
{
	struct pollfd fds[2] = { { master, POLLIN, 0 }, { 0, POLLIN, 0 } };
	for (;;) {
		if (winch) {
			struct winsize ws;
			winch = 0;
			if (ioctl(0, TIOCGWINSZ, &ws) == 0) ioctl(master, TIOCSWINSZ, &ws);
		}
		if (poll(fds, 2, -1) < 0) { if (errno == EINTR) continue; return; }
		if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) { if (copy(master, 1) < 0) return; }
		if (fds[1].revents & (POLLIN | POLLHUP)) { if (copy(0, master) < 0) fds[1].fd = -1; }
	}
}

/*
 * Attached runs with a terminal and no --console-socket (runc does the same): the first process
 * keeps one end of a socketpair, the container sends its pty master there, and the first process
 * relays it to the runtime's own stdio, in raw mode when that is a terminal.
 */
int console_relay_prepare(void)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) return -1;
	console_fd = sv[1];
	return sv[0];
}

void console_relay_run(int sock)
{
	close(console_fd);
	int master = receive_fd(sock);
	close(sock);
	if (master < 0) return; /* the container failed before its console: nothing to relay */
	struct termios saved, raw;
	int tty = tcgetattr(0, &saved) == 0;
	if (tty) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(0, TCSANOW, &raw);
	}
	signal(SIGWINCH, on_winch);
	winch = 1;
	relay(master);
	if (tty) tcsetattr(0, TCSANOW, &saved);
	close(master);
}

int recvtty_main(const char *path)
{
	struct sockaddr_un addr;
	int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || unix_address(path, &addr) < 0) { perror("recvtty: socket"); return 1; }
	if (bind(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(sock, 1) < 0) {
		perror("recvtty: listen");
		return 1;
	}
	printf("listening\n"); /* lets the caller know it may start the container now */
	fflush(stdout);
	int conn = accept4(sock, NULL, NULL, SOCK_CLOEXEC);
	int master = conn < 0 ? -1 : receive_fd(conn);
	if (master < 0) { perror("recvtty: receive"); return 1; }
	close(conn);
	close(sock);
	unlink(path);
	relay(master);
	return 0;
}
