// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util.h"

bool opt_json, opt_pretty, opt_stats;

bool parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

bool parse_size(const char *s, uint64_t *out)
{
	unsigned long long v, mult = 1;
	char *end;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return false;
	switch (toupper((unsigned char)*end)) {
	case 'K': mult = 1ULL << 10; end++; break;
	case 'M': mult = 1ULL << 20; end++; break;
	case 'G': mult = 1ULL << 30; end++; break;
	}
	if (mult > 1 && (!strcmp(end, "iB") || !strcmp(end, "B")))
		end += strlen(end);
	if (*end || (v && mult > ULLONG_MAX / v))
		return false;
	*out = v * mult;
	return true;
}

bool parse_duration_ms(const char *s, uint64_t *out)
{
	double v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return false;
	v = strtod(s, &end);
	if (!strcmp(end, "ms"))
		;
	else if (!*end || !strcmp(end, "s"))
		v *= 1000;
	else if (!strcmp(end, "m") || !strcmp(end, "min"))
		v *= 60000;
	else
		return false;
	if (v < 0 || v > 1e15)
		return false;
	*out = (uint64_t)(v + 0.5);
	return true;
}

bool parse_addr(const char *s, int *family, unsigned char *addr)
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*family = AF_INET6;
		return true;
	}
	return false;
}

int netns_open(const char *name)
{
	char path[PATH_MAX];

	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", name);
	return open(path, O_RDONLY | O_CLOEXEC);
}

void format_addr(int family, const unsigned char *addr, char *buf, size_t len)
{
	if (!inet_ntop(family, addr, buf, len))
		snprintf(buf, len, "?");
}

void format_size(uint64_t b, char *buf, size_t len)
{
	if (b >= (1ULL << 30) && !(b & ((1ULL << 30) - 1)))
		snprintf(buf, len, "%llu GiB", (unsigned long long)(b >> 30));
	else if (b >= (1ULL << 20) && !(b & ((1ULL << 20) - 1)))
		snprintf(buf, len, "%llu MiB", (unsigned long long)(b >> 20));
	else if (b >= (1ULL << 10) && !(b & ((1ULL << 10) - 1)))
		snprintf(buf, len, "%llu KiB", (unsigned long long)(b >> 10));
	else
		snprintf(buf, len, "%llu B", (unsigned long long)b);
}

/* The symbolic name of an errno ("ECONNRESET"); "" for 0. */
const char *errno_name(int err)
{
	const char *name;

	if (!err)
		return "";
	name = strerrorname_np(err < 0 ? -err : err);
	return name ? name : "E?";
}

bool in_initial_user_ns(void)
{
	unsigned long inside, outside, count;
	FILE *f = fopen("/proc/self/uid_map", "r");
	bool initial;

	if (!f)
		return true;	/* no user namespaces: there is only one */
	initial = fscanf(f, "%lu %lu %lu", &inside, &outside, &count) == 3 &&
		  inside == 0 && outside == 0 && count == 4294967295UL;
	fclose(f);
	return initial;
}
