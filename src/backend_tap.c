// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * backend_tap.c - the TAP back-end: one TAP queue fd per queue pair, frames
 * moved by io_uring READV/WRITEV on fixed files.
 *
 * The TAP runs with IFF_VNET_HDR, so the virtio-net header the guest puts
 * in front of each frame goes to the kernel as is (and comes back on
 * receive): no header translation, no copy in vuring. With IFF_MULTI_QUEUE
 * each queue pair has its own fd, which TUNSETQUEUE attaches and detaches.
 *
 * Device-wide settings (header size, offloads) need an attached queue fd;
 * while none is attached they are remembered and applied at the next
 * attach.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_tun.h>

#include "backend.h"
#include "container_of.h"
#include "fdstore.h"
#include "log.h"

/* UAPI names newer than Debian 12's linux-libc-dev (6.1); values from 6.2. */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20		/* I can handle USO for IPv4 packets */
#define TUN_F_USO6 0x40		/* I can handle USO for IPv6 packets */
#endif

#define TUN_DEV "/dev/net/tun"

/* The flags every queue fd is opened with. */
#define TAP_FLAGS (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR)

/* Header size until the device says otherwise: VERSION_1 is the norm. */
#define TAP_DEFAULT_VNET_HDR_LEN sizeof(struct virtio_net_hdr_mrg_rxbuf)

/*
 * What the TAP always accepts from us with IFF_VNET_HDR: partial checksums
 * and TSO/UFO super-frames (tun_get_user -> virtio_net_hdr_to_skb).
 */
#define TAP_HOST_OFFLOADS                                                     \
	(BACKEND_F(VIRTIO_NET_F_CSUM) | BACKEND_F(VIRTIO_NET_F_HOST_TSO4) |   \
	 BACKEND_F(VIRTIO_NET_F_HOST_TSO6) | BACKEND_F(VIRTIO_NET_F_HOST_ECN) | \
	 BACKEND_F(VIRTIO_NET_F_HOST_UFO))

/*
 * TUNSETOFFLOAD flags and the features they stand for. Probed one by one:
 * tun rejects unknown flags with EINVAL "so the user can test for new
 * features by trying to set them" (drivers/net/tun.c set_offload()).
 * Everything but the checksum itself requires TUN_F_CSUM, as the virtio
 * spec makes every GUEST_TSO/UFO/USO depend on GUEST_CSUM.
 */
static const struct {
	unsigned int tun;	/* flags to probe, on top of TUN_F_CSUM */
	uint64_t features;	/* all of them must be negotiated */
} tap_guest_offloads[] = {
	{ 0, BACKEND_F(VIRTIO_NET_F_GUEST_CSUM) },
	{ TUN_F_TSO4, BACKEND_F(VIRTIO_NET_F_GUEST_TSO4) },
	{ TUN_F_TSO6, BACKEND_F(VIRTIO_NET_F_GUEST_TSO6) },
	{ TUN_F_TSO4 | TUN_F_TSO_ECN, BACKEND_F(VIRTIO_NET_F_GUEST_ECN) },
	{ TUN_F_UFO, BACKEND_F(VIRTIO_NET_F_GUEST_UFO) },
	/* tun accepts USO only for both families at once */
	{ TUN_F_USO4 | TUN_F_USO6,
	  BACKEND_F(VIRTIO_NET_F_GUEST_USO4) | BACKEND_F(VIRTIO_NET_F_GUEST_USO6) },
};

struct tap_queue {
	int fd;
	int slot;		/* fixed-file slot in the ring, or -1 */
	bool attached;
};

struct tap {
	struct backend be;
	struct uring *u;
	char ifname[IFNAMSIZ];
	bool multi_queue;	/* IFF_MULTI_QUEUE: queues can detach */
	bool created;		/* we created the interface */
	bool settings_pending;	/* header size/offloads not yet applied */
	unsigned int vnet_hdr_len;
	unsigned int tun_offloads;	/* TUNSETOFFLOAD value wanted */
	uint64_t offloads;	/* VIRTIO_NET_F_* the TAP can honour */
	struct tap_queue q[];
};

static struct tap *to_tap(const struct backend *be)
{
	return container_of(be, struct tap, be);
}

/**
 * tap_explain_setiff() - log why TUNSETIFF failed, in the admin's terms
 */
