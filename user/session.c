// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/calperf.h>

#include "config.h"
#include "nl.h"
#include "session.h"
#include "util.h"

/* An attribute and where its value goes in a struct. */
struct field {
	int attr;
	size_t off;
	size_t size;			/* 4: u32, 8: u64 */
};

#define U64(a, type, m)	{ a, offsetof(type, m), 8 }
#define U32(a, type, m)	{ a, offsetof(type, m), 4 }

/* Copy each of @n @fields present in @tb into @dst. */
static void get_fields(struct nlattr **tb, const struct field *fields,
		       size_t n, void *dst)
{
	for (size_t i = 0; i < n; i++) {
		const struct field *f = &fields[i];
		char *p = (char *)dst + f->off;

		if (!tb[f->attr])
			continue;
		if (f->size == 8)
			*(uint64_t *)p = nla_get_u64(tb[f->attr]);
		else
			*(uint32_t *)p = nla_get_u32(tb[f->attr]);
	}
}

#define GET_FIELDS(tb, fields, dst) \
	get_fields(tb, fields, sizeof(fields) / sizeof(fields[0]), dst)

static const struct field hist_fields[] = {
	U64(CALPERF_A_HIST_COUNT, struct cp_hist, count),
	U64(CALPERF_A_HIST_MIN_NS, struct cp_hist, min),
	U64(CALPERF_A_HIST_MAX_NS, struct cp_hist, max),
	U64(CALPERF_A_HIST_MEAN_NS, struct cp_hist, mean),
	U64(CALPERF_A_HIST_P50_NS, struct cp_hist, p50),
	U64(CALPERF_A_HIST_P90_NS, struct cp_hist, p90),
	U64(CALPERF_A_HIST_P99_NS, struct cp_hist, p99),
	U64(CALPERF_A_HIST_P999_NS, struct cp_hist, p999),
};

static const struct field stats_fields[] = {
	U64(CALPERF_A_STATS_BYTES, struct cp_stats, bytes),
	U64(CALPERF_A_STATS_CALLS, struct cp_stats, calls),
	U64(CALPERF_A_STATS_ELAPSED_NS, struct cp_stats, elapsed_ns),
	U64(CALPERF_A_STATS_THROUGHPUT_BPS, struct cp_stats, bps),
	U64(CALPERF_A_STATS_CPU_NS, struct cp_stats, cpu_ns),
	U32(CALPERF_A_STATS_ERROR, struct cp_stats, error),
	U32(CALPERF_A_STATS_TCP_RTT_US, struct cp_stats, rtt_us),
	U32(CALPERF_A_STATS_TCP_RTTVAR_US, struct cp_stats, rttvar_us),
	U32(CALPERF_A_STATS_TCP_CWND, struct cp_stats, cwnd),
	U32(CALPERF_A_STATS_TCP_RETRANS, struct cp_stats, retrans),
	U32(CALPERF_A_STATS_TCP_MSS, struct cp_stats, mss),
	U32(CALPERF_A_STATS_TCP_REORD_SEEN, struct cp_stats, reord_seen),
	U32(CALPERF_A_STATS_TCP_DSACK_DUPS, struct cp_stats, dsack_dups),
	U64(CALPERF_A_STATS_VERIFIED_BYTES, struct cp_stats, verified),
};

static const struct field hop_fields[] = {
	U64(CALPERF_A_HOP_COUNT, struct cp_hop, count),
	U64(CALPERF_A_HOP_MIN_NS, struct cp_hop, min),
	U64(CALPERF_A_HOP_P50_NS, struct cp_hop, p50),
	U64(CALPERF_A_HOP_P90_NS, struct cp_hop, p90),
	U64(CALPERF_A_HOP_P99_NS, struct cp_hop, p99),
	U64(CALPERF_A_HOP_MAX_NS, struct cp_hop, max),
	U32(CALPERF_A_HOP_IFINDEX, struct cp_hop, ifindex),
	U32(CALPERF_A_HOP_NETNS, struct cp_hop, netns),
};

static const struct field hops_fields[] = {
	U64(CALPERF_A_HOPS_SAMPLED, struct cp_hops, sampled),
	U64(CALPERF_A_HOPS_COMPLETE, struct cp_hops, complete),
	U64(CALPERF_A_HOPS_OTHER_PATH, struct cp_hops, other_path),
	U64(CALPERF_A_HOPS_RETRANSMITTED, struct cp_hops, retransmitted),
	U64(CALPERF_A_HOPS_TRUNCATED, struct cp_hops, truncated),
	U64(CALPERF_A_HOPS_SKIPPED, struct cp_hops, skipped),
};

static const struct field cpu_stat_fields[] = {
	U32(CALPERF_A_CPU_STAT_CPU, struct cp_cpu_stat, cpu),
	U64(CALPERF_A_CPU_STAT_NET_RX_NS, struct cp_cpu_stat, net_rx),
	U64(CALPERF_A_CPU_STAT_NET_TX_NS, struct cp_cpu_stat, net_tx),
	U64(CALPERF_A_CPU_STAT_SOFTIRQ_OTHER_NS, struct cp_cpu_stat, softirq_other),
	U64(CALPERF_A_CPU_STAT_SOFTIRQ_SELF_NS, struct cp_cpu_stat, softirq_self),
	U64(CALPERF_A_CPU_STAT_HARDIRQ_SELF_NS, struct cp_cpu_stat, hardirq_self),
	U64(CALPERF_A_CPU_STAT_HARDIRQ_NS, struct cp_cpu_stat, hardirq),
	U64(CALPERF_A_CPU_STAT_BUSY_NS, struct cp_cpu_stat, busy),
};

