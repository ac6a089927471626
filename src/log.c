// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * log.c - leveled logging to stderr.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"

static enum log_level current_level = VLOG_INFO;

static const char *const level_names[] = {
	[VLOG_ERROR] = "error",
	[VLOG_WARN] = "warn",
	[VLOG_INFO] = "info",
	[VLOG_DEBUG] = "debug",
};

void log_set_level(enum log_level level)
{
	current_level = level;
}

enum log_level log_get_level(void)
{
	return current_level;
}

const char *log_level_name(enum log_level level)
{
	if ((unsigned)level > VLOG_DEBUG)
		return "?";
	return level_names[level];
}

/**
 * log_level_parse() - map a level name to its value
 * @name: "error", "warn", "info" or "debug" (case-insensitive)
 *
 * Return: the level, or -EINVAL for an unknown name.
 */
int log_level_parse(const char *name)
{
	for (unsigned i = 0; i <= VLOG_DEBUG; i++)
		if (!strcasecmp(name, level_names[i]))
			return (int)i;
	return -EINVAL;
}

/**
 * vlog() - write one log line if @level is enabled
 * @level: severity
 * @fmt: printf format; the message should not end in a newline
 *
 * The whole line is built first and written with one write(2) so lines from
 * concurrent processes sharing stderr never interleave. errno is preserved.
 */
void vlog(enum log_level level, const char *fmt, ...)
{
	char line[1024];
	int saved_errno = errno;
	va_list ap;
	int n;

	if (level > current_level)
		return;

	n = snprintf(line, sizeof(line), "vuring[%d]: %s: ", (int)getpid(),
		     log_level_name(level));
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* Nowhere left to report it. */
	}
	errno = saved_errno;
}