static void tap_explain_setiff(const char *ifname, int err, bool multi_queue)
{
	switch (err) {
	case EPERM:
	case EACCES:
		log_error("TAP %s: permission denied: it belongs to another user or group "
			  "(ip tuntap add dev %s mode tap multi_queue vnet_hdr user USER), "
			  "or creating it needs CAP_NET_ADMIN", ifname, ifname);
		break;
	case EINVAL:
		log_error("TAP %s: the kernel refused the flags: %s exists but is not a TAP, "
			  "or was created %s multi_queue", ifname, ifname,
			  multi_queue ? "without" : "with");
		break;
	case EBUSY:
		log_error("TAP %s is busy: another process holds its only queue, "
			  "or all its queues are taken", ifname);
		break;
	default:
		log_error("TAP %s: TUNSETIFF: %s", ifname, strerror(err));
	}
}

/**
 * tun_open() - open /dev/net/tun nonblocking, explaining common failures
 * Return: the fd, or a negative errno (logged).
 */
static int tun_open(void)
{
	int fd = open(TUN_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	int err;

	if (fd >= 0)
		return fd;
	err = errno;
	if (err == ENOENT || err == ENODEV || err == ENXIO)
		log_error(TUN_DEV " is missing: the kernel needs TUN/TAP (modprobe tun; "
			  "mknod " TUN_DEV " c 10 200)");
	else
		log_error("cannot open " TUN_DEV ": %s", strerror(err));
	return -err;
}

/**
 * tun_check_features() - does this kernel's tun do what we ask of it?
 * Return: 0, or -EOPNOTSUPP (logged).
 */
static int tun_check_features(int fd)
{
	unsigned int features = 0;
	const unsigned int need = TAP_FLAGS | IFF_MULTI_QUEUE;

	if (ioctl(fd, TUNGETFEATURES, &features) < 0 || (features & need) != need) {
		log_error("this kernel's TUN/TAP lacks IFF_VNET_HDR or IFF_MULTI_QUEUE");
		return -EOPNOTSUPP;
	}
	return 0;
}

/**
 * tap_attach_fd() - bind @fd to the TAP as one more queue
 * Return: 0 or a negative errno (not logged).
 */
static int tap_attach_fd(const struct tap *t, int fd, bool multi_queue)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, t->ifname, sizeof(ifr.ifr_name));
	ifr.ifr_flags = TAP_FLAGS | (multi_queue ? IFF_MULTI_QUEUE : 0);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		return -errno;
	return 0;
}

/**
 * tap_open_first() - the first queue, which settles multi- vs single-queue
 *
 * A TAP we create is always multi-queue, so queues can be detached. An
 * existing single-queue TAP is accepted when one queue pair is asked for.
 *
 * Return: 0 or a negative errno (logged).
 */
static int tap_open_first(struct tap *t, bool exists)
{
	int fd, r;

	fd = tun_open();
	if (fd < 0)
		return fd;
	r = tun_check_features(fd);
	if (r < 0)
		goto fail;
	t->multi_queue = true;
	r = tap_attach_fd(t, fd, true);
	if (r == -EINVAL && exists && t->be.queue_pairs == 1) {
		t->multi_queue = false;
		r = tap_attach_fd(t, fd, false);
		if (r == 0)
			log_info("TAP %s is single-queue: disabling its ring cannot detach it",
				 t->ifname);
	}
	if (r < 0) {
		tap_explain_setiff(t->ifname, -r, true);
		goto fail;
	}
	t->q[0].fd = fd;
	t->q[0].attached = true;
	t->created = !exists;
	return 0;
fail:
	close(fd);
	return r;
}

/**
 * tap_adopt_fd() - check a queue fd the fd store handed back (fdstore.c)
 * @t: the TAP being opened
 * @fd: the fd
 * @multi_queue: set to the TAP's kind
 *
 * A queue the previous vuring had detached (its rings were disabled) is
 * attached again first (TUNGETIFF wants an attached queue); the rings'
 * SET_VRING_ENABLE state decides afresh. tun answers EINVAL to attaching a
 * queue that is attached already, or that belongs to a single-queue TAP.
 *
 * Return: 0 if @fd is a queue of our TAP with our flags, else a negative errno.
 */
