// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * frame_tool.c - send and count Ethernet frames on an interface through
 * AF_PACKET, for the integration tests and benchmarks.
 *
 *   frame_tool send IFNAME COUNT SIZE [PPS]
 *       send COUNT frames of SIZE bytes (ethertype 0x88b5, sequence number
 *       in the payload), at most PPS per second (0 = as fast as possible)
 *   frame_tool count IFNAME SECONDS [ETHERTYPE|any]
 *       count frames arriving on IFNAME until SECONDS pass without one;
 *       prints "frames N bytes B"
 *
 * Frames carry the local experimental ethertype so nothing else in the
 * namespace mistakes them for traffic, and the counter can ignore the
 * kernel's own (IPv6 router solicitations and the like).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TEST_ETHERTYPE 0x88b5
#define MAX_FRAME 65536
/* Frames sent back to back between pauses when a rate is given. */
#define SEND_BURST 32

static int open_packet_socket(const char *ifname, struct sockaddr_ll *sll)
{
	int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));

	if (fd < 0) {
		perror("socket(AF_PACKET)");
		return -1;
	}
	memset(sll, 0, sizeof(*sll));
	sll->sll_family = AF_PACKET;
	sll->sll_protocol = htons(ETH_P_ALL);
	sll->sll_ifindex = (int)if_nametoindex(ifname);
	if (!sll->sll_ifindex) {
		fprintf(stderr, "frame_tool: no interface %s\n", ifname);
		close(fd);
		return -1;
	}
	if (bind(fd, (struct sockaddr *)sll, sizeof(*sll)) < 0) {
		perror("bind");
		close(fd);
		return -1;
	}
	return fd;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int do_send(const char *ifname, long count, long size, long pps)
{
	static uint8_t frame[MAX_FRAME];
	struct sockaddr_ll sll;
	double start = now();
	int fd;

	if (size < 60 || size > MAX_FRAME) {
		fprintf(stderr, "frame_tool: size must be 60..%d\n", MAX_FRAME);
		return 1;
	}
	fd = open_packet_socket(ifname, &sll);
	if (fd < 0)
		return 1;
	memset(frame, 0xff, 6);				/* broadcast */
	memcpy(frame + 6, "\x02\x00\x00\x00\x00\x01", 6);	/* local MAC */
	frame[12] = TEST_ETHERTYPE >> 8;
	frame[13] = TEST_ETHERTYPE & 0xff;
	for (long i = 18; i < size; i++)
		frame[i] = (uint8_t)i;
	for (long i = 0; i < count; i++) {
		uint32_t seq = htonl((uint32_t)i);

		memcpy(frame + 14, &seq, sizeof(seq));
		while (send(fd, frame, (size_t)size, 0) < 0) {
			if (errno != ENOBUFS && errno != EAGAIN) {
				perror("send");
				close(fd);
				return 1;
			}
			usleep(100);
		}
		/*
		 * Pace in bursts and sleep between them: a busy-wait would take
		 * the CPU the back-end under test needs (two CPUs, one of them
		 * held by a polling front-end).
		 */
		if (pps > 0 && (i + 1) % SEND_BURST == 0) {
			double wait = start + (double)(i + 1) / (double)pps - now();

			if (wait > 0)
				usleep((useconds_t)(wait * 1e6));
		}
	}
	close(fd);
	printf("sent %ld\n", count);
	return 0;
}

static int do_count(const char *ifname, double quiet_s, long ethertype)
{
	static uint8_t frame[MAX_FRAME];
	struct sockaddr_ll sll;
	long frames = 0, bytes = 0;
	int fd = open_packet_socket(ifname, &sll);

	if (fd < 0)
		return 1;
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t n;

		if (poll(&p, 1, (int)(quiet_s * 1000)) <= 0)
			break;
		n = recvfrom(fd, frame, sizeof(frame), 0, (struct sockaddr *)&from, &fl);
		if (n < 14 || from.sll_pkttype == PACKET_OUTGOING)
			continue;
		if (ethertype >= 0 && ((frame[12] << 8) | frame[13]) != ethertype)
			continue;
		frames++;
		bytes += n;
	}
	close(fd);
	printf("frames %ld bytes %ld\n", frames, bytes);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "send"))
		return do_send(argv[2], atol(argv[3]), atol(argv[4]),
			       argc > 5 ? atol(argv[5]) : 0);
	if (argc >= 4 && !strcmp(argv[1], "count")) {
		long et = TEST_ETHERTYPE;

		if (argc > 4)
			et = !strcmp(argv[4], "any") ? -1 : strtol(argv[4], NULL, 0);
		return do_count(argv[2], atof(argv[3]), et);
	}
	fprintf(stderr, "usage: frame_tool send IFNAME COUNT SIZE [PPS]\n"
			"       frame_tool count IFNAME QUIET_SECONDS [ETHERTYPE|any]\n");
	return 2;
}
