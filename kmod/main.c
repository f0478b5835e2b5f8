// SPDX-License-Identifier: GPL-2.0
/*
 * calperf: measure the Linux TCP data path from kernel threads.
 *
 * Module load and unload. Unload is safe at any moment: sessions are
 * ended and freed (kthreads stopped, sockets released) before the
 * netlink family and the pernet hooks go away.
 */

#include <linux/module.h>
#include <net/genetlink.h>

#include "calperf.h"

static int __init calperf_init(void)
{
	int err;

	err = calperf_pernet_init();
	if (err)
		return err;
	err = calperf_nl_init();
	if (err)
		goto err_pernet;
	return 0;

err_pernet:
	calperf_pernet_exit();
	return err;
}

static void __exit calperf_exit(void)
{
	calperf_sessions_unload();
	calperf_nl_exit();
	calperf_pernet_exit();
	calperf_cpu_exit();
}

module_init(calperf_init);
module_exit(calperf_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("In-kernel TCP data path measurement");
MODULE_ALIAS_GENL_FAMILY(CALPERF_FAMILY_NAME);
MODULE_VERSION(CALPERF_VERSION);