static int tap_adopt_fd(const struct tap *t, int fd, bool *multi_queue)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_ATTACH_QUEUE;
	if (ioctl(fd, TUNSETQUEUE, &ifr) < 0 && errno != EINVAL)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TUNGETIFF, &ifr) < 0)
		return -errno;
	if (strncmp(ifr.ifr_name, t->ifname, IFNAMSIZ) ||
	    (ifr.ifr_flags & TAP_FLAGS) != TAP_FLAGS)
		return -EINVAL;
	*multi_queue = ifr.ifr_flags & IFF_MULTI_QUEUE;
	return 0;
}

/**
 * tap_adopt_queues() - take every queue from the fd store, if it has them
 * @t: the TAP being opened, no queue open yet
 *
 * All or nothing: with a queue missing or foreign, the ones taken are
 * closed and the TAP is opened as usual.
 *
 * Return: 0 when every queue came from the store, else -ENOENT.
 */
static int tap_adopt_queues(struct tap *t)
{
	unsigned int i;
	bool mq = true;

	for (i = 0; i < t->be.queue_pairs; i++) {
		int fd = fdstore_take_tap(i);
		bool this_mq = false;

		if (fd < 0)
			goto fail;
		if (tap_adopt_fd(t, fd, &this_mq) < 0 || (i && this_mq != mq)) {
			log_warn("TAP %s: queue %u from the fd store is not ours; opening anew",
				 t->ifname, i);
			close(fd);
			goto fail;
		}
		mq = this_mq;
		t->q[i].fd = fd;
		t->q[i].attached = true;
	}
	t->multi_queue = mq;
	t->created = false;
	fdstore_tap_adopted();
	log_info("TAP %s: %u queue(s) from the fd store", t->ifname, t->be.queue_pairs);
	return 0;
fail:
	if (i)
		log_warn("TAP %s: only %u of %u queues in the fd store; opening anew", t->ifname,
			 i, t->be.queue_pairs);
	while (i--) {
		close(t->q[i].fd);
		t->q[i].fd = -1;
		t->q[i].attached = false;
	}
	return -ENOENT;
}

/**
 * tap_open_queues() - one attached fd per queue pair
 * Return: 0 or a negative errno (logged).
 */
static int tap_open_queues(struct tap *t, bool exists)
{
	unsigned int i;
	int fd, r;

	if (tap_adopt_queues(t) == 0)
		return 0;
	r = tap_open_first(t, exists);
	if (r < 0)
		return r;
	for (i = 1; i < t->be.queue_pairs; i++) {
		fd = tun_open();
		if (fd < 0)
			return fd;
		r = tap_attach_fd(t, fd, true);
		if (r < 0) {
			tap_explain_setiff(t->ifname, -r, true);
			close(fd);
			return r;
		}
		t->q[i].fd = fd;
		t->q[i].attached = true;
	}
	return 0;
}

/**
 * tap_ifreq_ioctl() - an SIOC* interface ioctl on a throwaway socket
 * Return: 0 or a negative errno.
 */
static int tap_ifreq_ioctl(unsigned long req, struct ifreq *ifr)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int r = 0;

	if (s < 0)
		return -errno;
	if (ioctl(s, req, ifr) < 0)
		r = -errno;
	close(s);
	return r;
}

/**
 * tap_set_mtu() - apply the configured MTU if it differs from the current
 *
 * Asking only when it differs lets an unprivileged vuring run on a TAP the
 * administrator already set up.
 *
 * Return: 0 or a negative errno (logged).
 */
static int tap_set_mtu(const struct tap *t, unsigned int mtu)
{
	struct ifreq ifr;
	int r;

	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, t->ifname, sizeof(ifr.ifr_name));
	r = tap_ifreq_ioctl(SIOCGIFMTU, &ifr);
	if (r == 0 && (unsigned int)ifr.ifr_mtu == mtu)
		return 0;
	ifr.ifr_mtu = (int)mtu;
	r = tap_ifreq_ioctl(SIOCSIFMTU, &ifr);
	if (r == -EPERM)
		log_error("TAP %s: setting the MTU to %u needs CAP_NET_ADMIN "
			  "(or set it beforehand: ip link set dev %s mtu %u)",
			  t->ifname, mtu, t->ifname, mtu);
	else if (r < 0)
		log_error("TAP %s: cannot set the MTU to %u: %s", t->ifname, mtu, strerror(-r));
	return r;
}

