/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vu_features.h - the virtio and vhost-user protocol feature bits vuring
 * offers, as a pure function of the configuration.
 *
 * QEMU remembers the features a guest acked and replays them after the
 * back-end restarts, so what we offer must be identical for identical
 * settings: no probing, no run-time state. The datapath uses the same
 * functions to know what a negotiated bit means for it.
 */
#ifndef VURING_VU_FEATURES_H
#define VURING_VU_FEATURES_H

#include <stdbool.h>
#include <stdint.h>

struct conf;

uint64_t vu_features_offered(const struct conf *conf);
uint64_t vu_protocol_features_offered(const struct conf *conf);

static inline bool vu_has_feature(uint64_t features, unsigned int bit)
{
	return bit < 64 && (features & (1ull << bit));
}

#endif
