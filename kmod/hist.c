// SPDX-License-Identifier: GPL-2.0
/* Log-linear latency histograms kept per CPU; see hist.h. */

#include <linux/bitops.h>
#include <linux/limits.h>
#include <linux/math64.h>
#include <linux/percpu.h>

#include "hist.h"

int calperf_hist_init(struct calperf_hist *h)
{
	int cpu;

	/* For the caller that starts the session: charged to it. */
	h->cpu = alloc_percpu_gfp(struct calperf_hist_cpu, GFP_KERNEL_ACCOUNT);
	if (!h->cpu)
		return -ENOMEM;
	for_each_possible_cpu(cpu)
		per_cpu_ptr(h->cpu, cpu)->min = U64_MAX;
	return 0;
}

void calperf_hist_free(struct calperf_hist *h)
{
	free_percpu(h->cpu);
	h->cpu = NULL;
}

static unsigned int calperf_hist_index(u64 ns)
{
	unsigned int shift, idx;

	if (ns < CALPERF_HIST_LINEAR)
		return ns;
	/* ns >> shift keeps the leading 1 and the next SUB_BITS bits. */
	shift = fls64(ns) - 1 - CALPERF_HIST_SUB_BITS;
	idx = CALPERF_HIST_LINEAR + (shift - 1) * (1 << CALPERF_HIST_SUB_BITS) +
	      (unsigned int)(ns >> shift) - (1 << CALPERF_HIST_SUB_BITS);
	return min_t(unsigned int, idx, CALPERF_HIST_BUCKETS - 1);
}

void calperf_hist_bounds(unsigned int idx, u64 *lower, u64 *width)
{
	unsigned int shift, mant;

	if (idx < CALPERF_HIST_LINEAR) {
		*lower = idx;
		*width = 1;
		return;
	}
	idx -= CALPERF_HIST_LINEAR;
	shift = idx / (1 << CALPERF_HIST_SUB_BITS) + 1;
	mant = idx % (1 << CALPERF_HIST_SUB_BITS) + (1 << CALPERF_HIST_SUB_BITS);
	*lower = (u64)mant << shift;
	*width = 1ULL << shift;
}

void calperf_hist_add(struct calperf_hist *h, u64 ns)
{
	struct calperf_hist_cpu *c = get_cpu_ptr(h->cpu);

	c->buckets[calperf_hist_index(ns)]++;
	c->count++;
	c->sum += ns;
	if (ns < c->min)
		c->min = ns;
	if (ns > c->max)
		c->max = ns;
	put_cpu_ptr(h->cpu);
}

void calperf_hist_summary(const struct calperf_hist *h,
			  struct calperf_hist_summary *sum)
{
	int cpu;

	sum->count = 0;
	sum->sum = 0;
	sum->min = U64_MAX;
	sum->max = 0;
	for_each_possible_cpu(cpu) {
		const struct calperf_hist_cpu *c = per_cpu_ptr(h->cpu, cpu);

		sum->count += READ_ONCE(c->count);
		sum->sum += READ_ONCE(c->sum);
		sum->min = min(sum->min, READ_ONCE(c->min));
		sum->max = max(sum->max, READ_ONCE(c->max));
	}
	if (!sum->count)
		sum->min = 0;
}

u64 calperf_hist_bucket(const struct calperf_hist *h, unsigned int idx)
{
	u64 n = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		n += READ_ONCE(per_cpu_ptr(h->cpu, cpu)->buckets[idx]);
	return n;
}

u64 calperf_hist_percentile(const struct calperf_hist *h, u64 count,
			    unsigned int per_100k)
{
	/* The rank of the value asked for, 1-based: ceil(count * p). */
	u64 rank = div64_u64(count * per_100k + 99999, 100000);
	u64 seen = 0, lower, width;
	unsigned int idx;

	if (!count)
		return 0;
	rank = max_t(u64, rank, 1);
	for (idx = 0; idx < CALPERF_HIST_BUCKETS; idx++) {
		seen += calperf_hist_bucket(h, idx);
		if (seen >= rank)
			break;
	}
	calperf_hist_bounds(min_t(unsigned int, idx, CALPERF_HIST_BUCKETS - 1),
			    &lower, &width);
	return lower + width / 2;
}
