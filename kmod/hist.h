/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Log-linear latency histogram, in nanoseconds.
 *
 * Values below 256 ns have a bucket each. Above, each power of two is
 * split into 128 buckets, so a bucket is at most 1/128 (0.78 %) of its
 * lower bound wide, and its midpoint is within 0.39 % of any value in
 * it. Buckets are kept per CPU and merged when read: adding a value
 * takes no lock and touches only the local CPU's counters.
 */
#ifndef _CALPERF_HIST_H
#define _CALPERF_HIST_H

#include <linux/types.h>

#define CALPERF_HIST_SUB_BITS	7
#define CALPERF_HIST_LINEAR	(2 << CALPERF_HIST_SUB_BITS)	/* 256 */
/* Up to 2^40 ns (18 minutes); longer values land in the last bucket. */
#define CALPERF_HIST_MAX_SHIFT	33
#define CALPERF_HIST_BUCKETS	(CALPERF_HIST_LINEAR + \
				 CALPERF_HIST_MAX_SHIFT * (1 << CALPERF_HIST_SUB_BITS))

struct calperf_hist_cpu {
	u64 count;
	u64 sum;
	u64 min;
	u64 max;
	u32 buckets[CALPERF_HIST_BUCKETS];
};

struct calperf_hist {
	struct calperf_hist_cpu __percpu *cpu;
};

/* Merged view, computed when read. */
struct calperf_hist_summary {
	u64 count;
	u64 sum;
	u64 min;
	u64 max;
};

int calperf_hist_init(struct calperf_hist *h);
void calperf_hist_free(struct calperf_hist *h);
void calperf_hist_add(struct calperf_hist *h, u64 ns);
void calperf_hist_summary(const struct calperf_hist *h,
			  struct calperf_hist_summary *sum);
/* Count of bucket @idx over all CPUs. */
u64 calperf_hist_bucket(const struct calperf_hist *h, unsigned int idx);
/* Bounds of bucket @idx: [*lower, *lower + *width). */
void calperf_hist_bounds(unsigned int idx, u64 *lower, u64 *width);
/* The value at @permille of the distribution (bucket midpoint). */
u64 calperf_hist_percentile(const struct calperf_hist *h, u64 count,
			    unsigned int per_100k);

#endif /* _CALPERF_HIST_H */
