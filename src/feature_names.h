/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * feature_names.h - names of virtio(-net) feature bits and vhost-user
 * protocol feature bits, for people reading status output.
 */
#ifndef VURING_FEATURE_NAMES_H
#define VURING_FEATURE_NAMES_H

/* Both return NULL for a bit without a name (callers print "bit-N"). */
const char *virtio_feature_name(unsigned int bit);
const char *vhost_user_protocol_feature_name(unsigned int bit);

#endif
