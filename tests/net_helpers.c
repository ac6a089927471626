// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * net_helpers.c - see net_helpers.h.
 */
#include "config.h"

#include <sched.h>
#include <sys/mount.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net_helpers.h"

/* How often nh_recv_frame() looks again while nothing has arrived. */
#define NH_POLL_MS 5

void nh_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Best effort: a knob that cannot be written only leaves the kernel chattier. */
static void write_knob(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (write(fd, value, strlen(value)) < 0)
			(void)0;
		close(fd);
	}
}

void nh_quiet_ipv6(void)
{
	write_knob("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	write_knob("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
}

int nh_enter_netns(bool own_sysfs, const char **what)
{
	const char *step = own_sysfs ? "create network/mount namespaces" : "create a network namespace";
	int r = 0;

	if (unshare(CLONE_NEWNET | (own_sysfs ? CLONE_NEWNS : 0)) < 0) {
		r = -errno;
	} else if (own_sysfs && (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
				 mount("sysfs", "/sys", "sysfs", 0, NULL) < 0)) {
		step = "mount sysfs in the new namespace";
		r = -errno;
	}
	if (r < 0) {
		if (what)
			*what = step;
		return r;
	}
	nh_quiet_ipv6();
	return 0;
}

int nh_link_up(const char *ifname)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	r = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (r == 0 && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		r = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	r = r < 0 ? -errno : 0;
	close(fd);
	return r;
}

int nh_packet_socket(const char *ifname, bool nonblock)
{
	struct sockaddr_ll sll;
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0),
			htons(ETH_P_ALL));

	if (fd < 0)
		return -1;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

void nh_make_frame(unsigned char *f, int len, unsigned char tag)
{
	uint16_t type = htons(NH_ETHERTYPE);

	memset(f, 0xff, 6);
	memcpy(f + 6, (unsigned char[]){ 0x02, 0, 0, 0, 0, tag }, 6);
	memcpy(f + 12, &type, 2);
	for (int i = 14; i < len; i++)
		f[i] = (unsigned char)(tag + i);
}

int nh_recv_frame(int fd, unsigned char *buf, int size, int wait_ms)
{
	struct sockaddr_ll from;
	socklen_t fl;
	uint16_t type;

	for (int i = 0; i < wait_ms / NH_POLL_MS; i++) {
		int n;

		fl = sizeof(from);
		n = (int)recvfrom(fd, buf, (size_t)size, 0, (struct sockaddr *)&from, &fl);
		if (n >= 14 && from.sll_pkttype != PACKET_OUTGOING) {
			memcpy(&type, buf + 12, 2);
			if (type == htons(NH_ETHERTYPE))
				return n;
			continue;
		}
		if (n < 0)
			poll(NULL, 0, NH_POLL_MS);
	}
	return 0;
}
