// SPDX-License-Identifier: GPL-2.0
/*
 * A session's results, computed once per read (see results.h): endpoint
 * totals summed over flows, per-flow figures, the rr client's latency
 * percentiles, per-CPU irq time and the hop report.
 */

#include <linux/cpumask.h>
#include <linux/math64.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "calperf.h"
#include "results.h"

/* Elapsed time and throughput from @start_ns (0: not begun) to @end_ns. */
static void calperf_results_rate(struct calperf_stats *st, u64 start_ns,
				 u64 end_ns, u64 now)
{
	u64 end = st->finished ? end_ns : now;

	st->elapsed_ns = start_ns ? end - start_ns : 0;
	st->throughput_bps = st->elapsed_ns ?
			     mul_u64_u64_div_u64(st->bytes * 8, NSEC_PER_SEC,
						 st->elapsed_ns) : 0;
}

/* @f's counters: live, or final once its worker finished. */
static void calperf_results_flow(const struct calperf_flow *f,
				 struct calperf_stats *st, u64 *start_ns,
				 u64 *end_ns)
{
	memset(st, 0, sizeof(*st));
	/* Pairs with calperf_worker_finish(): final values are set. */
	st->finished = smp_load_acquire(&f->worker->finished);
	st->bytes = READ_ONCE(f->bytes);
	st->calls = READ_ONCE(f->calls);
	st->verified = READ_ONCE(f->verified);
	*start_ns = READ_ONCE(f->start_ns);
	*end_ns = READ_ONCE(f->end_ns);
	if (st->finished) {
		st->error = f->error;
		st->tcp = f->tcp;
	}
}

/*
 * @ep's results: the sum of its flows, from the first flow's start to
 * the last one's end; TCP_INFO counters and cwnd summed, RTTs averaged
 * over flows. Each flow's own, if asked for.
 */
static void calperf_results_endpoint(const struct calperf_session *s,
				     const struct calperf_endpoint *ep,
				     struct calperf_endpoint_results *r,
				     u64 now)
{
	struct calperf_stats *st = &r->stats, f;
	u64 start = 0, end = 0, f_start, f_end;

	memset(st, 0, sizeof(*st));
	r->nr_flows = 0;
	/* Pairs with calperf_endpoint_finish(): final values are set. */
	st->finished = smp_load_acquire(&ep->finished);
	if (!ep->flows)
		return;
	for (u32 i = 0; i < s->nr_flows; i++) {
		const struct calperf_flow *flow = &ep->flows[i];

		calperf_results_flow(flow, &f, &f_start, &f_end);
		st->bytes += f.bytes;
		st->calls += f.calls;
		st->verified += f.verified;
		if (f_start && (!start || f_start < start))
			start = f_start;
		end = max(end, f_end);
		st->tcp.rtt_us += f.tcp.rtt_us;
		st->tcp.rttvar_us += f.tcp.rttvar_us;
		st->tcp.cwnd += f.tcp.cwnd;
		st->tcp.retrans += f.tcp.retrans;
		st->tcp.reord_seen += f.tcp.reord_seen;
		st->tcp.dsack_dups += f.tcp.dsack_dups;
		if (!r->flows)
			continue;
		calperf_results_rate(&f, f_start, f_end, now);
		r->flows[i].thread = flow->worker->index;
		r->flows[i].cpu = flow->worker->cpu;
		r->flows[i].local_port = flow->local_port;
		r->flows[i].peer_port = flow->peer_port;
		r->flows[i].stats = f;
		r->nr_flows = i + 1;
	}
	st->tcp.rtt_us /= s->nr_flows;
	st->tcp.rttvar_us /= s->nr_flows;
	if (st->finished) {
		st->tcp.mss = ep->flows[0].tcp.mss;
		for (u32 i = 0; i < s->nr_threads; i++)
			st->cpu_ns += ep->workers[i].cpu_ns;
		st->error = calperf_endpoint_error(s, ep);
	}
	calperf_results_rate(st, start, end, now);
}

/* Why the session ended early, else the first error of an end. */
static int calperf_results_error(const struct calperf_session *s)
{
	const struct calperf_endpoint *tx = &s->sender, *rx = &s->receiver;

	return s->abort_error ?:
	       (tx->present ? calperf_endpoint_error(s, tx) : 0) ?:
	       (rx->present ? calperf_endpoint_error(s, rx) : 0);
}

/* Every CPU the ended accounting reports, in @r->cpus. */
static void calperf_results_cpu(const struct calperf_cpu_acct *a,
				struct calperf_results *r)
{
	int cpu;

