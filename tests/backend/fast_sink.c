/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A minimal, fast HTTP sink for delivery benchmarks (libmicrohttpd): reads
 * every POST body, does not parse it, answers 200. Binds 127.0.0.1 port 0,
 * prints "PORT <n>" and, on SIGTERM/SIGINT, "requests=N body_bytes=B".
 * Not a backend: it validates nothing (tests/backend/clarion_backend.py does).
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

static volatile sig_atomic_t quit;
static uint64_t requests, body_bytes;   /* one polling thread: no locks needed */

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
       const char *version, const char *data, size_t *size, void **state)
{
	static const char ok[] = "{\"status\":\"received\"}";
	static int marker;
	struct MHD_Response *r;
	enum MHD_Result ret;

	(void)cls, (void)url, (void)method, (void)version, (void)data;
	if (*state == NULL) {
		*state = &marker;
		return MHD_YES;
	}
	if (*size != 0) {
		body_bytes += *size;
		*size = 0;
		return MHD_YES;
	}
	requests++;
	r = MHD_create_response_from_buffer(sizeof(ok) - 1, (void *)ok, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(r, "Content-Type", "application/json");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

int
main(void)
{
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;
	struct MHD_Daemon *d;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL, handle, NULL,
			     MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(1 << 20),
			     MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "fast_sink: cannot start\n");
		return 1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	printf("PORT %u\n", info ? info->port : 0);
	fflush(stdout);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	while (!quit)
		pause();
	MHD_stop_daemon(d);
	printf("requests=%" PRIu64 " body_bytes=%" PRIu64 "\n", requests, body_bytes);
	return 0;
}