static void parse_hist(struct nlattr *nest, struct cp_hist *h)
{
	struct nlattr *tb[CALPERF_A_HIST_MAX + 1];

	if (nla_parse_nested(tb, CALPERF_A_HIST_MAX, nest, NULL))
		return;
	h->present = true;
	GET_FIELDS(tb, hist_fields, h);
}

static void parse_stats(struct nlattr *nest, struct cp_stats *st)
{
	struct nlattr *tb[CALPERF_A_STATS_MAX + 1];

	if (nla_parse_nested(tb, CALPERF_A_STATS_MAX, nest, NULL))
		return;
	GET_FIELDS(tb, stats_fields, st);
	st->done = tb[CALPERF_A_STATS_DONE] != NULL;
	st->has_verified = tb[CALPERF_A_STATS_VERIFIED_BYTES] != NULL;
	if (tb[CALPERF_A_STATS_RTT])
		parse_hist(tb[CALPERF_A_STATS_RTT], &st->rtt);
}

static void parse_flow(struct nlattr *nest, struct cp_endpoint *ep)
{
	struct nlattr *tb[CALPERF_A_FLOW_MAX + 1];
	struct cp_flow *f;

	if (ep->n_flows == CP_MAX_FLOWS ||
	    nla_parse_nested(tb, CALPERF_A_FLOW_MAX, nest, NULL))
		return;
	f = &ep->flows[ep->n_flows++];
	f->cpu = -1;
	if (tb[CALPERF_A_FLOW_INDEX])
		f->index = nla_get_u32(tb[CALPERF_A_FLOW_INDEX]);
	if (tb[CALPERF_A_FLOW_THREAD])
		f->thread = nla_get_u32(tb[CALPERF_A_FLOW_THREAD]);
	if (tb[CALPERF_A_FLOW_CPU])
		f->cpu = nla_get_u32(tb[CALPERF_A_FLOW_CPU]);
	if (tb[CALPERF_A_FLOW_LOCAL_PORT])
		f->local_port = nla_get_u16(tb[CALPERF_A_FLOW_LOCAL_PORT]);
	if (tb[CALPERF_A_FLOW_PEER_PORT])
		f->peer_port = nla_get_u16(tb[CALPERF_A_FLOW_PEER_PORT]);
	if (tb[CALPERF_A_FLOW_STATS])
		parse_stats(tb[CALPERF_A_FLOW_STATS], &f->stats);
}

static void parse_endpoint(struct nlattr *nest, struct cp_endpoint *ep)
{
	struct nlattr *tb[CALPERF_A_ENDPOINT_MAX + 1], *a;
	int rem;

	memset(ep, 0, sizeof(*ep));
	ep->cpu = -1;
	if (!nest || nla_parse_nested(tb, CALPERF_A_ENDPOINT_MAX, nest, NULL))
		return;
	ep->present = true;
	if (tb[CALPERF_A_ENDPOINT_ADDR4]) {
		ep->family = AF_INET;
		memcpy(ep->addr, nla_data(tb[CALPERF_A_ENDPOINT_ADDR4]), 4);
	} else if (tb[CALPERF_A_ENDPOINT_ADDR6]) {
		ep->family = AF_INET6;
		memcpy(ep->addr, nla_data(tb[CALPERF_A_ENDPOINT_ADDR6]), 16);
	}
	if (tb[CALPERF_A_ENDPOINT_PORT])
		ep->port = nla_get_u16(tb[CALPERF_A_ENDPOINT_PORT]);
	if (tb[CALPERF_A_ENDPOINT_CPU])
		ep->cpu = nla_get_u32(tb[CALPERF_A_ENDPOINT_CPU]);
	if (tb[CALPERF_A_ENDPOINT_SOCKBUF])
		ep->sockbuf = nla_get_u32(tb[CALPERF_A_ENDPOINT_SOCKBUF]);
	if (tb[CALPERF_A_ENDPOINT_STATS])
		parse_stats(tb[CALPERF_A_ENDPOINT_STATS], &ep->stats);
	nla_for_each_nested(a, nest, rem)
		if (nla_type(a) == CALPERF_A_ENDPOINT_FLOW)
			parse_flow(a, ep);
}

static void parse_hop(struct nlattr *nest, struct cp_hop *h)
{
	struct nlattr *tb[CALPERF_A_HOP_MAX + 1];

	if (nla_parse_nested(tb, CALPERF_A_HOP_MAX, nest, NULL))
		return;
	GET_FIELDS(tb, hop_fields, h);
	h->point = tb[CALPERF_A_HOP_POINT] ? nla_get_u8(tb[CALPERF_A_HOP_POINT]) : 0;
	if (tb[CALPERF_A_HOP_IFNAME])
		snprintf(h->ifname, sizeof(h->ifname), "%s",
			 nla_get_string(tb[CALPERF_A_HOP_IFNAME]));
}

static void parse_hops(struct nlattr *nest, struct cp_hops *hs)
{
	struct nlattr *tb[CALPERF_A_HOPS_MAX + 1], *a;
	int rem;

	if (nla_parse_nested(tb, CALPERF_A_HOPS_MAX, nest, NULL))
		return;
	hs->present = true;
	GET_FIELDS(tb, hops_fields, hs);
	if (tb[CALPERF_A_HOPS_END_TO_END])
		parse_hop(tb[CALPERF_A_HOPS_END_TO_END], &hs->end_to_end);
	nla_for_each_nested(a, nest, rem)
		if (nla_type(a) == CALPERF_A_HOPS_HOP && hs->n < CP_MAX_HOPS)
			parse_hop(a, &hs->hop[hs->n++]);
}

