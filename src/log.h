/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * log.h - leveled logging to stderr.
 *
 * One line per event, in a stable format that grep and journald both read:
 *   vuring[PID]: LEVEL: message
 * systemd adds its own timestamps, so we add none.
 */
#ifndef VURING_LOG_H
#define VURING_LOG_H

#include <stdarg.h>

enum log_level {
	VLOG_ERROR = 0,
	VLOG_WARN,
	VLOG_INFO,
	VLOG_DEBUG,
};

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
int log_level_parse(const char *name);
const char *log_level_name(enum log_level level);

void vlog(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Cheap test so hot paths can skip building debug arguments. */
#define log_enabled(level) ((level) <= log_get_level())

#define log_error(...) vlog(VLOG_ERROR, __VA_ARGS__)
#define log_warn(...)  vlog(VLOG_WARN, __VA_ARGS__)
#define log_info(...)  vlog(VLOG_INFO, __VA_ARGS__)
#define log_debug(...)                                   \
	do {                                             \
		if (log_enabled(VLOG_DEBUG))             \
			vlog(VLOG_DEBUG, __VA_ARGS__);   \
	} while (0)

#endif
