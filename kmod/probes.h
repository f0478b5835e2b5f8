/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sets of tracepoint probes, attached and detached together: the kernel
 * exports no tracepoint symbols to modules, so each is found by name.
 *
 * A probe is attached as void *, so nothing checks its prototype: each
 * file passes its probes to check_trace_callback_type_<tracepoint>()
 * (empty static inlines of the tracepoint's <trace/events/...> header,
 * included without CREATE_TRACE_POINTS), which fail the build if a
 * prototype no longer matches the tracepoint's, as register_trace_*()
 * would.
 */
#ifndef _CALPERF_PROBES_H
#define _CALPERF_PROBES_H

#include <linux/tracepoint.h>

struct calperf_probe {
	const char *name;		/* the tracepoint */
	void *fn;			/* its probe */
	struct tracepoint *tp;		/* found when attaching */
};

/*
 * All of @probes, in their order, or none (then -ENOENT or the kernel's
 * error). Detaching goes in the reverse order.
 */
int calperf_probes_attach(struct calperf_probe *probes, unsigned int n);
/* Returns once no probe of the set runs, or will run. */
void calperf_probes_detach(struct calperf_probe *probes, unsigned int n);

#endif /* _CALPERF_PROBES_H */