const char *cp_hop_point_name(uint8_t point)
{
	switch (point) {
	case CALPERF_HOP_SEND: return "send";
	case CALPERF_HOP_DEV_QUEUE: return "dev_queue";
	case CALPERF_HOP_DEV_XMIT: return "dev_xmit";
	case CALPERF_HOP_NETIF_RX: return "netif_rx";
	case CALPERF_HOP_GRO: return "gro";
	case CALPERF_HOP_NETIF_RECEIVE: return "netif_receive";
	case CALPERF_HOP_TCP_RCV: return "tcp_rcv";
	case CALPERF_HOP_DELIVER: return "deliver";
	}
	return "unknown";
}

static void parse_cpu(struct nlattr *nest, struct cp_cpu *c)
{
	struct nlattr *tb[CALPERF_A_CPU_MAX + 1], *a;
	int rem;

	if (nla_parse_nested(tb, CALPERF_A_CPU_MAX, nest, NULL))
		return;
	c->present = true;
	if (tb[CALPERF_A_CPU_ELAPSED_NS])
		c->elapsed_ns = nla_get_u64(tb[CALPERF_A_CPU_ELAPSED_NS]);
	nla_for_each_nested(a, nest, rem) {
		struct nlattr *st[CALPERF_A_CPU_STAT_MAX + 1];
		struct cp_cpu_stat *o;

		if (nla_type(a) != CALPERF_A_CPU_STAT || c->n == CP_MAX_CPUS ||
		    nla_parse_nested(st, CALPERF_A_CPU_STAT_MAX, a, NULL))
			continue;
		o = &c->stat[c->n++];
		memset(o, 0, sizeof(*o));
		GET_FIELDS(st, cpu_stat_fields, o);
	}
}

void cp_cpu_totals(const struct cp_cpu *c, struct cp_cpu_totals *t)
{
	memset(t, 0, sizeof(*t));
	for (unsigned int i = 0; i < c->n; i++) {
		const struct cp_cpu_stat *s = &c->stat[i];

		t->net_rx += s->net_rx;
		t->net_tx += s->net_tx;
		t->softirq_other += s->softirq_other;
		t->softirq_self += s->softirq_self;
		t->hardirq += s->hardirq;
		t->hardirq_self += s->hardirq_self;
		t->busy += s->busy;
	}
	t->softirq = t->net_rx + t->net_tx + t->softirq_other;
}

/* Mark the CPUs @ep's kthreads are pinned to; false if one is not. */
static bool pinned_cpus(const struct cp_endpoint *ep, bool *on)
{
	if (!ep->n_flows) {
		if (ep->cpu < 0 || ep->cpu >= CP_MAX_CPUS)
			return false;
		on[ep->cpu] = true;
		return true;
	}
	for (unsigned int i = 0; i < ep->n_flows; i++) {
		int cpu = ep->flows[i].cpu;

		if (cpu < 0 || cpu >= CP_MAX_CPUS)
			return false;
		on[cpu] = true;
	}
	return true;
}

static bool side_cpu_ns(const struct cp_session *s, uint64_t *tx, uint64_t *rx)
{
	bool on_tx[CP_MAX_CPUS] = { false }, on_rx[CP_MAX_CPUS] = { false };

	if (!s->cpu.present || !s->sender.present || !s->receiver.present ||
	    !pinned_cpus(&s->sender, on_tx) || !pinned_cpus(&s->receiver, on_rx))
		return false;
	for (int c = 0; c < CP_MAX_CPUS; c++)
		if (on_tx[c] && on_rx[c])
			return false;
	*tx = s->sender.stats.cpu_ns;
	*rx = s->receiver.stats.cpu_ns;
	/* Softirq and hardirq work outside the kthreads, by the CPU it ran on. */
	for (unsigned int i = 0; i < s->cpu.n; i++) {
		const struct cp_cpu_stat *st = &s->cpu.stat[i];
		uint64_t outside = st->net_rx + st->net_tx + st->softirq_other -
				   st->softirq_self + st->hardirq - st->hardirq_self;

		if (st->cpu >= CP_MAX_CPUS)
			continue;
		if (on_tx[st->cpu])
			*tx += outside;
		else if (on_rx[st->cpu])
			*rx += outside;
	}
	return true;
}

