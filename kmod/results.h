/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a session reports, computed in one place, once per read: plain
 * figures the netlink layer only has to map to attributes.
 *
 * A read allocates its results first (calperf_results_alloc(), sized by
 * the session's kind, ends and flows, which are fixed once the session
 * is published), outside any lock, then fills them where the session
 * may be read: under s->lock, or by a kthread of the session before it
 * finishes, or by the interval report a reap cancels first. A reply is
 * mapped from them in the same place, since a start also sets the
 * endpoints' addresses. Nothing on the data path is touched beyond the
 * counters the kthreads publish.
 */
#ifndef _CALPERF_RESULTS_H
#define _CALPERF_RESULTS_H

#include <linux/types.h>

#include "calperf.h"

/* What a read includes beyond the session's totals. */
#define CALPERF_RESULTS_BUCKETS	BIT(0)	/* whole histograms */
#define CALPERF_RESULTS_FLOWS	BIT(1)	/* each flow's results */
#define CALPERF_RESULTS_HOPS	BIT(2)	/* the hop report: sorts samples */
#define CALPERF_RESULTS_CPU	BIT(3)	/* host-wide per-CPU figures */

/* The results of an endpoint (the sum of its flows) or of one flow. */
struct calperf_stats {
	bool finished;			/* final: the kthread(s) finished */
	u64 bytes;
	u64 calls;
	u64 elapsed_ns;			/* first start to last end, or now */
	u64 throughput_bps;
	u64 verified;
	u64 cpu_ns;			/* endpoint only, once finished */
	int error;			/* once finished */
	struct calperf_tcp_result tcp;	/* once finished */
};

struct calperf_flow_results {
	u32 thread;			/* the worker's index */
	int cpu;			/* the worker's CPU, -1: not pinned */
	u16 local_port;
	u16 peer_port;
	struct calperf_stats stats;
};

struct calperf_endpoint_results {
	struct calperf_stats stats;
	bool verify;			/* checks the payload: has verified */
	bool has_rtt;			/* an rr client's round trips */
	struct calperf_hist_result rtt;
	struct calperf_hist_bucket *buckets;	/* CALPERF_RESULTS_BUCKETS */
	unsigned int nr_buckets;
	struct calperf_flow_results *flows;	/* CALPERF_RESULTS_FLOWS */
	u32 nr_flows;
};

/* One CPU's irq and busy time over the session's window (ns). */
struct calperf_cpu_results {
	u32 cpu;
	u64 net_rx_ns;
	u64 net_tx_ns;
	u64 softirq_other_ns;
	u64 softirq_self_ns;
	u64 hardirq_ns;
	u64 hardirq_self_ns;
	u64 busy_ns;
};

struct calperf_results {
	unsigned int detail;		/* CALPERF_RESULTS_* asked for */
	u8 state;			/* enum calperf_state, as read */
	int error;			/* once done: why it ended early */
	struct calperf_endpoint_results sender;
	struct calperf_endpoint_results receiver;

	/* Once done, with CALPERF_RESULTS_CPU. */
	bool has_cpu;
	u64 cpu_elapsed_ns;
	struct calperf_cpu_results *cpus;	/* every reported CPU */
	unsigned int nr_cpus;

	/* With CALPERF_RESULTS_HOPS, while the session has hop tracing. */
	struct calperf_hops_result *hops;
	bool has_hops;
};

struct calperf_results *calperf_results_alloc(const struct calperf_session *s,
					      unsigned int detail);
int calperf_results_read(struct calperf_session *s, struct calperf_results *r);
void calperf_results_free(struct calperf_results *r);

#endif /* _CALPERF_RESULTS_H */
