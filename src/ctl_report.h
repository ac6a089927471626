/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctl_report.h - the control socket's answers to "stats" and "status",
 * written as JSON objects (the caller opened nothing; each call writes one
 * complete object).
 */
#ifndef VURING_CTL_REPORT_H
#define VURING_CTL_REPORT_H

struct ctl_sources;
struct json;

void ctl_report_stats(struct json *j, const struct ctl_sources *src);
void ctl_report_status(struct json *j, const struct ctl_sources *src);

#endif