int cp_session_parse(struct nlattr **tb, struct cp_session *s)
{
	memset(s, 0, sizeof(*s));
	if (!tb[CALPERF_A_SESSION_ID])
		return -1;
	s->id = nla_get_u32(tb[CALPERF_A_SESSION_ID]);
	if (tb[CALPERF_A_SESSION_KIND])
		s->kind = nla_get_u8(tb[CALPERF_A_SESSION_KIND]);
	if (tb[CALPERF_A_SESSION_STATE])
		s->state = nla_get_u8(tb[CALPERF_A_SESSION_STATE]);
	if (tb[CALPERF_A_SESSION_MSG_SIZE])
		s->msg_size = nla_get_u32(tb[CALPERF_A_SESSION_MSG_SIZE]);
	if (tb[CALPERF_A_SESSION_DURATION_MS])
		s->duration_ms = nla_get_u32(tb[CALPERF_A_SESSION_DURATION_MS]);
	if (tb[CALPERF_A_SESSION_INTERVAL_MS])
		s->interval_ms = nla_get_u32(tb[CALPERF_A_SESSION_INTERVAL_MS]);
	if (tb[CALPERF_A_SESSION_BYTES_LIMIT])
		s->bytes_limit = nla_get_u64(tb[CALPERF_A_SESSION_BYTES_LIMIT]);
	if (tb[CALPERF_A_SESSION_REQ_SIZE])
		s->req_size = nla_get_u32(tb[CALPERF_A_SESSION_REQ_SIZE]);
	if (tb[CALPERF_A_SESSION_RESP_SIZE])
		s->resp_size = nla_get_u32(tb[CALPERF_A_SESSION_RESP_SIZE]);
	if (tb[CALPERF_A_SESSION_COUNT_LIMIT])
		s->count_limit = nla_get_u64(tb[CALPERF_A_SESSION_COUNT_LIMIT]);
	s->nodelay = tb[CALPERF_A_SESSION_NODELAY] != NULL;
	s->zerocopy_send = tb[CALPERF_A_SESSION_ZEROCOPY_SEND] != NULL;
	s->nocopy_recv = tb[CALPERF_A_SESSION_NOCOPY_RECV] != NULL;
	s->verify = tb[CALPERF_A_SESSION_VERIFY] != NULL;
	s->nr_flows = s->nr_threads = 1;
	if (tb[CALPERF_A_SESSION_FLOWS])
		s->nr_flows = nla_get_u32(tb[CALPERF_A_SESSION_FLOWS]);
	if (tb[CALPERF_A_SESSION_THREADS])
		s->nr_threads = nla_get_u32(tb[CALPERF_A_SESSION_THREADS]);
	if (tb[CALPERF_A_SESSION_CONGESTION])
		snprintf(s->congestion, sizeof(s->congestion), "%s",
			 nla_get_string(tb[CALPERF_A_SESSION_CONGESTION]));
	if (tb[CALPERF_A_SESSION_ERROR]) {
		s->has_error = true;
		s->error = nla_get_u32(tb[CALPERF_A_SESSION_ERROR]);
	}
	parse_endpoint(tb[CALPERF_A_SESSION_SENDER], &s->sender);
	parse_endpoint(tb[CALPERF_A_SESSION_RECEIVER], &s->receiver);
	if (tb[CALPERF_A_SESSION_CPU])
		parse_cpu(tb[CALPERF_A_SESSION_CPU], &s->cpu);
	if (tb[CALPERF_A_SESSION_HOPS])
		parse_hops(tb[CALPERF_A_SESSION_HOPS], &s->hops);
	if (tb[CALPERF_A_SESSION_HOP_SAMPLE])
		s->hop_sample = nla_get_u32(tb[CALPERF_A_SESSION_HOP_SAMPLE]);
	return 0;
}

const char *cp_state_name(uint8_t state)
{
	switch (state) {
	case CALPERF_STATE_CREATED: return "created";
	case CALPERF_STATE_RUNNING: return "running";
	case CALPERF_STATE_DONE: return "done";
	}
	return "unknown";
}

const char *cp_kind_name(uint8_t kind)
{
	return kind == CALPERF_KIND_RR ? "rr" : "stream";
}

const struct cp_stats *cp_headline(const struct cp_session *s)
{
	return s->receiver.present && s->kind == CALPERF_KIND_STREAM ?
	       &s->receiver.stats : &s->sender.stats;
}

static double cores(const struct cp_stats *st)
{
	return st->elapsed_ns ? (double)st->cpu_ns / st->elapsed_ns : 0;
}

void cp_figures(const struct cp_session *s, struct cp_figures *f)
{
	const struct cp_stats *st;
	double window, gbps;

	memset(f, 0, sizeof(*f));
	f->headline = st = cp_headline(s);
	cp_cpu_totals(&s->cpu, &f->t);
	f->window_ns = s->cpu.elapsed_ns;
	window = f->window_ns;
	if (s->sender.present) {
		f->sender_cores = cores(&s->sender.stats);
		f->kthreads_ns += s->sender.stats.cpu_ns;
	}
	if (s->receiver.present) {
		f->receiver_cores = cores(&s->receiver.stats);
		f->kthreads_ns += s->receiver.stats.cpu_ns;
	}
	/* Irq time on top of the kthreads is in their own time already. */
	f->softirq_outside_ns = f->t.softirq - f->t.softirq_self;
	f->hardirq_outside_ns = f->t.hardirq - f->t.hardirq_self;
	f->path_ns = f->kthreads_ns + f->softirq_outside_ns +
		     f->hardirq_outside_ns;
	if (window) {
		f->path_cores = f->path_ns / window;
		f->softirq_cores = f->t.softirq / window;
		f->busy_cores = f->t.busy / window;
	}
	f->has_sides = side_cpu_ns(s, &f->sender_side_ns, &f->receiver_side_ns);
	if (f->has_sides && window) {
		f->sender_side_cores = f->sender_side_ns / window;
		f->receiver_side_cores = f->receiver_side_ns / window;
	}
	gbps = st->bps / 1e9;
	if (s->kind == CALPERF_KIND_STREAM && s->cpu.present && st->bps) {
		f->has_per_gbps = true;
		f->path_cores_per_gbps = f->path_cores / gbps;
		f->busy_s_per_gb = st->bytes ? (double)f->t.busy / st->bytes : 0;
		f->sender_side_cores_per_gbps = f->sender_side_cores / gbps;
		f->receiver_side_cores_per_gbps = f->receiver_side_cores / gbps;
	}
	f->transactions_per_s = st->elapsed_ns ?
				st->calls * 1e9 / st->elapsed_ns : 0;
	f->latency_ns = st->rtt.mean / 2;
	if (s->kind == CALPERF_KIND_RR && s->cpu.present && st->calls) {
		f->has_per_transaction = true;
		f->path_ns_per_transaction = (double)f->path_ns / st->calls;
	}
}

