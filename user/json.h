/* SPDX-License-Identifier: GPL-2.0 */
/* A small streaming JSON writer for calperfctl's -j / -p output. */
#ifndef CALPERFCTL_JSON_H
#define CALPERFCTL_JSON_H

#include <stdbool.h>
#include <stdint.h>

void json_setup(bool pretty);
/* Open an object ('{') or array ('['); @key is NULL inside arrays. */
void json_open(const char *key, char bracket);
void json_close(void);
void json_u64(const char *key, uint64_t v);
void json_s64(const char *key, int64_t v);
void json_double(const char *key, double v);
void json_str(const char *key, const char *v);
void json_bool(const char *key, bool v);
/* End a top-level value with a newline. */
void json_end(void);

#endif
