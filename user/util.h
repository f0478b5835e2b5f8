/* SPDX-License-Identifier: GPL-2.0 */
/* calperfctl: parsing and formatting of sizes, times and addresses. */
#ifndef CALPERFCTL_UTIL_H
#define CALPERFCTL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "65536", "64K", "1M", "2G" (powers of 1024); false if malformed. */
bool parse_size(const char *s, uint64_t *out);
/* "10" or "10s", "500ms", "1.5": milliseconds. */
bool parse_duration_ms(const char *s, uint64_t *out);
bool parse_uint(const char *s, uint64_t max, uint64_t *out);
/* IPv4 or IPv6 literal into @addr (16 bytes); sets @family. */
bool parse_addr(const char *s, int *family, unsigned char *addr);
/* Whether we run in the initial user namespace (its uid_map is the identity). */
bool in_initial_user_ns(void);
/* Open a network namespace: a name under /run/netns or a path. */
int netns_open(const char *name);

void format_addr(int family, const unsigned char *addr, char *buf, size_t len);
/* 65536 -> "64 KiB", 1000 -> "1000 B". */
void format_size(uint64_t bytes, char *buf, size_t len);
const char *errno_name(int err);

extern bool opt_json, opt_pretty, opt_stats;

#endif
