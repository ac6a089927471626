/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * net_announce.h - tell the host network where a guest's MAC now lives
 * (SEND_RARP after a migration, for guests without GUEST_ANNOUNCE).
 */
#ifndef VURING_NET_ANNOUNCE_H
#define VURING_NET_ANNOUNCE_H

#include <stdint.h>

struct net_dev;

int net_announce_rarp(struct net_dev *dev, const uint8_t mac[6]);

#endif
