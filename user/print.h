/* SPDX-License-Identifier: GPL-2.0 */
/*
 * calperfctl's one print path. Each field is printed by one call that
 * serves both outputs: a text format (NULL: not in the text) and a JSON
 * key (NULL inside arrays), as iproute2's print_uint(PRINT_ANY, ...).
 * @to says in which output a call prints; only the one chosen by -j
 * (print_setup) is written. JSON keys carry their unit (_bytes, _ns,
 * ...) and are listed in Documentation/calperf.rst.
 */
#ifndef CALPERFCTL_PRINT_H
#define CALPERFCTL_PRINT_H

#include <stdbool.h>
#include <stdint.h>

enum print_to {
	PRINT_NONE = 0,
	PRINT_TEXT = 1,
	PRINT_JSON = 2,
	PRINT_ANY = PRINT_TEXT | PRINT_JSON,
};

/* PRINT_TEXT if @text, | PRINT_JSON if @json. */
static inline enum print_to print_when(bool text, bool json)
{
	return (text ? PRINT_TEXT : 0) | (json ? PRINT_JSON : 0);
}

void print_setup(bool json, bool pretty);
bool print_json(void);
/*
 * Print only in @to (as well as where printing is allowed already) until
 * print_restore() with what this returns: e.g. PRINT_JSON for an object
 * the text shows elsewhere, or not at all.
 */
enum print_to print_only(enum print_to to);
void print_restore(enum print_to saved);

/* JSON objects and arrays; nothing in the text. */
void print_open_object(enum print_to to, const char *key);
void print_close_object(enum print_to to);
void print_open_array(enum print_to to, const char *key);
void print_close_array(enum print_to to);
/* End a top-level value: JSON's newline; flush either way. */
void print_end(void);

/* Text only, printf-like. */
void print_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void print_uint(enum print_to to, const char *key, const char *fmt,
		unsigned long long v);
void print_int(enum print_to to, const char *key, const char *fmt,
	       long long v);
void print_float(enum print_to to, const char *key, const char *fmt,
		 double v);
void print_string(enum print_to to, const char *key, const char *fmt,
		  const char *v);
/* JSON true/false; the text format (no conversion) only when @v. */
void print_flag(enum print_to to, const char *key, const char *fmt, bool v);
/*
 * An integer in JSON, @v / @unit as a double in the text (0 when @unit
 * is): nanoseconds shown as seconds, b/s as Gb/s, ns of a window as cores.
 */
void print_scaled(enum print_to to, const char *key, const char *fmt,
		  uint64_t v, double unit);
/* Bytes: an integer in JSON, "64 KiB" (a %s) in the text. */
void print_size(enum print_to to, const char *key, const char *fmt,
		uint64_t bytes);
/* Nanoseconds: an integer in JSON, "1.2 us" (a %s) in the text. */
void print_duration(enum print_to to, const char *key, const char *fmt,
		    uint64_t ns);

#endif