	r->cpu_elapsed_ns = a->end_ns - a->start_ns;
	r->nr_cpus = 0;
	for_each_possible_cpu(cpu) {
		const struct calperf_cpu_sample *d = &a->delta[cpu];
		struct calperf_cpu_results *c;

		if (!calperf_cpu_reported(a, cpu))
			continue;
		c = &r->cpus[r->nr_cpus++];
		c->cpu = cpu;
		c->net_rx_ns = d->softirq_ns[NET_RX_SOFTIRQ];
		c->net_tx_ns = d->softirq_ns[NET_TX_SOFTIRQ];
		c->softirq_other_ns = 0;
		for (int v = 0; v < NR_SOFTIRQS; v++)
			if (v != NET_RX_SOFTIRQ && v != NET_TX_SOFTIRQ)
				c->softirq_other_ns += d->softirq_ns[v];
		c->softirq_self_ns = d->softirq_self_ns;
		c->hardirq_ns = d->hardirq_ns;
		c->hardirq_self_ns = d->hardirq_self_ns;
		c->busy_ns = d->busy_ns;
	}
}

void calperf_results_free(struct calperf_results *r)
{
	if (!r)
		return;
	kvfree(r->sender.buckets);
	kvfree(r->sender.flows);
	kvfree(r->receiver.flows);
	kvfree(r->cpus);
	kfree(r->hops);
	kfree(r);
}

/*
 * Room for what a read of @s with @detail may find: sized by @s's
 * configuration only, so it can be made before the read, outside any
 * lock. Every possible CPU has room, online now or not.
 */
struct calperf_results *calperf_results_alloc(const struct calperf_session *s,
					      unsigned int detail)
{
	struct calperf_results *r;

	r = kzalloc(sizeof(*r), CALPERF_GFP);
	if (!r)
		return NULL;
	r->detail = detail;
	if ((detail & CALPERF_RESULTS_FLOWS) && s->sender.present) {
		r->sender.flows = kvcalloc(s->nr_flows, sizeof(*r->sender.flows),
					   CALPERF_GFP);
		if (!r->sender.flows)
			goto fail;
	}
	if ((detail & CALPERF_RESULTS_FLOWS) && s->receiver.present) {
		r->receiver.flows = kvcalloc(s->nr_flows,
					     sizeof(*r->receiver.flows),
					     CALPERF_GFP);
		if (!r->receiver.flows)
			goto fail;
	}
	/* Only an rr client keeps a histogram. */
	if ((detail & CALPERF_RESULTS_BUCKETS) &&
	    s->kind == CALPERF_KIND_RR && s->sender.present) {
		r->sender.buckets = kvcalloc(CALPERF_HIST_BUCKETS,
					     sizeof(*r->sender.buckets),
					     CALPERF_GFP);
		if (!r->sender.buckets)
			goto fail;
	}
	if (detail & CALPERF_RESULTS_CPU) {
		r->cpus = kvcalloc(num_possible_cpus(), sizeof(*r->cpus),
				   CALPERF_GFP);
		if (!r->cpus)
			goto fail;
	}
	if ((detail & CALPERF_RESULTS_HOPS) && s->hop_every) {
		r->hops = kzalloc(sizeof(*r->hops), CALPERF_GFP);
		if (!r->hops)
			goto fail;
	}
	return r;

fail:
	calperf_results_free(r);
	return NULL;
}

/*
 * Read @s into @r, made for it by calperf_results_alloc(). The hop
 * report sorts a copy of the samples: it may find no memory.
 */
int calperf_results_read(struct calperf_session *s, struct calperf_results *r)
{
	struct calperf_endpoint_results *tx = &r->sender;
	u64 now = ktime_get_ns();

	/* Pairs with calperf_endpoint_finish(): a done session's results. */
	r->state = smp_load_acquire(&s->state);
	r->error = r->state == CALPERF_STATE_DONE ? calperf_results_error(s) : 0;
	r->has_cpu = r->cpus && r->state == CALPERF_STATE_DONE && s->cpu.delta;
	if (r->has_cpu)
		calperf_results_cpu(&s->cpu, r);
	r->has_hops = r->hops && s->hops;
	if (r->has_hops) {
		int err = calperf_hops_read(s->hops, r->hops);

		if (err)
			return err;
	}
	if (s->sender.present) {
		calperf_results_endpoint(s, &s->sender, tx, now);
		tx->has_rtt = !!s->sender.rtt.cpu;
		if (tx->has_rtt)
			tx->nr_buckets = calperf_hist_read(&s->sender.rtt,
							   &tx->rtt,
							   tx->buckets);
	}
	if (s->receiver.present) {
		calperf_results_endpoint(s, &s->receiver, &r->receiver, now);
		r->receiver.verify = s->verify;
	}
	return 0;
}
