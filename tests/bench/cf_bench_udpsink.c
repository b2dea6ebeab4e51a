/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Null UDP receiver for scripts/bench_peers.py: the kernel path's ceiling (sender, veth,
 * UDP socket) measured by a receiver that does nothing but count.
 *
 *   cf_bench_udpsink BIND_IP PORT MAX_SECONDS IDLE_SECONDS [RCVBUF]
 *
 * recvmmsg() in batches of 64 on one UDP socket (RCVBUF bytes if given, past
 * net.core.rmem_max when run as root, else the system default, as nfcapd and nfacctd run
 * by default). Stops IDLE_SECONDS after the last datagram
 * once one has come, or at MAX_SECONDS, or at SIGTERM/SIGINT; prints "DATAGRAMS BYTES" and
 * the socket's drop count as the kernel reports it (SO_RXQ_OVFL: datagrams dropped because
 * the receive buffer was full).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sendmmsg, recvmmsg */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define DGRAM_MAX 65536

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	static uint8_t buf[BATCH][DGRAM_MAX];
	static uint8_t ctl[BATCH][CMSG_SPACE(sizeof(uint32_t))];
	static struct mmsghdr msgs[BATCH];
	static struct iovec iov[BATCH];
	struct sockaddr_in addr = {.sin_family = AF_INET};
	struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};
	unsigned long long dgrams = 0, bytes = 0;
	double max_s, idle_s, t0, last = 0;
	uint32_t ovfl = 0;
	int fd, one = 1, i;

	if (argc < 5 || argc > 6) {
		fprintf(stderr, "usage: %s BIND_IP PORT MAX_SECONDS IDLE_SECONDS [RCVBUF]\n", argv[0]);
		return 2;
	}
	max_s = atof(argv[3]);
	idle_s = atof(argv[4]);
	if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1 || max_s <= 0 || idle_s <= 0) {
		fprintf(stderr, "%s: bad address or time\n", argv[0]);
		return 2;
	}
	addr.sin_port = htons((uint16_t)atoi(argv[2]));
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one)) != 0 ||
	    bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		perror("socket");
		return 1;
	}
	if (argc == 6) {
		int rcvbuf = atoi(argv[5]);

		/* As root past net.core.rmem_max (SO_RCVBUFFORCE), else up to it. */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0 &&
		    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) != 0) {
			perror("SO_RCVBUF");
			return 1;
		}
	}
	for (i = 0; i < BATCH; i++) {
		iov[i].iov_base = buf[i];
		iov[i].iov_len = DGRAM_MAX;
	}
	t0 = now_s();
	while (!stop) {
		double t = now_s();
		int n;

		if (t - t0 >= max_s || (dgrams > 0 && t - last >= idle_s))
			break;
		for (i = 0; i < BATCH; i++) {
			memset(&msgs[i].msg_hdr, 0, sizeof(msgs[i].msg_hdr));
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_control = ctl[i];
			msgs[i].msg_hdr.msg_controllen = sizeof(ctl[i]);
		}
		n = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, NULL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				continue;
			perror("recvmmsg");
			return 1;
		}
		for (i = 0; i < n; i++) {
			struct msghdr *m = &msgs[i].msg_hdr;
			struct cmsghdr *c;

			bytes += msgs[i].msg_len;
			for (c = CMSG_FIRSTHDR(m); c != NULL; c = CMSG_NXTHDR(m, c))
				if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL)
					memcpy(&ovfl, CMSG_DATA(c), sizeof(ovfl));
		}
		dgrams += (unsigned int)n;
		last = now_s();
	}
	printf("%llu %llu %u\n", dgrams, bytes, ovfl);
	close(fd);
	return 0;
}
