/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * privilege.h - least privilege: once the TAP and the sockets are open,
 * vuring gives up its user, its capabilities and most syscalls.
 */
#ifndef VURING_PRIVILEGE_H
#define VURING_PRIVILEGE_H

#include "conf.h"

int privilege_drop(const struct conf *conf);
int privilege_caps_none(void);

#endif
