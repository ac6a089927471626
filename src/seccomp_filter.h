/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * seccomp_filter.h - the list of syscalls vuring makes once it serves, as a
 * seccomp filter (libseccomp).
 */
#ifndef VURING_SECCOMP_FILTER_H
#define VURING_SECCOMP_FILTER_H

#include "conf.h"

/* Built with AddressSanitizer (configure --enable-sanitizers, or by hand)? */
#if defined(HAVE_SANITIZERS) || defined(__SANITIZE_ADDRESS__)
#define VURING_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VURING_SANITIZED 1
#endif
#endif

int seccomp_filter_install(enum conf_seccomp mode);
unsigned int seccomp_filter_rules(void);

#endif