/**
 * tap_set_up() - bring a TAP we created up; one that exists is the admin's
 * Return: 0 or a negative errno (logged).
 */
static int tap_set_up(const struct tap *t)
{
	struct ifreq ifr;
	int r;

	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, t->ifname, sizeof(ifr.ifr_name));
	r = tap_ifreq_ioctl(SIOCGIFFLAGS, &ifr);
	if (r == 0 && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		r = tap_ifreq_ioctl(SIOCSIFFLAGS, &ifr);
	}
	if (r < 0)
		log_error("TAP %s: cannot bring it up: %s", t->ifname, strerror(-r));
	return r;
}

/**
 * tap_probe_offloads() - which GUEST_* offloads the TAP will produce
 *
 * Tries each TUNSETOFFLOAD combination on an attached fd, then turns
 * offloads off again until the front-end negotiates.
 *
 * Return: 0 or a negative errno (logged).
 */
static int tap_probe_offloads(struct tap *t)
{
	int fd = t->q[0].fd;
	size_t i;

	t->offloads = TAP_HOST_OFFLOADS;
	for (i = 0; i < sizeof(tap_guest_offloads) / sizeof(tap_guest_offloads[0]); i++) {
		unsigned long flags = TUN_F_CSUM | tap_guest_offloads[i].tun;

		if (ioctl(fd, TUNSETOFFLOAD, flags) == 0)
			t->offloads |= tap_guest_offloads[i].features;
	}
	/* The kernels that produce USO (6.2+) also accept it from us. */
	if (t->offloads & BACKEND_F(VIRTIO_NET_F_GUEST_USO4))
		t->offloads |= BACKEND_F(VIRTIO_NET_F_HOST_USO);
	if (ioctl(fd, TUNSETOFFLOAD, 0UL) < 0) {
		int err = errno;

		log_error("TAP %s: TUNSETOFFLOAD: %s", t->ifname, strerror(err));
		return -err;
	}
	return 0;
}

/**
 * tap_ctl_fd() - an attached queue fd for device-wide ioctls, or -1
 */
static int tap_ctl_fd(const struct tap *t)
{
	unsigned int i;

	for (i = 0; i < t->be.queue_pairs; i++)
		if (t->q[i].attached)
			return t->q[i].fd;
	return -1;
}

/**
 * tap_apply_settings() - push header size and offloads to the device
 *
 * Without an attached queue, leave them pending for the next attach.
 *
 * Return: 0 or a negative errno (logged).
 */
static int tap_apply_settings(struct tap *t)
{
	int fd = tap_ctl_fd(t);
	int len = (int)t->vnet_hdr_len;
	int err;

	if (fd < 0) {
		t->settings_pending = true;
		return 0;
	}
	if (ioctl(fd, TUNSETVNETHDRSZ, &len) < 0) {
		err = errno;
		log_error("TAP %s: TUNSETVNETHDRSZ %d: %s", t->ifname, len, strerror(err));
		return -err;
	}
	if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)t->tun_offloads) < 0) {
		err = errno;
		log_error("TAP %s: TUNSETOFFLOAD %#x: %s", t->ifname, t->tun_offloads,
			  strerror(err));
		return -err;
	}
	t->settings_pending = false;
	return 0;
}

/**
 * tap_register_queues() - put every queue fd into the ring's fixed files
 * Return: 0 or a negative errno (logged).
 */
static int tap_register_queues(struct tap *t)
{
	unsigned int i;
	int slot;

	for (i = 0; i < t->be.queue_pairs; i++) {
		slot = uring_file_add(t->u, t->q[i].fd);
		if (slot < 0) {
			log_error("TAP %s: cannot register queue %u with io_uring: %s",
				  t->ifname, i, strerror(-slot));
			return slot;
		}
		t->q[i].slot = slot;
	}
	return 0;
}

/**
 * tap_close() - detach from io_uring, close every queue (a TAP we created
 * goes away with its last fd)
 */
static void tap_close(struct backend *be)
{
	struct tap *t = to_tap(be);
	unsigned int i;

	for (i = 0; i < be->queue_pairs; i++) {
		if (t->q[i].slot >= 0)
			uring_file_remove(t->u, t->q[i].slot);
		if (t->q[i].fd >= 0)
			close(t->q[i].fd);
	}
	free(t);
}

