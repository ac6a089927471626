/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * container_of.h - from a pointer to a member back to its structure
 *
 * Callbacks get a pointer to an embedded struct uring_op or struct backend;
 * this recovers the object around it, type-checked, in one place.
 */
#ifndef VURING_CONTAINER_OF_H
#define VURING_CONTAINER_OF_H

#include <stddef.h>

/*
 * container_of() - the structure of type @type whose member @member is at @ptr.
 * The assignment to a pointer of the member's type makes the compiler check
 * that @ptr really points at such a member.
 */
#define container_of(ptr, type, member) __extension__ ({			\
	const __typeof__(((type *)0)->member) *container_of_mptr = (ptr);	\
	(type *)(void *)((char *)container_of_mptr - offsetof(type, member)); })

#endif
