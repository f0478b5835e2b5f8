/* SPDX-License-Identifier: GPL-2.0 */
/* calperfctl's version, the loaded module's, and where a result came from. */
#ifndef CALPERFCTL_VERSION_H
#define CALPERFCTL_VERSION_H

#include <stdbool.h>
#include <stddef.h>

/* The loaded module's version into @buf; false if it is not loaded. */
bool cp_module_version(char *buf, size_t len);
/* calperfctl -V: both versions, a warning when they differ. */
int cp_print_versions(void);
/* A result's provenance: versions, kernel, host, UTC time (JSON only). */
void cp_provenance_print(void);

#endif