/**
 * tap_alloc() - a struct tap with every queue closed
 * Return: the tap, or NULL (logged) for a bad name or no memory.
 */
static struct tap *tap_alloc(const struct conf *conf, struct uring *u)
{
	unsigned int i, n = conf->queue_pairs;
	struct tap *t;

	if (!conf->ifname || !conf->ifname[0] || strlen(conf->ifname) >= IFNAMSIZ) {
		log_error("TAP back-end: interface name %s", conf->ifname ? "too long" : "missing");
		return NULL;
	}
	if (n < 1) {
		log_error("TAP back-end: queue_pairs must be at least 1");
		return NULL;
	}
	t = calloc(1, sizeof(*t) + n * sizeof(t->q[0]));
	if (!t) {
		log_error("TAP back-end: out of memory");
		return NULL;
	}
	t->be.ops = &backend_tap_ops;
	t->be.queue_pairs = n;
	t->u = u;
	t->vnet_hdr_len = TAP_DEFAULT_VNET_HDR_LEN;
	strcpy(t->ifname, conf->ifname);
	for (i = 0; i < n; i++) {
		t->q[i].fd = -1;
		t->q[i].slot = -1;
	}
	return t;
}

/**
 * tap_open() - attach to (or create) the TAP named in @conf
 *
 * Return: 0 with *@ret set, or a negative errno after a message saying why.
 */
static int tap_open(const struct conf *conf, struct uring *u, struct backend **ret)
{
	struct tap *t = tap_alloc(conf, u);
	bool exists;
	int r;

	if (!t)
		return -EINVAL;
	exists = if_nametoindex(t->ifname) != 0;
	if (!exists && !conf->create_tap) {
		log_error("TAP %s does not exist: create it (ip tuntap add dev %s mode tap "
			  "multi_queue vnet_hdr user USER) or set create_tap", t->ifname, t->ifname);
		r = -ENODEV;
		goto fail;
	}
	r = tap_open_queues(t, exists);
	if (r == 0 && conf->mtu)
		r = tap_set_mtu(t, conf->mtu);
	if (r == 0 && t->created)
		r = tap_set_up(t);
	if (r == 0)
		r = tap_probe_offloads(t);
	if (r == 0)
		r = tap_apply_settings(t);
	if (r == 0)
		r = tap_register_queues(t);
	if (r < 0)
		goto fail;
	log_info("TAP %s: %u queue(s)%s, offloads %#llx", t->ifname, t->be.queue_pairs,
		 t->created ? ", created" : "", (unsigned long long)t->offloads);
	*ret = &t->be;
	return 0;
fail:
	tap_close(&t->be);
	return r;
}

static uint64_t tap_offloads(const struct backend *be)
{
	return to_tap(be)->offloads;
}

/**
 * tap_set_vnet_hdr_len() - size of the header in front of every frame
 * Return: 0, -EINVAL for a size virtio-net does not use, or a negative errno.
 */
static int tap_set_vnet_hdr_len(struct backend *be, unsigned int len)
{
	struct tap *t = to_tap(be);

	if (len != sizeof(struct virtio_net_hdr) && len != sizeof(struct virtio_net_hdr_mrg_rxbuf))
		return -EINVAL;
	t->vnet_hdr_len = len;
	return tap_apply_settings(t);
}

/**
 * tap_set_offloads() - let the TAP hand us what the guest accepts
 * @features: the negotiated virtio-net features
 *
 * Only offloads the TAP reported are passed on, and none without
 * GUEST_CSUM (the virtio spec's dependency, and tun's).
 *
 * Return: 0 or a negative errno.
 */
static int tap_set_offloads(struct backend *be, uint64_t features)
{
	struct tap *t = to_tap(be);
	unsigned int flags = 0;
	size_t i;

	features &= t->offloads;
	if (features & BACKEND_F(VIRTIO_NET_F_GUEST_CSUM)) {
		for (i = 0; i < sizeof(tap_guest_offloads) / sizeof(tap_guest_offloads[0]); i++) {
			uint64_t need = tap_guest_offloads[i].features;

			if ((features & need) == need)
				flags |= TUN_F_CSUM | tap_guest_offloads[i].tun;
		}
	}
	t->tun_offloads = flags;
	return tap_apply_settings(t);
}