void cp_cpu_print(const struct cp_session *s, const struct cp_figures *f)
{
	const struct cp_cpu *c = &s->cpu;
	const struct cp_cpu_totals *t = &f->t;
	bool rr = s->kind == CALPERF_KIND_RR;
	double w = f->window_ns;

	if (!c->present)
		return;
	print_open_object(PRINT_JSON, "cpu_time");
	print_uint(PRINT_JSON, "elapsed_ns", NULL, c->elapsed_ns);
	print_scaled(PRINT_ANY, "path_ns", "  cpu          path %.2f", f->path_ns, w);
	print_scaled(PRINT_ANY, "kthreads_ns", " = kthreads %.2f", f->kthreads_ns, w);
	print_scaled(PRINT_TEXT, NULL, " + softirq %.2f", f->softirq_outside_ns, w);
	print_scaled(PRINT_TEXT, NULL, " + hardirq %.2f  (cores)\n",
		     f->hardirq_outside_ns, w);
	print_scaled(PRINT_ANY, "softirq_ns", "  softirq      %.2f cores:", t->softirq, w);
	print_scaled(PRINT_ANY, "net_rx_ns", " NET_RX %.2f", t->net_rx, w);
	print_scaled(PRINT_ANY, "net_tx_ns", "  NET_TX %.2f", t->net_tx, w);
	print_scaled(PRINT_ANY, "softirq_other_ns", "  other %.2f;", t->softirq_other, w);
	print_scaled(PRINT_ANY, "softirq_self_ns", " %.2f of it inside the kthreads\n",
		     t->softirq_self, w);
	print_uint(PRINT_JSON, "hardirq_ns", NULL, t->hardirq);
	print_uint(PRINT_JSON, "hardirq_self_ns", NULL, t->hardirq_self);
	print_scaled(PRINT_ANY, "busy_ns",
		     "  busy         %.2f cores (kcpustat, all CPUs, tick-sampled)\n",
		     t->busy, w);
	if (f->has_sides) {
		print_scaled(PRINT_ANY, "sender_side_ns", rr ?
			     "  sides        client %.2f cores" :
			     "  sides        sender %.2f cores", f->sender_side_ns, w);
		print_scaled(PRINT_ANY, "receiver_side_ns", rr ?
			     ", server %.2f cores (path CPU by the CPUs each end is pinned to)\n" :
			     ", receiver %.2f cores (path CPU by the CPUs each end is pinned to)\n",
			     f->receiver_side_ns, w);
	}
	print_open_array(PRINT_JSON, "per_cpu");
	for (unsigned int i = 0; i < c->n; i++) {
		const struct cp_cpu_stat *st = &c->stat[i];

		print_open_object(PRINT_JSON, NULL);
		print_uint(PRINT_JSON, "cpu", NULL, st->cpu);
		print_uint(PRINT_JSON, "net_rx_ns", NULL, st->net_rx);
		print_uint(PRINT_JSON, "net_tx_ns", NULL, st->net_tx);
		print_uint(PRINT_JSON, "softirq_other_ns", NULL, st->softirq_other);
		print_uint(PRINT_JSON, "softirq_self_ns", NULL, st->softirq_self);
		print_uint(PRINT_JSON, "hardirq_ns", NULL, st->hardirq);
		print_uint(PRINT_JSON, "hardirq_self_ns", NULL, st->hardirq_self);
		print_uint(PRINT_JSON, "busy_ns", NULL, st->busy);
		print_close_object(PRINT_JSON);
	}
	print_close_array(PRINT_JSON);
	print_close_object(PRINT_JSON);
}

/* A hop's latency from the point before (end to end: from the send). */
static void hop_latency_print(const struct cp_hop *h, bool text)
{
	enum print_to to = print_when(text, true);

	print_uint(to, "count", " %7llu", h->count);
	print_uint(PRINT_JSON, "min_ns", NULL, h->min);
	print_scaled(to, "p50_ns", " %9.1f", h->p50, 1e3);
	print_scaled(to, "p90_ns", " %9.1f", h->p90, 1e3);
	print_scaled(to, "p99_ns", " %9.1f", h->p99, 1e3);
	print_scaled(to, "max_ns", " %9.1f", h->max, 1e3);
}

void cp_hops_print(const struct cp_session *s)
{
	const struct cp_hops *hs = &s->hops;

	if (!hs->present)
		return;
	print_open_object(PRINT_JSON, "hops");
	print_uint(PRINT_TEXT, NULL, "  hops         1 send in %llu traced: ",
		   s->hop_sample);
	print_uint(PRINT_ANY, "sampled", "%llu sampled", hs->sampled);
	print_uint(PRINT_ANY, "complete", ", %llu complete", hs->complete);
	print_uint(PRINT_ANY, "other_path", ", %llu on another path", hs->other_path);
	print_uint(PRINT_ANY, "retransmitted", ", %llu retransmitted",
		   hs->retransmitted);
	print_uint(PRINT_ANY, "truncated", ", %llu truncated", hs->truncated);
	print_uint(PRINT_ANY, "skipped", ", %llu skipped\n", hs->skipped);
	if (hs->n)
		print_text("    %-14s %-16s %10s %7s %9s %9s %9s %9s\n", "point",
			   "device", "netns", "samples", "p50 us", "p90 us",
			   "p99 us", "max us");
	print_open_array(PRINT_JSON, "path");
	for (unsigned int i = 0; i < hs->n; i++) {
		const struct cp_hop *h = &hs->hop[i];

		print_open_object(PRINT_JSON, NULL);
		print_string(PRINT_ANY, "point", "    %-14s",
			     cp_hop_point_name(h->point));
		print_uint(PRINT_JSON, "ifindex", NULL, h->ifindex);
		print_string(PRINT_JSON, "ifname", NULL, h->ifname);
		print_string(PRINT_TEXT, NULL, " %-16s", h->ifindex ? h->ifname : "-");
		print_uint(PRINT_ANY, "netns", " %10llu", h->netns);
		/* The first point is where the clock starts. */
		hop_latency_print(h, i > 0);
		print_text("\n");
		print_close_object(PRINT_JSON);
	}
	print_close_array(PRINT_JSON);
	print_open_object(PRINT_JSON, "end_to_end");
	if (hs->n)
		print_text("    %-14s %-16s %10s", "end to end", "", "");
	hop_latency_print(&hs->end_to_end, hs->n > 0);
	if (hs->n)
		print_text("\n");
	print_close_object(PRINT_JSON);
	print_close_object(PRINT_JSON);
}

