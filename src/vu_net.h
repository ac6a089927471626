/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vu_net.h - connects the vhost-user device's ring events to the virtio-net
 * datapath.
 */
#ifndef VURING_VU_NET_H
#define VURING_VU_NET_H

struct net_dev;
struct vu_dev;

void vu_net_attach(struct vu_dev *vd, struct net_dev *nd);

#endif
