/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * net_helpers.h - the small network chores of the C tests: an interface up,
 * an AF_PACKET socket on it, test frames of our own ethertype.
 */
#ifndef VURING_TESTS_NET_HELPERS_H
#define VURING_TESTS_NET_HELPERS_H

#include <stdbool.h>
#include <stdint.h>

/* Ethertype of test frames (IEEE 802 local experimental). */
#define NH_ETHERTYPE 0x88b5

void nh_sleep_ms(int ms);
/* IPv6 off for new and existing interfaces of the current network namespace,
 * so the kernel sends no solicitations or DAD probes among the test's frames. */
void nh_quiet_ipv6(void);
/* Unshare a network namespace, quiet (nh_quiet_ipv6); with @own_sysfs also a
 * mount namespace with a sysfs of its own, so that /sys/class/net shows the
 * new namespace's devices. Return: 0, or a negative errno with *@what (if
 * given) naming the step that failed. */
int nh_enter_netns(bool own_sysfs, const char **what);
/* 0, or a negative errno. */
int nh_link_up(const char *ifname);
/* A raw AF_PACKET socket bound to @ifname for every protocol; -1 on error. */
int nh_packet_socket(const char *ifname, bool nonblock);
/* A broadcast frame of NH_ETHERTYPE: @tag is the last byte of the source MAC
 * (so it varies the flow hash, which picks a queue) and seeds the payload. */
void nh_make_frame(unsigned char *f, int len, unsigned char tag);
/* The next NH_ETHERTYPE frame arriving on @fd (a non-blocking packet socket;
 * our own outgoing frames skipped) within @wait_ms: its length, or 0. */
int nh_recv_frame(int fd, unsigned char *buf, int size, int wait_ms);

#endif
