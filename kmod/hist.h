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

/* What a read reports: the merged counters and percentiles (ns). */
struct calperf_hist_result {
	u64 count;
	u64 min_ns;
	u64 max_ns;
	u64 mean_ns;
	u64 p50_ns;
	u64 p90_ns;
	u64 p99_ns;
	u64 p999_ns;
};

/* A non-empty bucket: @count values in [@lower_ns, @lower_ns + @width_ns). */
struct calperf_hist_bucket {
	u64 lower_ns;
	u64 width_ns;
	u64 count;
};

int calperf_hist_init(struct calperf_hist *h);
void calperf_hist_free(struct calperf_hist *h);
void calperf_hist_add(struct calperf_hist *h, u64 ns);
/*
 * Merge @h's CPUs into @r in one walk of the buckets and, unless
 * @buckets is NULL, copy the non-empty ones there (room for
 * CALPERF_HIST_BUCKETS). Returns how many were copied.
 */
unsigned int calperf_hist_read(const struct calperf_hist *h,
			       struct calperf_hist_result *r,
			       struct calperf_hist_bucket *buckets);

#endif /* _CALPERF_HIST_H */
