// SPDX-License-Identifier: GPL-2.0
/* Sets of tracepoint probes (see probes.h). */

#include <linux/string.h>

#include "probes.h"

struct calperf_probe_set {
	struct calperf_probe *probes;
	unsigned int n;
};

static void calperf_probe_find(struct tracepoint *tp, void *priv)
{
	struct calperf_probe_set *set = priv;

	for (unsigned int i = 0; i < set->n; i++)
		if (!strcmp(tp->name, set->probes[i].name))
			set->probes[i].tp = tp;
}

void calperf_probes_detach(struct calperf_probe *probes, unsigned int n)
{
	while (n--)
		tracepoint_probe_unregister(probes[n].tp, probes[n].fn, NULL);
	tracepoint_synchronize_unregister();
}

int calperf_probes_attach(struct calperf_probe *probes, unsigned int n)
{
	struct calperf_probe_set set = { probes, n };
	unsigned int i;
	int err = 0;

	for_each_kernel_tracepoint(calperf_probe_find, &set);
	for (i = 0; i < n; i++) {
		err = probes[i].tp ?
		      tracepoint_probe_register(probes[i].tp, probes[i].fn,
						NULL) : -ENOENT;
		if (err)
			break;
	}
	if (err)
		calperf_probes_detach(probes, i);
	return err;
}
