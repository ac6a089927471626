/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * notify.h - service manager notifications (sd_notify) and socket activation.
 * Without libsystemd these are no-ops, so callers never need an #ifdef.
 */
#ifndef VURING_NOTIFY_H
#define VURING_NOTIFY_H

void notify_ready(void);
void notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void notify_stopping(void);
void notify_reloading(void);
int notify_listen_fd(void);

#endif
