// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_fdstore_state.c - the fd store's session record: two slots, the
 * newest intact one wins, a torn or foreign record is never used.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdstore_state.h"
#include "tap.h"

/* Where the header's version and sequence fields sit in a slot. */
#define HDR_VERSION_OFF 8
#define HDR_RECORD_OFF 32

static struct fds_state a, b, got;

/* Offset of slot @i in the file (two equal slots). */
static size_t slot_off(const struct fds_file *f, unsigned int i)
{
	struct stat st;

	if (fstat(f->fd, &st) < 0)
		return 0;
	return (size_t)st.st_size / 2 * i;
}

/* The slot holding the record with sequence @seq (writes alternate). */
static unsigned int slot_of(uint64_t seq)
{
	return (unsigned int)(seq & 1);
}

static void test_write_read(struct fds_file *f)
{
	ok(fds_file_read(f, &got) == -ENOENT, "a new file holds no record");
	a.next_serial = 5;
	a.sock_serial = 3;
	a.nrings = 4;
	a.rings[2].num = 256;
	a.rings[2].serial[FDS_CALL] = 4;
	fds_file_write(f, &a);
	ok(fds_file_read(f, &got) == 0 && !memcmp(&got, &a, sizeof(a)), "a record reads back");
	b = a;
	b.next_serial = 9;
	b.nregions = 1;
	b.regions[0].gpa = 0x100000;
	fds_file_write(f, &b);
	ok(fds_file_read(f, &got) == 0 && !memcmp(&got, &b, sizeof(b)),
	   "the newer of two records is read");
}

static void test_torn(struct fds_file *f)
{
	/* The process died in the middle of writing the newest record. */
	size_t off = slot_off(f, slot_of(f->seq)) + HDR_RECORD_OFF + 100;

	f->map[off] ^= 0x55;
	ok(fds_file_read(f, &got) == 0 && !memcmp(&got, &a, sizeof(a)),
	   "a torn newest record: the previous one is read");
	f->map[off] ^= 0x55;
	ok(fds_file_read(f, &got) == 0 && !memcmp(&got, &b, sizeof(b)), "repaired: the newest again");
	fds_file_write(f, &a);
	ok(fds_file_read(f, &got) == 0 && !memcmp(&got, &a, sizeof(a)),
	   "a third write replaces the oldest slot");
}

static void test_foreign(struct fds_file *f)
{
	uint32_t version;

	for (unsigned int i = 0; i < 2; i++) {
		memcpy(&version, f->map + slot_off(f, i) + HDR_VERSION_OFF, sizeof(version));
		version++;
		memcpy(f->map + slot_off(f, i) + HDR_VERSION_OFF, &version, sizeof(version));
	}
	ok(fds_file_read(f, &got) == -ENOENT, "records of another layout version are not used");
	a.nrings = VU_MAX_RINGS + 1;
	fds_file_write(f, &a);
	ok(fds_file_read(f, &got) == -ENOENT, "a record counting more rings than we have is refused");
	a.nrings = 2;
	a.nregions = GUEST_MEM_MAX_REGIONS + 1;
	fds_file_write(f, &a);
	ok(fds_file_read(f, &got) == -ENOENT, "a record counting too many regions is refused");
}

static void test_open(void)
{
	struct fds_file f;
	int fd = memfd_create("small", MFD_CLOEXEC);

	ok(fd >= 0 && ftruncate(fd, 4096) == 0, "a memfd too small for a record");
	ok(fds_file_open(&f, fd) == -EINVAL && fcntl(fd, F_GETFD) < 0,
	   "is refused, and closed");
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ok(fds_file_open(&f, fd) == -EINVAL, "a device is refused");
}

static void test_reopen(struct fds_file *f)
{
	struct fds_file g;
	int fd = fcntl(f->fd, F_DUPFD_CLOEXEC, 0);

	b.nregions = 1;
	fds_file_write(f, &b);
	ok(fds_file_open(&g, fd) == 0 && fds_file_read(&g, &got) == 0 &&
		   !memcmp(&got, &b, sizeof(b)),
	   "the next process reads the record through the same file");
	fds_file_write(&g, &a);
	ok(fds_file_read(&g, &got) == 0 && !memcmp(&got, &a, sizeof(a)),
	   "and writes on after it");
	fds_file_close(&g);
}

int main(void)
{
	struct fds_file f;

	plan(16);
	ok(fds_file_create(&f) == 0, "create a record file");
	test_write_read(&f);
	test_torn(&f);
	test_reopen(&f);
	test_foreign(&f);
	test_open();
	fds_file_close(&f);
	ok(f.fd == -1 && !f.map, "closed");
	return done_testing();
}
