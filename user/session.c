// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/calperf.h>

#include "config.h"
#include "json.h"
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

uint64_t cp_path_cpu_ns(const struct cp_session *s)
{
	struct cp_cpu_totals t;
	uint64_t ns = 0;

	cp_cpu_totals(&s->cpu, &t);
	if (s->sender.present)
		ns += s->sender.stats.cpu_ns;
	if (s->receiver.present)
		ns += s->receiver.stats.cpu_ns;
	/* Irq time on top of the kthreads is in their own time already. */
	return ns + t.softirq - t.softirq_self + t.hardirq - t.hardirq_self;
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

bool cp_side_cpu_ns(const struct cp_session *s, uint64_t *tx, uint64_t *rx)
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

void cp_cpu_json(const struct cp_session *s)
{
	const struct cp_cpu *c = &s->cpu;
	struct cp_cpu_totals t;

	if (!c->present)
		return;
	cp_cpu_totals(c, &t);
	json_open("cpu", '{');
	json_u64("elapsed_ns", c->elapsed_ns);
	json_u64("path_ns", cp_path_cpu_ns(s));
	json_u64("softirq_ns", t.softirq);
	json_u64("net_rx_ns", t.net_rx);
	json_u64("net_tx_ns", t.net_tx);
	json_u64("softirq_other_ns", t.softirq_other);
	json_u64("softirq_self_ns", t.softirq_self);
	json_u64("hardirq_ns", t.hardirq);
	json_u64("hardirq_self_ns", t.hardirq_self);
	json_u64("busy_ns", t.busy);
	json_open("per_cpu", '[');
	for (unsigned int i = 0; i < c->n; i++) {
		const struct cp_cpu_stat *st = &c->stat[i];

		json_open(NULL, '{');
		json_u64("cpu", st->cpu);
		json_u64("net_rx_ns", st->net_rx);
		json_u64("net_tx_ns", st->net_tx);
		json_u64("softirq_other_ns", st->softirq_other);
		json_u64("softirq_self_ns", st->softirq_self);
		json_u64("hardirq_ns", st->hardirq);
		json_u64("hardirq_self_ns", st->hardirq_self);
		json_u64("busy_ns", st->busy);
		json_close();
	}
	json_close();
	json_close();
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

/* 1234 ns -> "1.234 us" */
static const char *fmt_ns(uint64_t ns, char *buf, size_t len)
{
	if (ns >= 10000000)
		snprintf(buf, len, "%.2f ms", ns / 1e6);
	else if (ns >= 1000)
		snprintf(buf, len, "%.1f us", ns / 1e3);
	else
		snprintf(buf, len, "%llu ns", (unsigned long long)ns);
	return buf;
}

static void show_hist(const char *indent, const struct cp_hist *h)
{
	char a[24], b[24], c[24], d[24];

	printf("%srtt %llu  min %s  mean %s  max %s\n", indent,
	       (unsigned long long)h->count, fmt_ns(h->min, a, sizeof(a)),
	       fmt_ns(h->mean, b, sizeof(b)), fmt_ns(h->max, c, sizeof(c)));
	printf("%s    p50 %s  p90 %s  p99 %s  p99.9 ", indent,
	       fmt_ns(h->p50, a, sizeof(a)), fmt_ns(h->p90, b, sizeof(b)),
	       fmt_ns(h->p99, c, sizeof(c)));
	printf("%s\n", fmt_ns(h->p999, d, sizeof(d)));
}

static void show_buckets(const char *indent, const struct cp_buckets *rtt)
{
	for (size_t i = 0; i < rtt->n; i++)
		printf("%s[%llu, %llu) ns  %llu\n", indent,
		       (unsigned long long)rtt->b[i].lower,
		       (unsigned long long)(rtt->b[i].lower + rtt->b[i].width),
		       (unsigned long long)rtt->b[i].count);
}

static void show_endpoint(const char *role, const struct cp_endpoint *ep,
			  const struct cp_buckets *rtt)
{
	const struct cp_stats *st = &ep->stats;
	char addr[64] = "*", buf[32];

	if (!ep->present)
		return;
	if (ep->family)
		format_addr(ep->family, ep->addr, addr, sizeof(addr));
	if (ep->family == AF_INET6)
		printf("  %-8s [%s] port %u", role, addr, ep->port);
	else
		printf("  %-8s %s port %u", role, addr, ep->port);
	if (ep->sockbuf) {
		format_size(ep->sockbuf, buf, sizeof(buf));
		printf("  sockbuf %s", buf);
	} else {
		printf("  sockbuf auto");
	}
	if (ep->cpu >= 0)
		printf("  cpu %d", ep->cpu);
	printf("\n           bytes %llu  calls %llu  elapsed %.3f s  %.3f Gb/s",
	       (unsigned long long)st->bytes, (unsigned long long)st->calls,
	       st->elapsed_ns / 1e9, st->bps / 1e9);
	if (st->done)
		printf("  cpu %.3f s%s%s", st->cpu_ns / 1e9,
		       st->error ? "  error " : "", errno_name(st->error));
	putchar('\n');
	if (st->has_verified)
		printf("           verified %llu bytes%s\n",
		       (unsigned long long)st->verified,
		       st->verified < st->bytes ? " (then a wrong byte)" : "");
	if (st->rtt.present)
		show_hist("           ", &st->rtt);
	if (rtt && st->rtt.present)
		show_buckets("             ", rtt);
	if (st->done && opt_stats)
		printf("           tcp rtt %u us  rttvar %u us  cwnd %u  retrans %u (dsack %u, reordered %u)  mss %u\n",
		       st->rtt_us, st->rttvar_us, st->cwnd, st->retrans,
		       st->dsack_dups, st->reord_seen, st->mss);
	for (unsigned int i = 0; ep->n_flows > 1 && i < ep->n_flows; i++) {
		const struct cp_flow *f = &ep->flows[i];

		printf("           flow %u  thread %u  port %u -> %u  bytes %llu  %.3f Gb/s%s%s\n",
		       f->index, f->thread, f->local_port, f->peer_port,
		       (unsigned long long)f->stats.bytes, f->stats.bps / 1e9,
		       f->stats.error ? "  error " : "", errno_name(f->stats.error));
	}
}

void cp_session_show(const struct cp_session *s, const struct cp_buckets *rtt)
{
	char buf[32], buf2[32];

	printf("session %u %s %s", s->id, cp_kind_name(s->kind),
	       cp_state_name(s->state));
	if (s->kind == CALPERF_KIND_RR) {
		format_size(s->req_size, buf, sizeof(buf));
		format_size(s->resp_size, buf2, sizeof(buf2));
		printf("  request %s  response %s", buf, buf2);
		if (s->count_limit)
			printf("  count %llu", (unsigned long long)s->count_limit);
	} else {
		format_size(s->msg_size, buf, sizeof(buf));
		printf("  msg %s", buf);
		if (s->bytes_limit)
			printf("  bytes %llu", (unsigned long long)s->bytes_limit);
	}
	if (s->duration_ms)
		printf("  time %.3f s", s->duration_ms / 1e3);
	if (s->interval_ms)
		printf("  interval %.3f s", s->interval_ms / 1e3);
	if (s->nodelay)
		printf("  nodelay");
	if (s->zerocopy_send)
		printf("  zerocopy");
	if (s->nocopy_recv)
		printf("  nocopy");
	if (s->verify)
		printf("  verify");
	if (s->nr_flows > 1)
		printf("  flows %u  threads %u", s->nr_flows, s->nr_threads);
	if (s->congestion[0])
		printf("  congestion %s", s->congestion);
	if (s->has_error && s->error)
		printf("  error %s", errno_name(s->error));
	putchar('\n');
	show_endpoint("sender", &s->sender, rtt);
	show_endpoint("receiver", &s->receiver, NULL);
}

static void json_hist(const char *key, const struct cp_hist *h,
		      const struct cp_buckets *rtt)
{
	json_open(key, '{');
	json_u64("count", h->count);
	json_u64("min_ns", h->min);
	json_u64("mean_ns", h->mean);
	json_u64("max_ns", h->max);
	json_u64("p50_ns", h->p50);
	json_u64("p90_ns", h->p90);
	json_u64("p99_ns", h->p99);
	json_u64("p99_9_ns", h->p999);
	if (rtt) {
		json_open("buckets", '[');
		for (size_t i = 0; i < rtt->n; i++) {
			json_open(NULL, '{');
			json_u64("lower_ns", rtt->b[i].lower);
			json_u64("width_ns", rtt->b[i].width);
			json_u64("count", rtt->b[i].count);
			json_close();
		}
		json_close();
	}
	json_close();
}

static void json_stats(const struct cp_stats *st, const struct cp_buckets *rtt,
		       bool cpu)
{
	json_open("stats", '{');
	json_bool("done", st->done);
	json_u64("bytes", st->bytes);
	json_u64("calls", st->calls);
	json_u64("elapsed_ns", st->elapsed_ns);
	json_u64("throughput_bps", st->bps);
	if (st->has_verified)
		json_u64("verified_bytes", st->verified);
	if (st->rtt.present)
		json_hist("rtt", &st->rtt, rtt);
	if (st->done) {
		if (cpu)
			json_u64("cpu_ns", st->cpu_ns);
		json_s64("error", st->error);
		json_str("error_name", errno_name(st->error));
		json_open("tcp", '{');
		json_u64("rtt_us", st->rtt_us);
		json_u64("rttvar_us", st->rttvar_us);
		json_u64("cwnd", st->cwnd);
		json_u64("retrans", st->retrans);
		json_u64("mss", st->mss);
		json_u64("reord_seen", st->reord_seen);
		json_u64("dsack_dups", st->dsack_dups);
		json_close();
	}
	json_close();
}

static void json_endpoint(const char *role, const struct cp_endpoint *ep,
			  const struct cp_buckets *rtt)
{
	char addr[64];

	if (!ep->present)
		return;
	json_open(role, '{');
	if (ep->family) {
		format_addr(ep->family, ep->addr, addr, sizeof(addr));
		json_str("addr", addr);
	}
	json_u64("port", ep->port);
	json_u64("sockbuf", ep->sockbuf);
	if (ep->cpu >= 0)
		json_u64("cpu", ep->cpu);
	json_stats(&ep->stats, rtt, true);
	if (ep->n_flows) {
		json_open("flows", '[');
		for (unsigned int i = 0; i < ep->n_flows; i++) {
			const struct cp_flow *f = &ep->flows[i];

			json_open(NULL, '{');
			json_u64("index", f->index);
			json_u64("thread", f->thread);
			if (f->cpu >= 0)
				json_u64("cpu", f->cpu);
			json_u64("local_port", f->local_port);
			json_u64("peer_port", f->peer_port);
			json_stats(&f->stats, NULL, false);
			json_close();
		}
		json_close();
	}
	json_close();
}

static void json_hop_lat(const struct cp_hop *h)
{
	json_u64("count", h->count);
	json_u64("min_ns", h->min);
	json_u64("p50_ns", h->p50);
	json_u64("p90_ns", h->p90);
	json_u64("p99_ns", h->p99);
	json_u64("max_ns", h->max);
}

void cp_hops_json(const struct cp_hops *hs)
{
	if (!hs->present)
		return;
	json_open("hops", '{');
	json_u64("sampled", hs->sampled);
	json_u64("complete", hs->complete);
	json_u64("other_path", hs->other_path);
	json_u64("retransmitted", hs->retransmitted);
	json_u64("truncated", hs->truncated);
	json_u64("skipped", hs->skipped);
	json_open("end_to_end", '{');
	json_hop_lat(&hs->end_to_end);
	json_close();
	json_open("path", '[');
	for (unsigned int i = 0; i < hs->n; i++) {
		const struct cp_hop *h = &hs->hop[i];

		json_open(NULL, '{');
		json_str("point", cp_hop_point_name(h->point));
		json_u64("ifindex", h->ifindex);
		json_str("ifname", h->ifname);
		json_u64("netns", h->netns);
		json_hop_lat(h);
		json_close();
	}
	json_close();
	json_close();
}

void cp_session_json(const char *key, const struct cp_session *s,
		     const struct cp_buckets *rtt)
{
	json_open(key, '{');
	json_u64("id", s->id);
	json_str("kind", cp_kind_name(s->kind));
	json_str("state", cp_state_name(s->state));
	if (s->kind == CALPERF_KIND_RR) {
		json_u64("req_size", s->req_size);
		json_u64("resp_size", s->resp_size);
		if (s->count_limit)
			json_u64("count_limit", s->count_limit);
	} else {
		json_u64("msg_size", s->msg_size);
		if (s->bytes_limit)
			json_u64("bytes_limit", s->bytes_limit);
	}
	if (s->duration_ms)
		json_u64("duration_ms", s->duration_ms);
	if (s->interval_ms)
		json_u64("interval_ms", s->interval_ms);
	json_bool("nodelay", s->nodelay);
	if (s->hop_sample)
		json_u64("hop_sample", s->hop_sample);
	if (s->kind == CALPERF_KIND_STREAM) {
		json_u64("flows", s->nr_flows);
		json_u64("threads", s->nr_threads);
		json_bool("zerocopy_send", s->zerocopy_send);
		json_bool("nocopy_recv", s->nocopy_recv);
		json_bool("verify", s->verify);
	}
	if (s->congestion[0])
		json_str("congestion", s->congestion);
	if (s->has_error) {
		json_s64("error", s->error);
		json_str("error_name", errno_name(s->error));
	}
	json_endpoint("sender", &s->sender, rtt);
	json_endpoint("receiver", &s->receiver, NULL);
	cp_cpu_json(s);
	cp_hops_json(&s->hops);
	json_close();
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
