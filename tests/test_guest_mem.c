// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_guest_mem.c - region add/remove rules and address translation.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guest_mem.h"
#include "log.h"
#include "tap.h"

#define PAGE 4096ull
#define FILE_SIZE (64 * PAGE)

static struct guest_mem mem;

static int new_memfd(uint64_t size)
{
	int fd = memfd_create("test-guest-mem", MFD_CLOEXEC);

	if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
		perror("memfd");
		exit(1);
	}
	return fd;
}

static int add(uint64_t gpa, uint64_t size, uint64_t uva, uint64_t off, int fd)
{
	struct guest_region_desc d = { .gpa = gpa, .size = size, .uva = uva, .mmap_offset = off };

	return guest_mem_add(&mem, &d, fd);
}

static void test_add_rules(void)
{
	int fd = new_memfd(FILE_SIZE), pipefd[2];

	guest_mem_init(&mem);
	is_int(add(0, 0, 0x1000, 0, fd), -EINVAL, "zero size refused");
	is_int(add(0, FILE_SIZE + 1, 0, 0, fd), -EINVAL, "region longer than its file refused");
	is_int(add(0, PAGE, 0, FILE_SIZE, fd), -EINVAL, "region starting at EOF refused");
	is_int(add(0, 2 * PAGE, 0, FILE_SIZE - PAGE, fd), -EINVAL, "region running past EOF refused");
	is_int(add(0, PAGE, 0, UINT64_MAX - 10, fd), -EINVAL, "wrapping mmap_offset refused");
	is_int(add(UINT64_MAX - PAGE + 2, PAGE, 0, 0, fd), -EINVAL, "wrapping gpa refused");
	is_int(add(0, PAGE, UINT64_MAX - 5, 0, fd), -EINVAL, "wrapping uva refused");
	is_int(add(UINT64_MAX - PAGE + 1, PAGE, 0x10000, 0, fd), 0,
	       "region ending exactly at 2^64 accepted");
	is_int(mem.nregions, 1, "one region mapped");
	is_int(add(0, FILE_SIZE, 0x100000, 0, fd), 0, "whole file accepted");
	is_int(add(FILE_SIZE - PAGE, PAGE, 0x900000, 0, fd), -EINVAL, "GPA overlap at the end refused");
	is_int(add(0x100, PAGE, 0x900000, 0, fd), -EINVAL, "GPA range inside another refused");
	is_int(add(FILE_SIZE, PAGE, 0x100000 + FILE_SIZE - 1, 0, fd), -EINVAL, "UVA overlap refused");
	is_int(add(FILE_SIZE, PAGE, 0x100000 + FILE_SIZE, 0, fd), 0,
	       "region adjacent in GPA and UVA accepted");
	is_int(add(8 * FILE_SIZE, PAGE, 0x200000000ull, 0, -1), -EBADF, "bad fd refused");
	if (pipe(pipefd) == 0) {
		is_int(add(8 * FILE_SIZE, PAGE, 0x200000000ull, 0, pipefd[0]), -EINVAL,
		       "non-regular file refused");
		close(pipefd[0]);
		close(pipefd[1]);
	}
	is_int(mem.nregions, 3, "failed adds left the table alone");
	guest_mem_clear(&mem);
	is_int(mem.nregions, 0, "clear empties the table");
	close(fd);
}

static void test_fd_not_owned(void)
{
	int fd = new_memfd(FILE_SIZE);
	uint8_t *p, *drv;

	guest_mem_init(&mem);
	drv = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ok(add(0x10000, 4 * PAGE, 0x40000, 8 * PAGE, fd) == 0, "add region at file offset 8 pages");
	ok(fcntl(fd, F_GETFD) >= 0, "fd still open after add: the caller owns it");
	close(fd);
	drv[8 * PAGE + 5] = 0xab;
	p = guest_mem_gpa_to_host(&mem, 0x10005, 1);
	ok(p && *p == 0xab, "mapping stays valid after the caller closes the fd");
	p = guest_mem_uva_to_host(&mem, 0x40005, 1);
	ok(p && *p == 0xab, "UVA translation reaches the same byte");
	munmap(drv, FILE_SIZE);
	guest_mem_clear(&mem);
}

static void test_unaligned_offset(void)
{
	int fd = new_memfd(FILE_SIZE);
	uint8_t *drv, *p;

	guest_mem_init(&mem);
	drv = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	is_int(add(0x1000, PAGE, 0x1000, 3 * PAGE + 0x123, fd), 0,
	       "mmap_offset not page aligned is accepted");
	drv[3 * PAGE + 0x123] = 0x5a;
	drv[4 * PAGE + 0x122] = 0xa5;
	p = guest_mem_gpa_to_host(&mem, 0x1000, PAGE);
	ok(p && p[0] == 0x5a && p[PAGE - 1] == 0xa5, "and maps the right bytes");
	is_int(add(0x9000, PAGE, 0x9000, FILE_SIZE - PAGE + 1, fd), -EINVAL,
	       "unaligned region one byte past EOF refused");
	munmap(drv, FILE_SIZE);
	guest_mem_clear(&mem);
	close(fd);
}

