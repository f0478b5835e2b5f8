// SPDX-License-Identifier: GPL-2.0
/* calperfctl's one print path: text or JSON (-j, -p) from the same calls. */
#include <stdarg.h>
#include <stdio.h>

#include "print.h"
#include "util.h"

#define JSON_MAX_DEPTH 16

static bool json, pretty;
static enum print_to allowed = PRINT_ANY;
static int depth;
static bool first[JSON_MAX_DEPTH];
static char closer[JSON_MAX_DEPTH];

void print_setup(bool j, bool p)
{
	json = j;
	pretty = p;
	allowed = PRINT_ANY;
	depth = 0;
}

bool print_json(void)
{
	return json;
}

enum print_to print_only(enum print_to to)
{
	enum print_to old = allowed;

	allowed &= to;
	return old;
}

void print_restore(enum print_to saved)
{
	allowed = saved;
}

static bool to_json(enum print_to to)
{
	return json && (to & allowed & PRINT_JSON);
}

static bool to_text(enum print_to to, const char *fmt)
{
	return !json && fmt && (to & allowed & PRINT_TEXT);
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

static void open_json(enum print_to to, const char *key, char bracket)
{
	if (!to_json(to))
		return;
	member(key);
	putchar(bracket);
	if (depth + 1 < JSON_MAX_DEPTH)
		depth++;
	first[depth] = true;
	closer[depth] = bracket == '{' ? '}' : ']';
}

static void close_json(enum print_to to)
{
	bool empty;
	char c;

	if (!to_json(to))
		return;
	empty = first[depth];
	c = closer[depth];
	depth--;
	if (!empty)
		indent();
	putchar(c);
}

void print_open_object(enum print_to to, const char *key)
{
	open_json(to, key, '{');
}

void print_close_object(enum print_to to)
{
	close_json(to);
}

void print_open_array(enum print_to to, const char *key)
{
	open_json(to, key, '[');
}

void print_close_array(enum print_to to)
{
	close_json(to);
}

void print_end(void)
{
	if (json && depth == 0)
		putchar('\n');
	fflush(stdout);
}

void print_text(const char *fmt, ...)
{
	va_list ap;

	if (!to_text(PRINT_TEXT, fmt))
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

/* The text formats come from calperfctl's own printers, never input. */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

void print_uint(enum print_to to, const char *key, const char *fmt,
		unsigned long long v)
{
	if (to_json(to)) {
		member(key);
		printf("%llu", v);
	}
	if (to_text(to, fmt))
		printf(fmt, v);
}

void print_int(enum print_to to, const char *key, const char *fmt,
	       long long v)
{
	if (to_json(to)) {
		member(key);
		printf("%lld", v);
	}
	if (to_text(to, fmt))
		printf(fmt, v);
}

void print_float(enum print_to to, const char *key, const char *fmt,
		 double v)
{
	if (to_json(to)) {
		member(key);
		printf("%.6g", v);
	}
	if (to_text(to, fmt))
		printf(fmt, v);
}

static void json_string(const char *v)
{
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

void print_string(enum print_to to, const char *key, const char *fmt,
		  const char *v)
{
	if (to_json(to)) {
		member(key);
		json_string(v);
	}
	if (to_text(to, fmt))
		printf(fmt, v);
}

void print_flag(enum print_to to, const char *key, const char *fmt, bool v)
{
	if (to_json(to)) {
		member(key);
		fputs(v ? "true" : "false", stdout);
	}
	if (v && to_text(to, fmt))
		fputs(fmt, stdout);
}

void print_scaled(enum print_to to, const char *key, const char *fmt,
		  uint64_t v, double unit)
{
	if (to_json(to)) {
		member(key);
		printf("%llu", (unsigned long long)v);
	}
	if (to_text(to, fmt))
		printf(fmt, unit ? v / unit : 0);
}

/* 1234 ns -> "1.2 us" */
static void format_ns(uint64_t ns, char *buf, size_t len)
{
	if (ns >= 10000000)
		snprintf(buf, len, "%.2f ms", ns / 1e6);
	else if (ns >= 1000)
		snprintf(buf, len, "%.1f us", ns / 1e3);
	else
		snprintf(buf, len, "%llu ns", (unsigned long long)ns);
}

/* An integer in JSON, shown by @format (into a %s) in the text. */
static void print_formatted(enum print_to to, const char *key, const char *fmt,
			    uint64_t v,
			    void (*format)(uint64_t, char *, size_t))
{
	char buf[32];

	if (to_json(to)) {
		member(key);
		printf("%llu", (unsigned long long)v);
	}
	if (to_text(to, fmt)) {
		format(v, buf, sizeof(buf));
		printf(fmt, buf);
	}
}

void print_size(enum print_to to, const char *key, const char *fmt,
		uint64_t bytes)
{
	print_formatted(to, key, fmt, bytes, format_size);
}

void print_duration(enum print_to to, const char *key, const char *fmt,
		    uint64_t ns)
{
	print_formatted(to, key, fmt, ns, format_ns);
}