/**
 * tap_queue_enable() - attach or detach the TAP queue of queue pair @qp
 *
 * A detached queue receives nothing: the kernel spreads frames over the
 * attached ones. Cancel the queue's reads before detaching; a pending read
 * on a detached queue would wait forever.
 *
 * Return: 0 or a negative errno (logged).
 */
static int tap_queue_enable(struct backend *be, unsigned int qp, bool enable)
{
	struct tap *t = to_tap(be);
	struct tap_queue *q;
	struct ifreq ifr;

	if (qp >= be->queue_pairs)
		return -EINVAL;
	q = &t->q[qp];
	if (q->attached == enable)
		return 0;
	if (t->multi_queue) {
		memset(&ifr, 0, sizeof(ifr));
		ifr.ifr_flags = enable ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE;
		if (ioctl(q->fd, TUNSETQUEUE, &ifr) < 0) {
			int err = errno;

			log_error("TAP %s: cannot %s queue %u: %s", t->ifname,
				  enable ? "attach" : "detach", qp, strerror(err));
			return -err;
		}
	}
	q->attached = enable;
	return enable && t->settings_pending ? tap_apply_settings(t) : 0;
}

/**
 * tap_queue() - queue pair @qp if it exists and is attached, else NULL
 */
static struct tap_queue *tap_queue(struct backend *be, unsigned int qp)
{
	struct tap *t = to_tap(be);

	if (qp >= be->queue_pairs || !t->q[qp].attached)
		return NULL;
	return &t->q[qp];
}

/**
 * tap_rw() - post a READV or WRITEV of one frame (header included)
 * @write: true for TX (a write to the TAP)
 *
 * Return: 0, -ENOTCONN for a detached queue, -EINVAL for a bad iovec count,
 * or a ring error.
 */
static int tap_rw(struct backend *be, unsigned int qp, struct uring_op *op,
		  const struct iovec *iov, unsigned int iovcnt, bool write)
{
	struct tap_queue *q = tap_queue(be, qp);

	if (!q)
		return -ENOTCONN;
	if (!iovcnt || iovcnt > BACKEND_MAX_IOV)
		return -EINVAL;
	if (write)
		return uring_prep_writev(to_tap(be)->u, op, q->slot, iov, iovcnt);
	return uring_prep_readv(to_tap(be)->u, op, q->slot, iov, iovcnt);
}

static int tap_tx(struct backend *be, unsigned int qp, struct uring_op *op,
		  const struct iovec *iov, unsigned int iovcnt)
{
	return tap_rw(be, qp, op, iov, iovcnt, true);
}

static int tap_rx(struct backend *be, unsigned int qp, struct uring_op *op,
		  const struct iovec *iov, unsigned int iovcnt)
{
	return tap_rw(be, qp, op, iov, iovcnt, false);
}

/**
 * tap_poll() - post a POLL_ADD on queue pair @qp
 * Return: as tap_rw().
 */
static int tap_poll(struct backend *be, unsigned int qp, struct uring_op *op,
		    unsigned int events)
{
	struct tap_queue *q = tap_queue(be, qp);

	if (!q)
		return -ENOTCONN;
	return uring_prep_poll(to_tap(be)->u, op, q->slot, events);
}

static int tap_flush(struct backend *be)
{
	int r = uring_submit(to_tap(be)->u);

	return r < 0 ? r : 0;
}

static int tap_cancel(struct backend *be, struct uring_group *g)
{
	return uring_group_cancel(to_tap(be)->u, g);
}

static int tap_queue_fd(const struct backend *be, unsigned int qp)
{
	return qp < be->queue_pairs ? to_tap(be)->q[qp].fd : -1;
}

const struct backend_ops backend_tap_ops = {
	.name = "tap",
	.open = tap_open,
	.close = tap_close,
	.offloads = tap_offloads,
	.set_vnet_hdr_len = tap_set_vnet_hdr_len,
	.set_offloads = tap_set_offloads,
	.queue_enable = tap_queue_enable,
	.tx = tap_tx,
	.rx = tap_rx,
	.poll = tap_poll,
	.flush = tap_flush,
	.cancel = tap_cancel,
	.queue_fd = tap_queue_fd,
};
