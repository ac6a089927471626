/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fdstore.h - restart without a disconnect: the service manager's file
 * descriptor store (systemd's FDSTORE=1) keeps the connected vhost-user
 * socket, the guest memory fds, the rings' eventfds and the TAP queues, plus
 * a memfd describing the session (fdstore_state.h). A vuring started again
 * gets them back (LISTEN_FDS, LISTEN_FDNAMES) and carries on serving the
 * same front-end, which never sees the socket close.
 *
 * The store is used when the service manager offers one: $NOTIFY_SOCKET is
 * set and $FDSTORE (systemd 254 sets it from FileDescriptorStoreMax=) is a
 * positive number, or the fds of an earlier process came back. Otherwise
 * every function here does nothing.
 *
 * The store is process-wide, like the environment it comes through, so
 * this module is a single instance.
 */
#ifndef VURING_FDSTORE_H
#define VURING_FDSTORE_H

#include <stdbool.h>

struct net_dev;
struct vu_dev;

int fdstore_init(void);
bool fdstore_is_ours(const char *name);
int fdstore_take_tap(unsigned int qp);
void fdstore_tap_adopted(void);
void fdstore_attach(struct vu_dev *dev, struct net_dev *net);
int fdstore_resume_socket(void);
int fdstore_resume(struct vu_dev *dev);
void fdstore_session_begin(int fd);
void fdstore_session_end(void);
void fdstore_freeze(void);
void fdstore_close(void);

#endif