void cp_buckets_print(const struct cp_buckets *b, const char *indent)
{
	print_open_array(PRINT_JSON, "buckets");
	for (size_t i = 0; i < b->n; i++) {
		const struct cp_bucket *k = &b->b[i];

		print_open_object(PRINT_JSON, NULL);
		print_text("%s", indent);
		print_uint(PRINT_ANY, "lower_ns", "[%llu", k->lower);
		print_uint(PRINT_TEXT, NULL, ", %llu) ns", k->lower + k->width);
		print_uint(PRINT_JSON, "width_ns", NULL, k->width);
		print_uint(PRINT_ANY, "count", "  %llu\n", k->count);
		print_close_object(PRINT_JSON);
	}
	print_close_array(PRINT_JSON);
}

void cp_hist_print(const struct cp_hist *h, enum cp_hist_style style,
		   const struct cp_buckets *rtt)
{
	if (style == CP_HIST_RESULT) {
		print_scaled(PRINT_TEXT, NULL, "  rtt          min %.1f us", h->min, 1e3);
		print_scaled(PRINT_TEXT, NULL, "  mean %.1f us", h->mean, 1e3);
		print_scaled(PRINT_TEXT, NULL, "  max %.1f us\n", h->max, 1e3);
		return;
	}
	print_open_object(PRINT_JSON, "rtt");
	print_uint(PRINT_ANY, "count", "           rtt %llu", h->count);
	print_duration(PRINT_ANY, "min_ns", "  min %s", h->min);
	print_duration(PRINT_ANY, "mean_ns", "  mean %s", h->mean);
	print_duration(PRINT_ANY, "max_ns", "  max %s\n", h->max);
	print_duration(PRINT_ANY, "p50_ns", "               p50 %s", h->p50);
	print_duration(PRINT_ANY, "p90_ns", "  p90 %s", h->p90);
	print_duration(PRINT_ANY, "p99_ns", "  p99 %s", h->p99);
	print_duration(PRINT_ANY, "p99_9_ns", "  p99.9 %s\n", h->p999);
	if (rtt)
		cp_buckets_print(rtt, "             ");
	print_close_object(PRINT_JSON);
}

enum { CP_TCP_RTT, CP_TCP_RTTVAR, CP_TCP_CWND, CP_TCP_RETRANS, CP_TCP_DSACK, CP_TCP_REORD, CP_TCP_MSS };

static const struct {
	const char *key;
	size_t off;
} tcp_fields[] = {
	[CP_TCP_RTT] = { "tcp_rtt_us", offsetof(struct cp_stats, rtt_us) },
	[CP_TCP_RTTVAR] = { "tcp_rttvar_us", offsetof(struct cp_stats, rttvar_us) },
	[CP_TCP_CWND] = { "tcp_cwnd_segments", offsetof(struct cp_stats, cwnd) },
	[CP_TCP_RETRANS] = { "tcp_retrans_segments", offsetof(struct cp_stats, retrans) },
	[CP_TCP_DSACK] = { "tcp_dsack_dups", offsetof(struct cp_stats, dsack_dups) },
	[CP_TCP_REORD] = { "tcp_reord_seen", offsetof(struct cp_stats, reord_seen) },
	[CP_TCP_MSS] = { "tcp_mss_bytes", offsetof(struct cp_stats, mss) },
};

struct tcp_step {
	int field;
	const char *fmt;		/* NULL: JSON only */
};

/* The order and text of each style; every field in each, once. */
static const struct tcp_step tcp_summary[] = {
	{ CP_TCP_RETRANS, "  tcp          retrans %llu" }, { CP_TCP_DSACK, " (dsack %llu" },
	{ CP_TCP_REORD, ", reordered %llu)" }, { CP_TCP_RTT, "  rtt %llu us" },
	{ CP_TCP_RTTVAR, NULL }, { CP_TCP_CWND, "  cwnd %llu" }, { CP_TCP_MSS, "  mss %llu" },
};

static const struct tcp_step tcp_stats[] = {
	{ CP_TCP_RTT, "           tcp rtt %llu us" }, { CP_TCP_RTTVAR, "  rttvar %llu us" },
	{ CP_TCP_CWND, "  cwnd %llu" }, { CP_TCP_RETRANS, "  retrans %llu" },
	{ CP_TCP_DSACK, " (dsack %llu" }, { CP_TCP_REORD, ", reordered %llu)" },
	{ CP_TCP_MSS, "  mss %llu" },
};

void cp_tcp_print(enum print_to to, const struct cp_stats *st,
		  enum cp_tcp_style style, const char *suffix)
{
	const struct tcp_step *steps = style == CP_TCP_SUMMARY ? tcp_summary : tcp_stats;

	_Static_assert(sizeof(tcp_summary) == sizeof(tcp_stats),
		       "each style prints every field");
	for (size_t i = 0; i < sizeof(tcp_stats) / sizeof(tcp_stats[0]); i++) {
		int k = steps[i].field;
		uint32_t v = *(const uint32_t *)((const char *)st + tcp_fields[k].off);

		print_uint(to, tcp_fields[k].key, steps[i].fmt, v);
	}
	if (to & PRINT_TEXT)
		print_text("%s\n", suffix ?: "");
}

