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
