/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CALPERF_MODPROBE_H
#define CALPERF_MODPROBE_H

#include <stddef.h>

/* modprobe calperf: 0 if loaded, else -1 and modprobe's reason in @why. */
int cp_modprobe(char *why, size_t len);

#endif