/* An endpoint's figures (@endpoint) or a flow's, as the text shows each. */
static void stats_print(const struct cp_stats *st, bool endpoint,
			const struct cp_buckets *rtt)
{
	enum print_to ep_text = print_when(endpoint, true);
	enum print_to saved;

	print_open_object(PRINT_JSON, "stats");
	print_flag(PRINT_JSON, "done", NULL, st->done);
	print_uint(PRINT_ANY, "bytes", endpoint ? "\n           bytes %llu" :
		   "  bytes %llu", st->bytes);
	print_uint(ep_text, "calls", "  calls %llu", st->calls);
	print_scaled(ep_text, "elapsed_ns", "  elapsed %.3f s", st->elapsed_ns, 1e9);
	print_scaled(PRINT_ANY, "throughput_bps", "  %.3f Gb/s", st->bps, 1e9);
	/* A flow has no CPU time: a kthread may drive several. */
	print_scaled(print_when(endpoint && st->done, endpoint && st->done),
		     "cpu_ns", "  cpu %.3f s", st->cpu_ns, 1e9);
	print_int(print_when(false, st->done), "error", NULL, st->error);
	print_string(print_when((st->done || !endpoint) && st->error, st->done),
		     "error_name", "  error %s", errno_name(st->error));
	print_text("\n");
	print_uint(print_when(endpoint && st->has_verified, st->has_verified),
		   "verified_bytes", "           verified %llu bytes", st->verified);
	if (endpoint && st->has_verified)
		print_text("%s\n", st->verified < st->bytes ?
			   " (then a wrong byte)" : "");
	if (st->rtt.present) {
		saved = print_only(ep_text);
		cp_hist_print(&st->rtt, CP_HIST_STATS, rtt);
		print_restore(saved);
	}
	if (st->done)
		cp_tcp_print(print_when(endpoint && opt_stats, true), st,
			     CP_TCP_STATS, NULL);
	print_close_object(PRINT_JSON);
}

static void flow_print(const struct cp_flow *f)
{
	print_open_object(PRINT_JSON, NULL);
	print_uint(PRINT_ANY, "index", "           flow %llu", f->index);
	print_uint(PRINT_ANY, "thread", "  thread %llu", f->thread);
	print_uint(print_when(false, f->cpu >= 0), "cpu", NULL, f->cpu);
	print_uint(PRINT_ANY, "local_port", "  port %llu", f->local_port);
	print_uint(PRINT_ANY, "peer_port", " -> %llu", f->peer_port);
	stats_print(&f->stats, false, NULL);
	print_close_object(PRINT_JSON);
}

static void endpoint_print(const char *role, const struct cp_endpoint *ep,
			   const struct cp_buckets *rtt)
{
	char addr[64] = "*";
	enum print_to saved;

	if (!ep->present)
		return;
	print_open_object(PRINT_JSON, role);
	print_text("  %-8s ", role);
	if (ep->family)
		format_addr(ep->family, ep->addr, addr, sizeof(addr));
	print_string(print_when(true, ep->family), "addr",
		     ep->family == AF_INET6 ? "[%s]" : "%s", addr);
	print_uint(PRINT_ANY, "port", " port %llu", ep->port);
	print_size(print_when(ep->sockbuf, true), "sockbuf_bytes", "  sockbuf %s",
		   ep->sockbuf);
	if (!ep->sockbuf)
		print_text("  sockbuf auto");
	print_uint(print_when(ep->cpu >= 0, ep->cpu >= 0), "cpu", "  cpu %llu",
		   ep->cpu);
	stats_print(&ep->stats, true, rtt);
	if (ep->n_flows) {
		/* The text lists flows when there are several. */
		saved = print_only(print_when(ep->n_flows > 1, true));
		print_open_array(PRINT_JSON, "flows");
		for (unsigned int i = 0; i < ep->n_flows; i++)
			flow_print(&ep->flows[i]);
		print_close_array(PRINT_JSON);
		print_restore(saved);
	}
	print_close_object(PRINT_JSON);
}

void cp_session_print(const char *key, const struct cp_session *s,
		      const struct cp_buckets *rtt)
{
	bool stream = s->kind == CALPERF_KIND_STREAM;
	struct cp_figures f;
	enum print_to saved;

	print_open_object(PRINT_JSON, key);
	print_uint(PRINT_ANY, "id", "session %llu", s->id);
	print_string(PRINT_ANY, "kind", " %s", cp_kind_name(s->kind));
	print_string(PRINT_ANY, "state", " %s", cp_state_name(s->state));
	if (!stream) {
		print_size(PRINT_ANY, "req_size_bytes", "  request %s", s->req_size);
		print_size(PRINT_ANY, "resp_size_bytes", "  response %s", s->resp_size);
		print_uint(print_when(s->count_limit, s->count_limit), "count_limit",
			   "  count %llu", s->count_limit);
	} else {
		print_size(PRINT_ANY, "msg_size_bytes", "  msg %s", s->msg_size);
		print_uint(print_when(s->bytes_limit, s->bytes_limit), "limit_bytes",
			   "  bytes %llu", s->bytes_limit);
	}
	print_scaled(print_when(s->duration_ms, s->duration_ms), "duration_ms",
		     "  time %.3f s", s->duration_ms, 1e3);
	print_scaled(print_when(s->interval_ms, s->interval_ms), "interval_ms",
		     "  interval %.3f s", s->interval_ms, 1e3);
	print_flag(PRINT_ANY, "nodelay", "  nodelay", s->nodelay);
	print_uint(print_when(false, s->hop_sample), "hop_sample", NULL, s->hop_sample);
	print_flag(print_when(true, stream), "zerocopy_send", "  zerocopy",
		   s->zerocopy_send);
	print_flag(print_when(true, stream), "nocopy_recv", "  nocopy", s->nocopy_recv);
	print_flag(print_when(true, stream), "verify", "  verify", s->verify);
	print_uint(print_when(s->nr_flows > 1, stream), "flow_count", "  flows %llu",
		   s->nr_flows);
	print_uint(print_when(s->nr_flows > 1, stream), "thread_count",
		   "  threads %llu", s->nr_threads);
	print_string(print_when(s->congestion[0], s->congestion[0]), "congestion",
		     "  congestion %s", s->congestion);
	print_int(print_when(false, s->has_error), "error", NULL, s->error);
	print_string(print_when(s->has_error && s->error, s->has_error),
		     "error_name", "  error %s", errno_name(s->error));
	print_text("\n");
	endpoint_print("sender", &s->sender, rtt);
	endpoint_print("receiver", &s->receiver, NULL);
	/* A run's result shows these in its text; "show" in its JSON only. */
	saved = print_only(PRINT_JSON);
	cp_figures(s, &f);
	cp_cpu_print(s, &f);
	cp_hops_print(s);
	print_restore(saved);
	print_close_object(PRINT_JSON);
}

