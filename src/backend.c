// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * backend.c - pick the back-end the configuration names.
 */
#include "config.h"

#include <errno.h>

#include "backend.h"
#include "log.h"

/**
 * backend_open() - open the back-end selected by @conf->backend
 * @conf: settings (backend, ifname, queue_pairs, ...)
 * @u: the process's io_uring
 * @ret: the open back-end
 *
 * Return: 0, or a negative errno after a message saying why.
 */
int backend_open(const struct conf *conf, struct uring *u, struct backend **ret)
{
	switch (conf->backend) {
	case CONF_BACKEND_TAP:
		return backend_tap_ops.open(conf, u, ret);
	case CONF_BACKEND_XDP:
#ifdef HAVE_XDP
		return backend_xdp_ops.open(conf, u, ret);
#else
		log_error("this vuring was built without the AF_XDP back-end (configure --enable-xdp)");
		return -EOPNOTSUPP;
#endif
	}
	log_error("unknown back-end type %d", (int)conf->backend);
	return -EINVAL;
}