/* Regions out of order, with a hole: [0x10000,+2p) [0x12000,+2p) hole [0x20000,+4p) */
static void setup_three(int fd)
{
	guest_mem_init(&mem);
	add(0x20000, 4 * PAGE, 0xc0000, 8 * PAGE, fd);
	add(0x10000, 2 * PAGE, 0xa0000, 0, fd);
	add(0x12000, 2 * PAGE, 0xb0000, 2 * PAGE, fd);
}

static void test_translate(void)
{
	int fd = new_memfd(FILE_SIZE);
	uint8_t *base;

	setup_three(fd);
	is_int(mem.nregions, 3, "three regions");
	ok(mem.regions[0].gpa < mem.regions[1].gpa && mem.regions[1].gpa < mem.regions[2].gpa,
	   "table sorted by GPA");
	base = guest_mem_gpa_to_host(&mem, 0x10000, 0);
	ok(base != NULL, "start of first region");
	ok(guest_mem_gpa_to_host(&mem, 0x11fff, 1) == base + 0x1fff, "last byte of a region");
	ok(guest_mem_gpa_to_host(&mem, 0x10000, 2 * PAGE) == base, "whole region");
	ok(!guest_mem_gpa_to_host(&mem, 0x10000, 2 * PAGE + 1), "one byte too long");
	ok(!guest_mem_gpa_to_host(&mem, 0x11fff, 2), "crossing into the next region refused");
	ok(!guest_mem_gpa_to_host(&mem, 0xffff, 1), "below the first region");
	ok(!guest_mem_gpa_to_host(&mem, 0x14000, 1), "in the hole");
	ok(!guest_mem_gpa_to_host(&mem, 0x24000, 1), "past the last region");
	ok(!guest_mem_gpa_to_host(&mem, 0x20000, UINT64_MAX), "huge length");
	ok(!guest_mem_gpa_to_host(&mem, UINT64_MAX, 2), "wrapping range");
	ok(guest_mem_gpa_to_host(&mem, 0x23fff, 0) != NULL, "len 0 on a mapped byte");

	ok(guest_mem_uva_to_host(&mem, 0xb0000, 2 * PAGE) ==
	   guest_mem_gpa_to_host(&mem, 0x12000, 0), "UVA and GPA agree");
	ok(!guest_mem_uva_to_host(&mem, 0xb0000, 2 * PAGE + 1), "UVA range too long");
	ok(!guest_mem_uva_to_host(&mem, 0x9ffff, 1), "UVA below a region");
	ok(!guest_mem_uva_to_host(&mem, 0xb1000, UINT64_MAX), "UVA huge length");
	guest_mem_clear(&mem);
	close(fd);
}

static void test_iov(void)
{
	int fd = new_memfd(FILE_SIZE);
	struct iovec iov[4];
	uint64_t gpa;

	setup_three(fd);
	is_int(guest_mem_gpa_to_iov(&mem, 0x10010, 0x100, iov, 4), 1, "inside one region: one iovec");
	ok(iov[0].iov_len == 0x100 && iov[0].iov_base == guest_mem_gpa_to_host(&mem, 0x10010, 1),
	   "iovec points at the bytes");
	is_int(guest_mem_gpa_to_iov(&mem, 0x11f00, 0x200, iov, 4), 2,
	       "crossing two adjacent regions: two iovecs");
	ok(iov[0].iov_len == 0x100 && iov[1].iov_len == 0x100 &&
	   iov[1].iov_base == guest_mem_gpa_to_host(&mem, 0x12000, 1), "split at the boundary");
	is_int(guest_mem_gpa_to_iov(&mem, 0x11f00, 0x200, iov, 1), -E2BIG, "cap of 1 exceeded");
	is_int(guest_mem_gpa_to_iov(&mem, 0x10000, 4 * PAGE, iov, 4), 2, "two whole regions");
	is_int(guest_mem_gpa_to_iov(&mem, 0x13f00, 0x200, iov, 4), -EFAULT, "running into the hole");
	is_int(guest_mem_gpa_to_iov(&mem, 0x14000, 1, iov, 4), -EFAULT, "inside the hole");
	is_int(guest_mem_gpa_to_iov(&mem, UINT64_MAX - 1, 4, iov, 4), -EFAULT, "wrapping range");
	is_int(guest_mem_gpa_to_iov(&mem, 0x14000, 0, iov, 4), 0, "len 0: no iovec");
	is_int(guest_mem_gpa_check(&mem, 0x10000, 4 * PAGE), 0, "check: two adjacent regions");
	is_int(guest_mem_gpa_check(&mem, 0x10000, 4 * PAGE + 1), -EFAULT, "check: one byte into the hole");
	is_int(guest_mem_host_to_gpa(&mem, iov[1].iov_base, 2 * PAGE, &gpa), 0, "host to GPA");
	ok(gpa == 0x12000, "host to GPA value");
	is_int(guest_mem_host_to_gpa(&mem, &gpa, 1, &gpa), -EFAULT, "host address outside mappings");
	guest_mem_clear(&mem);
	close(fd);
}

