// SPDX-License-Identifier: GPL-2.0
/* Log-linear latency histograms kept per CPU; see hist.h. */

#include <linux/bitops.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/math64.h>
#include <linux/percpu.h>
#include <linux/string.h>

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

static void calperf_hist_bounds(unsigned int idx, u64 *lower, u64 *width)
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

/* Count of bucket @idx over all CPUs. */
static u64 calperf_hist_bucket(const struct calperf_hist *h, unsigned int idx)
{
	u64 n = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		n += READ_ONCE(per_cpu_ptr(h->cpu, cpu)->buckets[idx]);
	return n;
}

/* What a percentile reports of the values in bucket @idx. */
static u64 calperf_hist_midpoint(unsigned int idx)
{
	u64 lower, width;

	calperf_hist_bounds(idx, &lower, &width);
	return lower + width / 2;
}

unsigned int calperf_hist_read(const struct calperf_hist *h,
			       struct calperf_hist_result *r,
			       struct calperf_hist_bucket *buckets)
{
	/* Per 100,000: the percentiles a read reports, in order. */
	static const unsigned int per_100k[] = { 50000, 90000, 99000, 99900 };
	u64 *pct[] = { &r->p50_ns, &r->p90_ns, &r->p99_ns, &r->p999_ns };
	u64 rank[ARRAY_SIZE(per_100k)];
	unsigned int idx, p = 0, nr = 0;
	u64 sum = 0, seen = 0, n;
	int cpu;

	memset(r, 0, sizeof(*r));
	r->min_ns = U64_MAX;
	for_each_possible_cpu(cpu) {
		const struct calperf_hist_cpu *c = per_cpu_ptr(h->cpu, cpu);

		r->count += READ_ONCE(c->count);
		sum += READ_ONCE(c->sum);
		r->min_ns = min(r->min_ns, READ_ONCE(c->min));
		r->max_ns = max(r->max_ns, READ_ONCE(c->max));
	}
	if (!r->count) {
		/* No value: every figure 0, and no bucket worth a look. */
		r->min_ns = 0;
		return 0;
	}
	r->mean_ns = div64_u64(sum, r->count);
	/* The rank of each value asked for, 1-based: ceil(count * p). */
	for (p = 0; p < ARRAY_SIZE(per_100k); p++)
		rank[p] = max_t(u64, div64_u64(r->count * per_100k[p] + 99999,
					       100000), 1);
	p = 0;
	for (idx = 0; idx < CALPERF_HIST_BUCKETS; idx++) {
		if (p == ARRAY_SIZE(per_100k) && !buckets)
			break;
		n = calperf_hist_bucket(h, idx);
		if (!n)
			continue;
		seen += n;
		for (; p < ARRAY_SIZE(per_100k) && seen >= rank[p]; p++)
			*pct[p] = calperf_hist_midpoint(idx);
		if (buckets) {
			calperf_hist_bounds(idx, &buckets[nr].lower_ns,
					    &buckets[nr].width_ns);
			buckets[nr++].count = n;
		}
	}
	/* Counted but not found in a bucket yet (a live read): the last. */
	for (; p < ARRAY_SIZE(per_100k); p++)
		*pct[p] = calperf_hist_midpoint(CALPERF_HIST_BUCKETS - 1);
	return nr;
}
