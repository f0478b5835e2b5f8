// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>

#include "json.h"

#define JSON_MAX_DEPTH 16

static bool pretty;
static int depth;
static bool first[JSON_MAX_DEPTH];
static char closer[JSON_MAX_DEPTH];

void json_setup(bool p)
{
	pretty = p;
}

static void indent(void)
{
	if (pretty) {
		putchar('\n');
		for (int i = 0; i < depth; i++)
			fputs("  ", stdout);
	}
}

/* Separator, indentation and key of the next member. */
static void member(const char *key)
{
	if (depth > 0) {
		if (!first[depth])
			putchar(',');
		first[depth] = false;
		indent();
	}
	if (key)
		printf(pretty ? "\"%s\": " : "\"%s\":", key);
}

void json_open(const char *key, char bracket)
{
	member(key);
	putchar(bracket);
	if (depth + 1 < JSON_MAX_DEPTH)
		depth++;
	first[depth] = true;
	closer[depth] = bracket == '{' ? '}' : ']';
}

void json_close(void)
{
	bool empty = first[depth];
	char c = closer[depth];

	depth--;
	if (!empty)
		indent();
	putchar(c);
}

void json_end(void)
{
	putchar('\n');
	fflush(stdout);
}

void json_u64(const char *key, uint64_t v)
{
	member(key);
	printf("%llu", (unsigned long long)v);
}

void json_s64(const char *key, int64_t v)
{
	member(key);
	printf("%lld", (long long)v);
}

void json_double(const char *key, double v)
{
	member(key);
	printf("%.6g", v);
}

void json_bool(const char *key, bool v)
{
	member(key);
	fputs(v ? "true" : "false", stdout);
}

void json_str(const char *key, const char *v)
{
	member(key);
	putchar('"');
	for (; *v; v++) {
		unsigned char c = *v;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}