static void test_remove(void)
{
	int fd = new_memfd(FILE_SIZE);
	struct guest_region_desc d = { .gpa = 0x12000, .size = 2 * PAGE, .uva = 0xb0000 };

	setup_three(fd);
	d.uva = 0xb1000;
	is_int(guest_mem_remove(&mem, &d), -ENOENT, "remove with wrong uva refused");
	d.uva = 0xb0000;
	d.mmap_offset = 12345;
	is_int(guest_mem_remove(&mem, &d), 0, "remove matching gpa/size/uva");
	is_int(mem.nregions, 2, "two left");
	ok(!guest_mem_gpa_to_host(&mem, 0x12000, 1), "removed range no longer translates");
	ok(guest_mem_gpa_to_host(&mem, 0x20000, 1) && guest_mem_gpa_to_host(&mem, 0x10000, 1),
	   "the others still do");
	is_int(guest_mem_remove(&mem, &d), -ENOENT, "second remove finds nothing");
	is_int(add(0x12000, PAGE, 0xb0000, 0, fd), 0, "slot reusable");
	ok(mem.regions[1].gpa == 0x12000, "re-added region sorted in the middle");
	guest_mem_clear(&mem);
	close(fd);
}

static void test_max_regions(void)
{
	int fd = new_memfd(PAGE);
	unsigned int i;
	int ret = 0;

	guest_mem_init(&mem);
	for (i = 0; i < GUEST_MEM_MAX_REGIONS && !ret; i++)
		ret = add((uint64_t)i * 2 * PAGE, PAGE, (uint64_t)i * 2 * PAGE, 0, fd);
	is_int(ret, 0, "%u regions accepted", GUEST_MEM_MAX_REGIONS);
	is_int(add(1ull << 40, PAGE, 1ull << 40, 0, fd), -ENOSPC, "one more refused");
	ok(guest_mem_gpa_to_host(&mem, 2 * PAGE * 300 + 7, 1) != NULL, "binary search finds region 300");
	ok(!guest_mem_gpa_to_host(&mem, 2 * PAGE * 300 + PAGE, 1), "and the gap after it");
	guest_mem_clear(&mem);
	close(fd);
}

static void test_log(void)
{
	int fd = new_memfd(3 * PAGE), rfd = new_memfd(FILE_SIZE);
	uint8_t *bits;

	setup_three(rfd);
	is_int(guest_mem_log_set(&mem, fd, 2 * PAGE + 1, PAGE), -EINVAL, "log past EOF refused");
	is_int(guest_mem_log_set(&mem, fd, 0, 0), -EINVAL, "empty log refused");
	is_int(guest_mem_log_set(&mem, fd, UINT64_MAX, 2), -EINVAL, "wrapping log refused");
	ok(mem.log.bits == NULL, "no log after refusals");
	guest_mem_log_write(&mem, 0, 100);	/* no log: must not crash */
	is_int(guest_mem_log_set(&mem, fd, 16, PAGE + 8), 0, "16-byte log at offset PAGE+8");
	bits = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	bits += PAGE + 8;
	guest_mem_log_write(&mem, 0x3000, 1);
	ok(bits[0] == 0x08, "page 3 marked");
	guest_mem_log_write(&mem, 0x4fff, 0x1002);
	ok(bits[0] == 0x78, "range over pages 4..6 marked");
	guest_mem_log_write(&mem, 127 * PAGE, 1);
	ok(bits[15] == 0x80, "last page the log covers marked");
	guest_mem_log_write(&mem, 128 * PAGE, 1);
	ok(bits[16] == 0, "page beyond the bitmap ignored");
	guest_mem_log_write(&mem, UINT64_MAX - 5, 100);	/* wraps: must not hang or crash */
	guest_mem_log_host_write(&mem, guest_mem_gpa_to_host(&mem, 0x20000, 1), 1);
	ok(bits[4] == 0x01, "host write logged at its GPA (page 32)");
	munmap(bits - PAGE - 8, 3 * PAGE);
	guest_mem_log_clear(&mem);
	ok(mem.log.bits == NULL, "log cleared");
	guest_mem_clear(&mem);
	close(fd);
	close(rfd);
}

int main(void)
{
	log_set_level(VLOG_ERROR);
	test_add_rules();
	test_fd_not_owned();
	test_unaligned_offset();
	test_translate();
	test_iov();
	test_remove();
	test_max_regions();
	test_log();
	return done_testing();
}
