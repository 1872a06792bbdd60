/*
 * One ttrpc call for the shim front end: Task/Connect, which reserves the live group shim for the
 * task containerd is about to create (guest/shim/start-verb.ts does the same in Node). The frame
 * is guest/ttrpc/frame.ts's: length u32 BE, stream id u32 BE, type u8, flags u8, then the data,
 * a ttrpc.Request / ttrpc.Response protobuf (guest/ttrpc/wire-messages.ts).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "shim-front.h"

#define SERVICE "containerd.task.v2.Task"
#define METHOD "Connect"
#define TIMEOUT_SECONDS 5

static size_t put_varint(unsigned char *out, uint64_t n)
{
	size_t i = 0;
	do {
		out[i++] = (unsigned char)((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
		n >>= 7;
	} while (n);
	return i;
}

/* A length-delimited field (wire type 2). */
static size_t put_bytes(unsigned char *out, int field, const void *data, size_t length)
{
	size_t i = put_varint(out, (uint64_t)field << 3 | 2);
	i += put_varint(out + i, length);
	memcpy(out + i, data, length);
	return i + length;
}

static int get_varint(const unsigned char **p, const unsigned char *end, uint64_t *value)
{
	*value = 0;
	for (int shift = 0; *p < end && shift < 64; shift += 7) {
		unsigned char byte = *(*p)++;
		*value |= (uint64_t)(byte & 0x7f) << shift;
		if (!(byte & 0x80))
			return 0;
	}
	return -1;
}

/* One protobuf field at *p, which moves past it: its number, and its varint value (wire type 0)
 * or the length of its bytes (wire type 2, starting at *bytes). Any other wire type: -1. */
static int next_field(const unsigned char **p, const unsigned char *end, uint64_t *number, int *wire, uint64_t *value,
		      const unsigned char **bytes)
{
	uint64_t key;
	if (get_varint(p, end, &key) < 0 || get_varint(p, end, value) < 0)
		return -1;
	*number = key >> 3;
	*wire = (int)(key & 7);
	if (*wire == 0)
		return 0;
	if (*wire != 2 || *value > (uint64_t)(end - *p))
		return -1;
	*bytes = *p;
	*p += *value;
	return 0;
}

/* ttrpc.Response: OK unless field 1 (Status) holds a nonzero code (its field 1). */
static int response_ok(const unsigned char *p, const unsigned char *end)
{
	while (p < end) {
		uint64_t number, value;
		int wire;
		const unsigned char *status = NULL;
		if (next_field(&p, end, &number, &wire, &value, &status) < 0)
			return -1;
		if (number != 1 || wire != 2)
			continue;
		for (const unsigned char *s = status, *s_end = status + value; s < s_end;) {
			uint64_t code_number, code;
			int code_wire;
			const unsigned char *ignored;
			if (next_field(&s, s_end, &code_number, &code_wire, &code, &ignored) < 0)
				return -1;
			if (code_number == 1 && code_wire == 0 && code != 0)
				return -1;
		}
	}
	return 0;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			return -1;
		p += w, n -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, unsigned char *p, size_t n)
{
	while (n) {
		ssize_t r = read(fd, p, n);
		if (r <= 0)
			return -1;
		p += r, n -= (size_t)r;
	}
	return 0;
}

static int call(int fd, const char *id)
{
	size_t id_length = strlen(id);
	if (id_length > 4096)
		return -1;
	unsigned char payload[4200], frame[4400];
	size_t payload_length = put_bytes(payload, 1, id, id_length); /* ConnectRequest { id = 1 } */
	unsigned char *data = frame + 10;
	size_t n = put_bytes(data, 1, SERVICE, strlen(SERVICE));
	n += put_bytes(data + n, 2, METHOD, strlen(METHOD));
	n += put_bytes(data + n, 3, payload, payload_length);
	n += put_varint(data + n, 4 << 3 | 0); /* timeout_nano */
	n += put_varint(data + n, (uint64_t)TIMEOUT_SECONDS * 1000000000);
	const uint32_t stream = 1;
	unsigned char header[10] = {n >> 24, n >> 16, n >> 8, n, stream >> 24, stream >> 16, stream >> 8, stream, 1 /* request */, 0};
	memcpy(frame, header, 10);
	if (write_all(fd, frame, 10 + n) < 0)
		return -1;
	unsigned char reply[10];
	if (read_all(fd, reply, 10) < 0)
		return -1;
	uint32_t length = (uint32_t)reply[0] << 24 | (uint32_t)reply[1] << 16 | (uint32_t)reply[2] << 8 | reply[3];
	uint32_t reply_stream = (uint32_t)reply[4] << 24 | (uint32_t)reply[5] << 16 | (uint32_t)reply[6] << 8 | reply[7];
	if (reply_stream != stream || reply[8] != 2 /* response */ || length > 65536)
		return -1;
	unsigned char body[65536];
	if (read_all(fd, body, length) < 0)
		return -1;
	return response_ok(body, body + length);
}

int ttrpc_connect_task(const char *socket_path, const char *id)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(socket_path) >= sizeof addr.sun_path)
		return -1;
	strcpy(addr.sun_path, socket_path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct timeval timeout = {.tv_sec = TIMEOUT_SECONDS};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
	int result = connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0 ? call(fd, id) : -1;
	close(fd);
	return result;
}