uint64_t cp_buckets_percentile(const struct cp_buckets *b, double pct)
{
	uint64_t total = 0, seen = 0, rank;

	for (size_t i = 0; i < b->n; i++)
		total += b->b[i].count;
	if (!total)
		return 0;
	/* The rank of the value asked for, 1-based: ceil(total * pct / 100). */
	rank = (uint64_t)(total * pct / 100.0 + 0.999999999);
	if (rank < 1)
		rank = 1;
	for (size_t i = 0; i < b->n; i++) {
		seen += b->b[i].count;
		if (seen >= rank)
			return b->b[i].lower + b->b[i].width / 2;
	}
	return b->b[b->n - 1].lower + b->b[b->n - 1].width / 2;
}

static int keep_session(struct nlattr **tb, uint8_t cmd, void *arg)
{
	(void)cmd;
	return cp_session_parse(tb, arg) ? -EPROTO : 0;
}

int cp_session_create(struct cp_nl *nl, const struct cp_config *c,
		      struct cp_session *out)
{
	struct nl_msg *msg = cp_config_msg(nl, c);

	if (!msg)
		return -ENOMEM;
	return cp_nl_request(nl, msg, keep_session, out);
}

int cp_session_get(struct cp_nl *nl, uint32_t id, struct cp_session *out)
{
	struct nl_msg *msg = cp_nl_msg(nl, CALPERF_CMD_SESSION_GET, 0);

	if (!msg)
		return -ENOMEM;
	nla_put_u32(msg, CALPERF_A_SESSION_ID, id);
	return cp_nl_request(nl, msg, keep_session, out);
}

int cp_session_cmd(struct cp_nl *nl, uint8_t cmd, uint32_t id)
{
	struct nl_msg *msg = cp_nl_msg(nl, cmd, 0);

	if (!msg)
		return -ENOMEM;
	nla_put_u32(msg, CALPERF_A_SESSION_ID, id);
	return cp_nl_request(nl, msg, NULL, NULL);
}

struct bucket_request {
	struct cp_session *s;
	struct cp_buckets *out;
};

static int keep_buckets(struct nlattr **tb, uint8_t cmd, void *arg)
{
	struct nlattr *ep[CALPERF_A_ENDPOINT_MAX + 1];
	struct nlattr *st[CALPERF_A_STATS_MAX + 1];
	struct bucket_request *r = arg;
	struct nlattr *a;
	int rem;

	(void)cmd;
	if (cp_session_parse(tb, r->s))
		return -EPROTO;
	if (!tb[CALPERF_A_SESSION_SENDER] ||
	    nla_parse_nested(ep, CALPERF_A_ENDPOINT_MAX,
			     tb[CALPERF_A_SESSION_SENDER], NULL) ||
	    !ep[CALPERF_A_ENDPOINT_STATS] ||
	    nla_parse_nested(st, CALPERF_A_STATS_MAX,
			     ep[CALPERF_A_ENDPOINT_STATS], NULL) ||
	    !st[CALPERF_A_STATS_RTT])
		return 0;
	nla_for_each_nested(a, st[CALPERF_A_STATS_RTT], rem) {
		struct nlattr *b[CALPERF_A_BUCKET_MAX + 1];
		struct cp_bucket *grown;

		if (nla_type(a) != CALPERF_A_HIST_BUCKET ||
		    nla_parse_nested(b, CALPERF_A_BUCKET_MAX, a, NULL) ||
		    !b[CALPERF_A_BUCKET_LOWER_NS] || !b[CALPERF_A_BUCKET_WIDTH_NS] ||
		    !b[CALPERF_A_BUCKET_COUNT])
			continue;
		grown = realloc(r->out->b, (r->out->n + 1) * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		r->out->b = grown;
		grown[r->out->n++] = (struct cp_bucket){
			.lower = nla_get_u64(b[CALPERF_A_BUCKET_LOWER_NS]),
			.width = nla_get_u64(b[CALPERF_A_BUCKET_WIDTH_NS]),
			.count = nla_get_u64(b[CALPERF_A_BUCKET_COUNT]),
		};
	}
	return 0;
}

int cp_session_get_buckets(struct cp_nl *nl, uint32_t id,
			   struct cp_session *s, struct cp_buckets *out)
{
	struct bucket_request r = { .s = s, .out = out };
	struct nl_msg *msg = cp_nl_msg(nl, CALPERF_CMD_SESSION_GET, 0);

	out->n = 0;
	out->b = NULL;
	if (!msg)
		return -ENOMEM;
	nla_put_u32(msg, CALPERF_A_SESSION_ID, id);
	nla_put_flag(msg, CALPERF_A_SESSION_HIST_BUCKETS);
	return cp_nl_request(nl, msg, keep_buckets, &r);
}
