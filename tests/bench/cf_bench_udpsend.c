/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * UDP replay sender for scripts/bench_peers.py: the faster replacement for its Python loop.
 *
 *   cf_bench_udpsend FILE SRC_IP DST_IP PORT RATE SECONDS [BURST]
 *
 * Sends RATE * SECONDS datagrams (a fixed count) from SRC_IP to DST_IP:PORT, cycling through
 * the payloads of FILE, with sendmmsg() in bursts of BURST (default 8) paced on a monotonic
 * clock: burst k leaves at k * BURST / RATE seconds (timer slack 1 us, so the sleeps between
 * bursts are not stretched to 50 us and the bursts merged; small bursts because a receiver's
 * default socket buffer holds few 5 kB datagrams). Stops at the count or SECONDS + 2 s,
 * whichever comes first, and prints "SENT ELAPSED_S ERRORS".
 *
 * FILE is a list of entries, network byte order: u16 length, u16 sequence offset (0xffff:
 * none), u16 stream, u32 sequence step, then the payload. The sequence number at that
 * offset is rewritten per stream on every send (a running 32-bit count advancing by the
 * step), so a replay that cycles the list keeps each exporter's sequence going forward
 * instead of jumping back at every lap.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sendmmsg, recvmmsg */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BURST 256
#define MAX_PAYLOADS 100000
#define MAX_STREAMS 65536
#define NO_SEQ 0xffff

struct payload {
	uint8_t *data;
	uint16_t len;
	uint16_t seq_off;
	uint16_t stream;
	uint32_t seq_step;
};

static struct payload pl[MAX_PAYLOADS];
static uint32_t stream_seq[MAX_STREAMS];

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint32_t
be32_get(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
be32_put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Reads FILE into pl[]; returns the number of payloads, 0 on a bad or empty file. */
static unsigned int
load(const char *path)
{
	uint8_t hdr[10];
	unsigned int n = 0;
	FILE *f = fopen(path, "rb");

	if (f == NULL) {
		perror(path);
		return 0;
	}
	while (n < MAX_PAYLOADS && fread(hdr, 1, sizeof(hdr), f) == sizeof(hdr)) {
		struct payload *p = &pl[n];

		p->len = (uint16_t)(hdr[0] << 8 | hdr[1]);
		p->seq_off = (uint16_t)(hdr[2] << 8 | hdr[3]);
		p->stream = (uint16_t)(hdr[4] << 8 | hdr[5]);
		p->seq_step = be32_get(hdr + 6);
		p->data = malloc(p->len ? p->len : 1);
		if (p->data == NULL || fread(p->data, 1, p->len, f) != p->len ||
		    (p->seq_off != NO_SEQ && (uint32_t)p->seq_off + 4 > p->len)) {
			fprintf(stderr, "%s: entry %u truncated or bad\n", path, n);
			fclose(f);
			return 0;
		}
		if (p->seq_off != NO_SEQ && stream_seq[p->stream] == 0)
			stream_seq[p->stream] = be32_get(p->data + p->seq_off);
		n++;
	}
	fclose(f);
	return n;
}

int
main(int argc, char **argv)
{
	static struct mmsghdr msgs[MAX_BURST];
	static struct iovec iov[MAX_BURST];
	struct sockaddr_in src = {.sin_family = AF_INET}, dst = {.sin_family = AF_INET};
	unsigned long long total, sent = 0, errors = 0;
	unsigned int npl, burst = 8, next = 0, i;
	double rate, secs, t0, t;
	int fd, sndbuf = 1 << 22;

	if (argc < 7 || argc > 8) {
		fprintf(stderr, "usage: %s FILE SRC_IP DST_IP PORT RATE SECONDS [BURST]\n", argv[0]);
		return 2;
	}
	rate = atof(argv[5]);
	secs = atof(argv[6]);
	if (argc == 8)
		burst = (unsigned int)atoi(argv[7]);
	if (inet_pton(AF_INET, argv[2], &src.sin_addr) != 1 ||
	    inet_pton(AF_INET, argv[3], &dst.sin_addr) != 1 || rate <= 0 || secs <= 0 ||
	    burst < 1 || burst > MAX_BURST) {
		fprintf(stderr, "%s: bad address, rate, time or burst (1..%d)\n", argv[0], MAX_BURST);
		return 2;
	}
	dst.sin_port = htons((uint16_t)atoi(argv[4]));
	prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
	npl = load(argv[1]);
	if (npl == 0)
		return 1;
	if (burst > npl)
		burst = npl; /* one payload twice in a burst would carry one sequence number */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)) != 0 ||
	    bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0 ||
	    connect(fd, (struct sockaddr *)&dst, sizeof(dst)) != 0) {
		perror("socket");
		return 1;
	}
	total = (unsigned long long)(rate * secs);
	t0 = now_s();
	while (sent < total && (t = now_s() - t0) < secs + 2) {
		double due = (double)sent / rate; /* when the next burst is due */
		unsigned int n = burst;
		int rc;

		if (due > t) {
			double w = due - t;
			struct timespec ts = {.tv_sec = (time_t)w,
					      .tv_nsec = (long)((w - (double)(time_t)w) * 1e9)};

			nanosleep(&ts, NULL);
			continue;
		}
		if (total - sent < n)
			n = (unsigned int)(total - sent);
		for (i = 0; i < n; i++) {
			struct payload *p = &pl[(next + i) % npl];

			if (p->seq_off != NO_SEQ) {
				be32_put(p->data + p->seq_off, stream_seq[p->stream]);
				stream_seq[p->stream] += p->seq_step;
			}
			iov[i].iov_base = p->data;
			iov[i].iov_len = p->len;
			memset(&msgs[i].msg_hdr, 0, sizeof(msgs[i].msg_hdr));
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		rc = sendmmsg(fd, msgs, n, 0);
		if (rc < 0) {
			/* A full queue (ENOBUFS) is retried: the count is fixed, the time bounded. */
			if (errno != EINTR)
				errors++;
			rc = 0;
		}
		/* The datagrams not taken give their sequence numbers back (resent next turn). */
		for (i = n; i > (unsigned int)rc; i--) {
			struct payload *p = &pl[(next + i - 1) % npl];

			if (p->seq_off != NO_SEQ)
				stream_seq[p->stream] -= p->seq_step;
		}
		sent += (unsigned int)rc;
		next = (next + (unsigned int)rc) % npl;
	}
	printf("%llu %.6f %llu\n", sent, now_s() - t0, errors);
	close(fd);
	return 0;
}
