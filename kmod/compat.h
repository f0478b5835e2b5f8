/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels calperf supports (Debian 12's 6.1
 * and 6.12 lines) lives here, so the rest of the module reads as one
 * kernel's code.
 */
#ifndef _CALPERF_COMPAT_H
#define _CALPERF_COMPAT_H

#include <linux/version.h>

/* Policy range pointers became const in 6.4. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 4, 0)
#define calperf_policy_range	struct netlink_range_validation
#else
#define calperf_policy_range	const struct netlink_range_validation
#endif

#endif /* _CALPERF_COMPAT_H */
