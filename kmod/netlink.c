// SPDX-License-Identifier: GPL-2.0
/*
 * The "calperf" generic netlink family: commands, replies and the
 * "monitor" notifications. The policies and the ops table are generated
 * from the spec into netlink-gen.c; sessions live in session.c.
 */

#include <linux/capability.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/math64.h>
#include <linux/pid_namespace.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>

#include "calperf.h"
#include "compat.h"
#include "netlink-gen.h"
#include "results.h"

static struct genl_family calperf_family;

enum calperf_nl_mcgrp {
	CALPERF_NLGRP_MONITOR,
};

/* Missing required attribute: say which, by name and by type. */
#define CALPERF_REQUIRE(extack, nest, tb, type, msg) ({			\
	struct netlink_ext_ack *__ext = (extack);			\
	bool __missing = !(tb)[type];					\
	if (__missing) {						\
		NL_SET_ERR_MSG(__ext, msg);				\
		NL_SET_ERR_ATTR_MISS(__ext, nest, type);		\
	}								\
	__missing;							\
})

static struct net *calperf_nl_endpoint_net(struct sk_buff *skb,
					   struct genl_info *info,
					   struct nlattr **tb)
{
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr *fd = tb[CALPERF_A_ENDPOINT_NETNS_FD];
	struct nlattr *pid = tb[CALPERF_A_ENDPOINT_NETNS_PID];
	struct net *net;

	if (fd && pid) {
		NL_SET_ERR_MSG_ATTR(extack, pid,
				    "netns-fd and netns-pid are exclusive");
		return ERR_PTR(-EINVAL);
	}
	if (fd) {
		net = get_net_ns_by_fd(nla_get_s32(fd));
		if (IS_ERR(net)) {
			NL_SET_ERR_MSG_ATTR(extack, fd,
					    "netns-fd is not a network namespace");
			return net;
		}
	} else if (pid) {
		net = get_net_ns_by_pid(nla_get_u32(pid));
		if (IS_ERR(net)) {
			NL_SET_ERR_MSG_ATTR(extack, pid, "netns-pid: no such process");
			return net;
		}
	} else {
		return get_net(genl_info_net(info));
	}
	/* As rtnetlink does: configuring a netns needs CAP_NET_ADMIN over it. */
	if (!netlink_ns_capable(skb, net->user_ns, CAP_NET_ADMIN)) {
		NL_SET_ERR_MSG_ATTR(extack, fd ?: pid,
				    "no CAP_NET_ADMIN over that network namespace");
		put_net(net);
		return ERR_PTR(-EPERM);
	}
	return net;
}

static int calperf_nl_parse_endpoint(struct sk_buff *skb,
				     struct genl_info *info,
				     struct nlattr *nest,
				     struct calperf_endpoint *ep,
				     bool sender, u32 sockbuf)
{
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr *tb[CALPERF_A_ENDPOINT_MAX + 1];
	struct nlattr *a4, *a6;
	struct net *net;
	int err;

	err = nla_parse_nested(tb, CALPERF_A_ENDPOINT_MAX, nest,
			       calperf_endpoint_request_nl_policy, extack);
	if (err)
		return err;

	a4 = tb[CALPERF_A_ENDPOINT_ADDR4];
	a6 = tb[CALPERF_A_ENDPOINT_ADDR6];
	if (a4 && a6) {
		NL_SET_ERR_MSG_ATTR(extack, a6, "addr4 and addr6 are exclusive");
		return -EINVAL;
	}
	if (sender && !a4 && !a6) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "sender needs the address to connect to (addr4 or addr6)");
		NL_SET_ERR_ATTR_MISS(extack, nest, CALPERF_A_ENDPOINT_ADDR4);
		return -EINVAL;
	}
	if (sender && CALPERF_REQUIRE(extack, nest, tb, CALPERF_A_ENDPOINT_PORT,
				      "sender needs the port to connect to"))
		return -EINVAL;
	if (!sender && CALPERF_REQUIRE(extack, nest, tb, CALPERF_A_ENDPOINT_PORT,
				       "receiver needs the port to listen on"))
		return -EINVAL;

	if (a4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ep->addr;

		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = nla_get_be32(a4);
	} else if (a6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ep->addr;

		sin6->sin6_family = AF_INET6;
		nla_memcpy(&sin6->sin6_addr, a6, sizeof(sin6->sin6_addr));
	}
	ep->port = nla_get_u16(tb[CALPERF_A_ENDPOINT_PORT]);
	if (tb[CALPERF_A_ENDPOINT_CPU])
		ep->cpu = nla_get_u32(tb[CALPERF_A_ENDPOINT_CPU]);
	ep->sockbuf = sockbuf;
	if (tb[CALPERF_A_ENDPOINT_SOCKBUF])
		ep->sockbuf = nla_get_u32(tb[CALPERF_A_ENDPOINT_SOCKBUF]);

	net = calperf_nl_endpoint_net(skb, info, tb);
	if (IS_ERR(net))
		return PTR_ERR(net);
	ep->net = net;
	ep->present = true;
	return 0;
}

/* The references parsing took on the endpoints' namespaces. */
static void calperf_nl_put_nets(struct net *tx, struct net *rx)
{
	if (tx)
		put_net(tx);
	if (rx)
		put_net(rx);
}

/* An attribute given to the wrong kind of session. */
#define CALPERF_REJECT(extack, attr, msg) ({				\
	const struct nlattr *__a = (attr);				\
	if (__a)							\
		NL_SET_ERR_MSG_ATTR(extack, __a, msg);			\
	!!__a;								\
})

static int calperf_nl_parse_kind_attrs(struct genl_info *info,
				       struct calperf_session *s)
{
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr **attrs = info->attrs;

	if (s->kind != CALPERF_KIND_STREAM &&
	    (CALPERF_REJECT(extack, attrs[CALPERF_A_SESSION_MSG_SIZE],
			    "msg-size is for stream sessions") ||
	     CALPERF_REJECT(extack, attrs[CALPERF_A_SESSION_BYTES_LIMIT],
			    "bytes-limit is for stream sessions") ||
	     CALPERF_REJECT(extack, attrs[CALPERF_A_SESSION_ZEROCOPY_SEND],
			    "zerocopy-send is for stream sessions") ||
	     CALPERF_REJECT(extack, attrs[CALPERF_A_SESSION_NOCOPY_RECV],
			    "nocopy-recv is for stream sessions") ||
	     CALPERF_REJECT(extack, attrs[CALPERF_A_SESSION_VERIFY],
			    "verify is for stream sessions") ||
	     CALPERF_REJECT(extack, attrs[CALPERF_A_SESSION_FLOWS],
			    "flows is for stream sessions") ||
	     CALPERF_REJECT(extack, attrs[CALPERF_A_SESSION_THREADS],
			    "threads is for stream sessions")))
		return -EINVAL;
	if (s->kind != CALPERF_KIND_RR &&
	    (CALPERF_REJECT(extack, attrs[CALPERF_A_SESSION_REQ_SIZE],
			    "req-size is for rr sessions") ||
	     CALPERF_REJECT(extack, attrs[CALPERF_A_SESSION_RESP_SIZE],
			    "resp-size is for rr sessions") ||
	     CALPERF_REJECT(extack, attrs[CALPERF_A_SESSION_COUNT_LIMIT],
			    "count-limit is for rr sessions")))
		return -EINVAL;
	if (attrs[CALPERF_A_SESSION_MSG_SIZE])
		s->msg_size = nla_get_u32(attrs[CALPERF_A_SESSION_MSG_SIZE]);
	if (attrs[CALPERF_A_SESSION_BYTES_LIMIT])
		s->bytes_limit = nla_get_u64(attrs[CALPERF_A_SESSION_BYTES_LIMIT]);
	if (attrs[CALPERF_A_SESSION_REQ_SIZE])
		s->req_size = nla_get_u32(attrs[CALPERF_A_SESSION_REQ_SIZE]);
	if (attrs[CALPERF_A_SESSION_RESP_SIZE])
		s->resp_size = nla_get_u32(attrs[CALPERF_A_SESSION_RESP_SIZE]);
	if (attrs[CALPERF_A_SESSION_COUNT_LIMIT])
		s->count_limit = nla_get_u64(attrs[CALPERF_A_SESSION_COUNT_LIMIT]);
	s->zerocopy_send = nla_get_flag(attrs[CALPERF_A_SESSION_ZEROCOPY_SEND]);
	s->nocopy_recv = nla_get_flag(attrs[CALPERF_A_SESSION_NOCOPY_RECV]);
	s->verify = nla_get_flag(attrs[CALPERF_A_SESSION_VERIFY]);
	if (attrs[CALPERF_A_SESSION_FLOWS])
		s->nr_flows = nla_get_u32(attrs[CALPERF_A_SESSION_FLOWS]);
	if (attrs[CALPERF_A_SESSION_THREADS])
		s->nr_threads = nla_get_u32(attrs[CALPERF_A_SESSION_THREADS]);
	if (attrs[CALPERF_A_SESSION_HOP_SAMPLE])
		s->hop_every = nla_get_u32(attrs[CALPERF_A_SESSION_HOP_SAMPLE]);
	if (s->nr_threads > s->nr_flows) {
		NL_SET_ERR_MSG_ATTR(extack, attrs[CALPERF_A_SESSION_THREADS],
				    "more threads than flows");
		return -EINVAL;
	}
	if (s->bytes_limit && s->bytes_limit < s->nr_flows) {
		NL_SET_ERR_MSG_ATTR(extack, attrs[CALPERF_A_SESSION_BYTES_LIMIT],
				    "bytes-limit is less than a byte per flow");
		return -EINVAL;
	}
	return 0;
}

static int calperf_nl_parse_session(struct sk_buff *skb,
				    struct genl_info *info,
				    struct calperf_session *s)
{
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr **attrs = info->attrs;
	struct nlattr *tx = attrs[CALPERF_A_SESSION_SENDER];
	struct nlattr *rx = attrs[CALPERF_A_SESSION_RECEIVER];
	u32 sockbuf;
	int err;

	if (CALPERF_REQUIRE(extack, NULL, attrs, CALPERF_A_SESSION_KIND,
			    "missing session kind"))
		return -EINVAL;
	s->kind = nla_get_u8(attrs[CALPERF_A_SESSION_KIND]);
	if (!tx && !rx) {
		NL_SET_ERR_MSG(extack, "a session needs a sender, a receiver or both");
		NL_SET_ERR_ATTR_MISS(extack, NULL, CALPERF_A_SESSION_SENDER);
		return -EINVAL;
	}
	err = calperf_nl_parse_kind_attrs(info, s);
	if (err)
		return err;
	if (attrs[CALPERF_A_SESSION_DURATION_MS])
		s->duration_ms = nla_get_u32(attrs[CALPERF_A_SESSION_DURATION_MS]);
	if (attrs[CALPERF_A_SESSION_INTERVAL_MS])
		s->interval_ms = nla_get_u32(attrs[CALPERF_A_SESSION_INTERVAL_MS]);
	if (tx && !s->duration_ms && !s->bytes_limit && !s->count_limit)
		s->duration_ms = CALPERF_DEFAULT_DURATION_MS;
	s->nodelay = nla_get_flag(attrs[CALPERF_A_SESSION_NODELAY]);
	/*
	 * A stream's socket buffers follow its message size, as the seed
	 * experiment ran it (qperf needs -sb for that; -m alone autotunes).
	 */
	sockbuf = s->kind == CALPERF_KIND_STREAM ? s->msg_size : 0;
	if (attrs[CALPERF_A_SESSION_CONGESTION])
		nla_strscpy(s->congestion, attrs[CALPERF_A_SESSION_CONGESTION],
			    sizeof(s->congestion));

	if (tx) {
		err = calperf_nl_parse_endpoint(skb, info, tx, &s->sender, true,
						sockbuf);
		if (err)
			return err;
	}
	if (rx) {
		err = calperf_nl_parse_endpoint(skb, info, rx, &s->receiver,
						false, sockbuf);
		if (err)
			return err;
	}
	if (tx && rx && s->receiver.addr.ss_family != AF_UNSPEC &&
	    s->receiver.addr.ss_family != s->sender.addr.ss_family) {
		NL_SET_ERR_MSG_ATTR(extack, rx,
				    "sender and receiver addresses differ in family");
		return -EINVAL;
	}
	return 0;
}

static int calperf_nl_put_u64(struct sk_buff *skb, int type, u64 v)
{
	return nla_put_u64_64bit(skb, type, v, CALPERF_A_HIST_PAD);
}

static int calperf_nl_put_buckets(struct sk_buff *skb,
				  const struct calperf_endpoint_results *ep)
{
	struct nlattr *b;

	for (unsigned int i = 0; i < ep->nr_buckets; i++) {
		const struct calperf_hist_bucket *k = &ep->buckets[i];

		b = nla_nest_start(skb, CALPERF_A_HIST_BUCKET);
		if (!b ||
		    nla_put_u64_64bit(skb, CALPERF_A_BUCKET_LOWER_NS,
				      k->lower_ns, CALPERF_A_BUCKET_PAD) ||
		    nla_put_u64_64bit(skb, CALPERF_A_BUCKET_WIDTH_NS,
				      k->width_ns, CALPERF_A_BUCKET_PAD) ||
		    nla_put_u64_64bit(skb, CALPERF_A_BUCKET_COUNT, k->count,
				      CALPERF_A_BUCKET_PAD))
			return -EMSGSIZE;
		nla_nest_end(skb, b);
	}
	return 0;
}

/* An rr client's round trips; whole if the read took the buckets. */
static int calperf_nl_put_hist(struct sk_buff *skb, int type,
			       const struct calperf_endpoint_results *ep)
{
	const struct calperf_hist_result *h = &ep->rtt;
	struct nlattr *nest;

	nest = nla_nest_start(skb, type);
	if (!nest ||
	    calperf_nl_put_u64(skb, CALPERF_A_HIST_COUNT, h->count) ||
	    calperf_nl_put_u64(skb, CALPERF_A_HIST_MIN_NS, h->min_ns) ||
	    calperf_nl_put_u64(skb, CALPERF_A_HIST_MAX_NS, h->max_ns) ||
	    calperf_nl_put_u64(skb, CALPERF_A_HIST_MEAN_NS, h->mean_ns) ||
	    calperf_nl_put_u64(skb, CALPERF_A_HIST_P50_NS, h->p50_ns) ||
	    calperf_nl_put_u64(skb, CALPERF_A_HIST_P90_NS, h->p90_ns) ||
	    calperf_nl_put_u64(skb, CALPERF_A_HIST_P99_NS, h->p99_ns) ||
	    calperf_nl_put_u64(skb, CALPERF_A_HIST_P999_NS, h->p999_ns) ||
	    (ep->buckets && calperf_nl_put_buckets(skb, ep)))
		goto cancel;
	nla_nest_end(skb, nest);
	return 0;

cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

/*
 * @type: the nest's; @verify: the endpoint checks the payload; @ep: an
 * endpoint's totals (its CPU time and round trips), NULL for a flow's.
 */
static int calperf_nl_put_stats(struct sk_buff *skb, int type,
				const struct calperf_stats *st, bool verify,
				const struct calperf_endpoint_results *ep)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, type);
	if (!nest)
		return -EMSGSIZE;
	if (calperf_nl_put_u64(skb, CALPERF_A_STATS_BYTES, st->bytes) ||
	    calperf_nl_put_u64(skb, CALPERF_A_STATS_CALLS, st->calls) ||
	    calperf_nl_put_u64(skb, CALPERF_A_STATS_ELAPSED_NS,
			       st->elapsed_ns) ||
	    calperf_nl_put_u64(skb, CALPERF_A_STATS_THROUGHPUT_BPS,
			       st->throughput_bps) ||
	    (verify &&
	     calperf_nl_put_u64(skb, CALPERF_A_STATS_VERIFIED_BYTES,
				st->verified)))
		goto cancel;
	if (st->finished &&
	    (nla_put_flag(skb, CALPERF_A_STATS_DONE) ||
	     nla_put_s32(skb, CALPERF_A_STATS_ERROR, st->error) ||
	     (ep && calperf_nl_put_u64(skb, CALPERF_A_STATS_CPU_NS,
				       st->cpu_ns)) ||
	     nla_put_u32(skb, CALPERF_A_STATS_TCP_RTT_US, st->tcp.rtt_us) ||
	     nla_put_u32(skb, CALPERF_A_STATS_TCP_RTTVAR_US,
			 st->tcp.rttvar_us) ||
	     nla_put_u32(skb, CALPERF_A_STATS_TCP_CWND, st->tcp.cwnd) ||
	     nla_put_u32(skb, CALPERF_A_STATS_TCP_RETRANS, st->tcp.retrans) ||
	     nla_put_u32(skb, CALPERF_A_STATS_TCP_MSS, st->tcp.mss) ||
	     nla_put_u32(skb, CALPERF_A_STATS_TCP_REORD_SEEN,
			 st->tcp.reord_seen) ||
	     nla_put_u32(skb, CALPERF_A_STATS_TCP_DSACK_DUPS,
			 st->tcp.dsack_dups)))
		goto cancel;
	if (ep && ep->has_rtt &&
	    calperf_nl_put_hist(skb, CALPERF_A_STATS_RTT, ep))
		goto cancel;
	nla_nest_end(skb, nest);
	return 0;

cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

static int calperf_nl_put_flows(struct sk_buff *skb,
				const struct calperf_endpoint_results *ep)
{
	struct nlattr *nest;

	for (u32 i = 0; i < ep->nr_flows; i++) {
		const struct calperf_flow_results *f = &ep->flows[i];

		nest = nla_nest_start(skb, CALPERF_A_ENDPOINT_FLOW);
		if (!nest ||
		    nla_put_u32(skb, CALPERF_A_FLOW_INDEX, i) ||
		    nla_put_u32(skb, CALPERF_A_FLOW_THREAD, f->thread) ||
		    (f->cpu >= 0 &&
		     nla_put_u32(skb, CALPERF_A_FLOW_CPU, f->cpu)) ||
		    nla_put_u16(skb, CALPERF_A_FLOW_LOCAL_PORT, f->local_port) ||
		    nla_put_u16(skb, CALPERF_A_FLOW_PEER_PORT, f->peer_port) ||
		    calperf_nl_put_stats(skb, CALPERF_A_FLOW_STATS, &f->stats,
					 ep->verify, NULL))
			return -EMSGSIZE;
		nla_nest_end(skb, nest);
	}
	return 0;
}

/* An endpoint: how it was configured (@ep), and its results (@r). */
static int calperf_nl_put_endpoint(struct sk_buff *skb, int type,
				   const struct calperf_endpoint *ep,
				   const struct calperf_endpoint_results *r)
{
	const struct sockaddr_storage *ss = &ep->addr;
	struct nlattr *nest;

	if (!ep->present)
		return 0;
	nest = nla_nest_start(skb, type);
	if (!nest)
		return -EMSGSIZE;
	if (ss->ss_family == AF_INET &&
	    nla_put_in_addr(skb, CALPERF_A_ENDPOINT_ADDR4,
			    ((const struct sockaddr_in *)ss)->sin_addr.s_addr))
		goto cancel;
	if (ss->ss_family == AF_INET6 &&
	    nla_put_in6_addr(skb, CALPERF_A_ENDPOINT_ADDR6,
			     &((const struct sockaddr_in6 *)ss)->sin6_addr))
		goto cancel;
	if (nla_put_u16(skb, CALPERF_A_ENDPOINT_PORT, ep->port) ||
	    nla_put_u32(skb, CALPERF_A_ENDPOINT_SOCKBUF, ep->sockbuf) ||
	    (ep->cpu >= 0 && nla_put_u32(skb, CALPERF_A_ENDPOINT_CPU, ep->cpu)) ||
	    calperf_nl_put_stats(skb, CALPERF_A_ENDPOINT_STATS, &r->stats,
				 r->verify, r) ||
	    (r->flows && calperf_nl_put_flows(skb, r)))
		goto cancel;
	nla_nest_end(skb, nest);
	return 0;

cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

/* Attributes of the session's kind: what it was configured with. */
static int calperf_nl_put_kind_config(struct sk_buff *skb,
				      const struct calperf_session *s)
{
	if (s->kind == CALPERF_KIND_RR)
		return nla_put_u32(skb, CALPERF_A_SESSION_REQ_SIZE, s->req_size) ||
		       nla_put_u32(skb, CALPERF_A_SESSION_RESP_SIZE,
				   s->resp_size) ||
		       (s->count_limit &&
			nla_put_u64_64bit(skb, CALPERF_A_SESSION_COUNT_LIMIT,
					  s->count_limit,
					  CALPERF_A_SESSION_PAD));
	return nla_put_u32(skb, CALPERF_A_SESSION_MSG_SIZE, s->msg_size) ||
	       (s->bytes_limit &&
		nla_put_u64_64bit(skb, CALPERF_A_SESSION_BYTES_LIMIT,
				  s->bytes_limit, CALPERF_A_SESSION_PAD)) ||
	       (s->zerocopy_send &&
		nla_put_flag(skb, CALPERF_A_SESSION_ZEROCOPY_SEND)) ||
	       (s->nocopy_recv &&
		nla_put_flag(skb, CALPERF_A_SESSION_NOCOPY_RECV)) ||
	       (s->verify && nla_put_flag(skb, CALPERF_A_SESSION_VERIFY)) ||
	       nla_put_u32(skb, CALPERF_A_SESSION_FLOWS, s->nr_flows) ||
	       nla_put_u32(skb, CALPERF_A_SESSION_THREADS, s->nr_threads);
}

static int calperf_nl_put_cpu(struct sk_buff *skb,
			      const struct calperf_results *r)
{
	struct nlattr *nest, *c;

	nest = nla_nest_start(skb, CALPERF_A_SESSION_CPU);
	if (!nest ||
	    nla_put_u64_64bit(skb, CALPERF_A_CPU_ELAPSED_NS,
			      r->cpu_elapsed_ns, CALPERF_A_CPU_PAD))
		goto cancel;
	for (unsigned int i = 0; i < r->nr_cpus; i++) {
		const struct calperf_cpu_results *d = &r->cpus[i];

		c = nla_nest_start(skb, CALPERF_A_CPU_STAT);
		if (!c ||
		    nla_put_u32(skb, CALPERF_A_CPU_STAT_CPU, d->cpu) ||
		    calperf_nl_put_u64(skb, CALPERF_A_CPU_STAT_NET_RX_NS,
				       d->net_rx_ns) ||
		    calperf_nl_put_u64(skb, CALPERF_A_CPU_STAT_NET_TX_NS,
				       d->net_tx_ns) ||
		    calperf_nl_put_u64(skb, CALPERF_A_CPU_STAT_SOFTIRQ_OTHER_NS,
				       d->softirq_other_ns) ||
		    calperf_nl_put_u64(skb, CALPERF_A_CPU_STAT_SOFTIRQ_SELF_NS,
				       d->softirq_self_ns) ||
		    calperf_nl_put_u64(skb, CALPERF_A_CPU_STAT_HARDIRQ_NS,
				       d->hardirq_ns) ||
		    calperf_nl_put_u64(skb, CALPERF_A_CPU_STAT_BUSY_NS,
				       d->busy_ns) ||
		    calperf_nl_put_u64(skb, CALPERF_A_CPU_STAT_HARDIRQ_SELF_NS,
				       d->hardirq_self_ns))
			goto cancel;
		nla_nest_end(skb, c);
	}
	nla_nest_end(skb, nest);
	return 0;

cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

/* A point of the path (@m), or the whole of it (NULL), and its latency. */
static int calperf_nl_put_hop(struct sk_buff *skb, int type,
			      const struct calperf_hop_mark *m,
			      const struct calperf_hop_lat *l)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, type);
	if (!nest)
		return -EMSGSIZE;
	if ((m && (nla_put_u8(skb, CALPERF_A_HOP_POINT, m->point) ||
		   nla_put_u32(skb, CALPERF_A_HOP_IFINDEX, m->ifindex) ||
		   nla_put_string(skb, CALPERF_A_HOP_IFNAME, m->ifname) ||
		   nla_put_u32(skb, CALPERF_A_HOP_NETNS, m->netns))) ||
	    nla_put_u64_64bit(skb, CALPERF_A_HOP_COUNT, l->count,
			      CALPERF_A_HOP_PAD) ||
	    nla_put_u64_64bit(skb, CALPERF_A_HOP_MIN_NS, l->min_ns,
			      CALPERF_A_HOP_PAD) ||
	    nla_put_u64_64bit(skb, CALPERF_A_HOP_P50_NS, l->p50_ns,
			      CALPERF_A_HOP_PAD) ||
	    nla_put_u64_64bit(skb, CALPERF_A_HOP_P90_NS, l->p90_ns,
			      CALPERF_A_HOP_PAD) ||
	    nla_put_u64_64bit(skb, CALPERF_A_HOP_P99_NS, l->p99_ns,
			      CALPERF_A_HOP_PAD) ||
	    nla_put_u64_64bit(skb, CALPERF_A_HOP_MAX_NS, l->max_ns,
			      CALPERF_A_HOP_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* The hop report: counts, end to end, then each point of the path. */
static int calperf_nl_put_hops(struct sk_buff *skb,
			       const struct calperf_hops_result *h)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, CALPERF_A_SESSION_HOPS);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, CALPERF_A_HOPS_SAMPLED, h->sampled,
			      CALPERF_A_HOPS_PAD) ||
	    nla_put_u64_64bit(skb, CALPERF_A_HOPS_COMPLETE, h->complete,
			      CALPERF_A_HOPS_PAD) ||
	    nla_put_u64_64bit(skb, CALPERF_A_HOPS_OTHER_PATH, h->other_path,
			      CALPERF_A_HOPS_PAD) ||
	    nla_put_u64_64bit(skb, CALPERF_A_HOPS_RETRANSMITTED,
			      h->retransmitted, CALPERF_A_HOPS_PAD) ||
	    nla_put_u64_64bit(skb, CALPERF_A_HOPS_TRUNCATED, h->truncated,
			      CALPERF_A_HOPS_PAD) ||
	    nla_put_u64_64bit(skb, CALPERF_A_HOPS_SKIPPED, h->skipped,
			      CALPERF_A_HOPS_PAD))
		goto cancel;
	if (h->n_points &&
	    calperf_nl_put_hop(skb, CALPERF_A_HOPS_END_TO_END, NULL,
			       &h->end_to_end))
		goto cancel;
	for (unsigned int c = 0; c < h->n_points; c++)
		if (calperf_nl_put_hop(skb, CALPERF_A_HOPS_HOP, &h->path[c],
				       &h->lat[c]))
			goto cancel;
	nla_nest_end(skb, nest);
	return 0;

cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

/* @s's configuration and its results @r, read under the same lock. */
static int calperf_nl_fill_session(struct sk_buff *skb,
				   const struct calperf_session *s,
				   const struct calperf_results *r,
				   u32 portid, u32 seq, int flags, u8 cmd)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &calperf_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, CALPERF_A_SESSION_ID, s->id) ||
	    nla_put_u8(skb, CALPERF_A_SESSION_KIND, s->kind) ||
	    nla_put_u8(skb, CALPERF_A_SESSION_STATE, r->state) ||
	    calperf_nl_put_kind_config(skb, s) ||
	    (s->duration_ms &&
	     nla_put_u32(skb, CALPERF_A_SESSION_DURATION_MS, s->duration_ms)) ||
	    (s->interval_ms &&
	     nla_put_u32(skb, CALPERF_A_SESSION_INTERVAL_MS, s->interval_ms)) ||
	    (s->hop_every &&
	     nla_put_u32(skb, CALPERF_A_SESSION_HOP_SAMPLE, s->hop_every)) ||
	    (s->nodelay && nla_put_flag(skb, CALPERF_A_SESSION_NODELAY)) ||
	    (s->congestion[0] &&
	     nla_put_string(skb, CALPERF_A_SESSION_CONGESTION, s->congestion)) ||
	    (r->state == CALPERF_STATE_DONE &&
	     nla_put_s32(skb, CALPERF_A_SESSION_ERROR, r->error)) ||
	    (r->has_cpu && calperf_nl_put_cpu(skb, r)) ||
	    (r->has_hops && calperf_nl_put_hops(skb, r->hops)) ||
	    calperf_nl_put_endpoint(skb, CALPERF_A_SESSION_SENDER, &s->sender,
				    &r->sender) ||
	    calperf_nl_put_endpoint(skb, CALPERF_A_SESSION_RECEIVER,
				    &s->receiver, &r->receiver)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/*
 * Room for a reply of @r: the session's attributes and both endpoints'
 * totals fit a page; flows, buckets, CPUs (as many as the host has
 * possible) and the hop report are counted from the results themselves.
 */
static size_t calperf_nl_results_size(const struct calperf_results *r)
{
	size_t stats = nla_total_size(5 * nla_total_size_64bit(sizeof(u64)) +
				      nla_total_size(0) +
				      8 * nla_total_size(sizeof(u32)));
	size_t flow = nla_total_size(3 * nla_total_size(sizeof(u32)) +
				     2 * nla_total_size(sizeof(u16)) + stats);
	size_t bucket = nla_total_size(3 * nla_total_size_64bit(sizeof(u64)));
	size_t cpu = nla_total_size(nla_total_size(sizeof(u32)) +
				    7 * nla_total_size_64bit(sizeof(u64)));
	size_t hop = nla_total_size(nla_total_size(sizeof(u8)) +
				    2 * nla_total_size(sizeof(u32)) +
				    nla_total_size(IFNAMSIZ) +
				    6 * nla_total_size_64bit(sizeof(u64)));
	size_t size = NLMSG_GOODSIZE;

	size += (r->sender.nr_flows + r->receiver.nr_flows) * flow;
	size += r->sender.nr_buckets * bucket;
	if (r->has_cpu)
		size += nla_total_size(nla_total_size_64bit(sizeof(u64)) +
				       r->nr_cpus * cpu);
	if (r->has_hops)
		size += nla_total_size(6 * nla_total_size_64bit(sizeof(u64)) +
				       (CALPERF_HOP_POINTS + 1) * hop);
	return size;
}

/*
 * Read @s into @r and map it into @skb, under the session's lock: a
 * start sets its endpoints' addresses, and the read pairs with it.
 */
static int calperf_nl_fill_locked(struct sk_buff *skb,
				  struct calperf_session *s,
				  struct calperf_results *r, u32 portid,
				  u32 seq, int flags, u8 cmd)
{
	int err;

	mutex_lock(&s->lock);
	err = calperf_results_read(s, r) ?:
	      calperf_nl_fill_session(skb, s, r, portid, seq, flags, cmd);
	mutex_unlock(&s->lock);
	return err;
}

int calperf_nl_session_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct calperf_results *r = NULL;
	struct sk_buff *msg = NULL;
	struct calperf_session *s;
	struct net *tx, *rx;
	int err;

	s = calperf_session_alloc(genl_info_net(info));
	if (!s)
		return -ENOMEM;
	err = calperf_nl_parse_session(skb, info, s);
	/* All the reply needs, before the session can be found. */
	if (!err) {
		r = calperf_results_alloc(s, 0);
		msg = r ? genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL) : NULL;
		if (!msg)
			err = -ENOMEM;
	}
	if (!err)
		err = calperf_session_add(s, info->extack);
	/*
	 * Published (or not): from here the pernet exit hook finds the
	 * session, so our references on its namespaces can go. Our own
	 * reference on the session keeps it while we reply.
	 */
	tx = s->sender.net;
	rx = s->receiver.net;
	calperf_nl_put_nets(tx, rx);
	if (!err)
		err = calperf_nl_fill_locked(msg, s, r, info->snd_portid,
					     info->snd_seq, 0,
					     CALPERF_CMD_SESSION_NEW);
	calperf_results_free(r);
	calperf_session_put(s);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

/* The session named by the request, with a reference, or an ERR_PTR. */
static struct calperf_session *calperf_nl_get(struct genl_info *info)
{
	struct nlattr *id = info->attrs[CALPERF_A_SESSION_ID];
	struct calperf_session *s;

	if (CALPERF_REQUIRE(info->extack, NULL, info->attrs,
			    CALPERF_A_SESSION_ID, "missing session id"))
		return ERR_PTR(-EINVAL);
	s = calperf_session_get_by_id(genl_info_net(info), nla_get_u32(id));
	if (!s) {
		NL_SET_ERR_MSG_ATTR(info->extack, id, "no such session");
		return ERR_PTR(-ENOENT);
	}
	return s;
}

int calperf_nl_session_start_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct calperf_session *s;
	int err;

	s = calperf_nl_get(info);
	if (IS_ERR(s))
		return PTR_ERR(s);
	mutex_lock(&s->lock);
	err = calperf_session_start(s, info->extack);
	mutex_unlock(&s->lock);
	calperf_session_put(s);
	return err;
}

int calperf_nl_session_stop_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct calperf_session *s;
	int err = 0;

	s = calperf_nl_get(info);
	if (IS_ERR(s))
		return PTR_ERR(s);
	mutex_lock(&s->lock);
	if (s->state == CALPERF_STATE_CREATED) {
		NL_SET_ERR_MSG(info->extack, "session has not been started");
		err = -EINVAL;
	} else {
		calperf_session_stop(s);
	}
	mutex_unlock(&s->lock);
	calperf_session_put(s);
	return err;
}

int calperf_nl_session_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *id = info->attrs[CALPERF_A_SESSION_ID];
	int err;

	if (CALPERF_REQUIRE(info->extack, NULL, info->attrs,
			    CALPERF_A_SESSION_ID, "missing session id"))
		return -EINVAL;
	err = calperf_session_delete(genl_info_net(info), nla_get_u32(id));
	if (err == -ENOENT)
		NL_SET_ERR_MSG_ATTR(info->extack, id, "no such session");
	return err;
}

/* Per-CPU figures are the host's: only for CAP_NET_ADMIN in init_user_ns. */
static unsigned int calperf_nl_read_detail(const struct sk_buff *skb)
{
	return netlink_capable(skb, CAP_NET_ADMIN) ? CALPERF_RESULTS_CPU : 0;
}

int calperf_nl_session_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	unsigned int detail = CALPERF_RESULTS_FLOWS | CALPERF_RESULTS_HOPS |
			      calperf_nl_read_detail(skb);
	struct calperf_results *r;
	struct calperf_session *s;
	struct sk_buff *msg = NULL;
	int err;

	if (nla_get_flag(info->attrs[CALPERF_A_SESSION_HIST_BUCKETS]))
		detail |= CALPERF_RESULTS_BUCKETS;
	s = calperf_nl_get(info);
	if (IS_ERR(s))
		return PTR_ERR(s);
	r = calperf_results_alloc(s, detail);
	if (!r) {
		calperf_session_put(s);
		return -ENOMEM;
	}
	/* As calperf_nl_fill_locked(), with a message sized from the read. */
	mutex_lock(&s->lock);
	err = calperf_results_read(s, r);
	if (!err) {
		msg = genlmsg_new(calperf_nl_results_size(r), GFP_KERNEL);
		err = msg ? calperf_nl_fill_session(msg, s, r, info->snd_portid,
						    info->snd_seq, 0,
						    info->genlhdr->cmd) :
			    -ENOMEM;
	}
	mutex_unlock(&s->lock);
	calperf_results_free(r);
	calperf_session_put(s);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

/* cb->args[0]: the last session id sent; ids only grow. */
int calperf_nl_session_get_dumpit(struct sk_buff *skb,
				  struct netlink_callback *cb)
{
	unsigned int detail = calperf_nl_read_detail(cb->skb);
	struct net *net = sock_net(skb->sk);
	struct calperf_results *r;
	struct calperf_session *s;
	int err = 0;

	while ((s = calperf_session_get_next(net, cb->args[0]))) {
		r = calperf_results_alloc(s, detail);
		err = r ? calperf_nl_fill_locked(skb, s, r,
						 NETLINK_CB(cb->skb).portid,
						 cb->nlh->nlmsg_seq, NLM_F_MULTI,
						 CALPERF_CMD_SESSION_GET) :
			  -ENOMEM;
		calperf_results_free(r);
		if (!err)
			cb->args[0] = s->id;
		calperf_session_put(s);
		if (err)
			break;
	}
	/* A full skb is not an error: the dump resumes in the next one. */
	if (err == -EMSGSIZE && skb->len)
		err = 0;
	return err ?: skb->len;
}

/*
 * Tell "monitor" listeners about @s: that it finished, with its results
 * (CALPERF_CMD_SESSION_DONE), or how far it has got (..._INTERVAL). The
 * hop report, which sorts every sample, comes with the results only.
 * Called by the last kthread to finish, or by the interval report: both
 * run after the start and before the reap, and need no lock (results.h).
 */
void calperf_nl_notify(struct calperf_session *s, u8 cmd)
{
	bool done = cmd == CALPERF_CMD_SESSION_DONE;
	unsigned int detail = CALPERF_RESULTS_FLOWS | CALPERF_RESULTS_CPU |
			      (done ? CALPERF_RESULTS_HOPS : 0);
	struct calperf_results *r;
	struct sk_buff *msg;

	/*
	 * Joining the group takes CAP_NET_ADMIN over the namespace's user
	 * namespace: events carry host-wide figures, so only namespaces of
	 * the initial one, where that means the host's administrator, get
	 * them. (Neither kernel lets a family refuse a join itself.)
	 */
	if (s->owner->user_ns != &init_user_ns ||
	    !genl_has_listeners(&calperf_family, s->owner,
				CALPERF_NLGRP_MONITOR))
		return;
	r = calperf_results_alloc(s, detail);
	if (!r)
		return;
	if (calperf_results_read(s, r))
		goto out;
	msg = genlmsg_new(calperf_nl_results_size(r), GFP_KERNEL);
	if (!msg)
		goto out;
	if (calperf_nl_fill_session(msg, s, r, 0, 0, 0, cmd)) {
		nlmsg_free(msg);
		goto out;
	}
	genlmsg_multicast_netns(&calperf_family, s->owner, msg, 0,
				CALPERF_NLGRP_MONITOR, GFP_KERNEL);
out:
	calperf_results_free(r);
}

/* Written here: the spec's generator cannot give a group its flags. */
static const struct genl_multicast_group calperf_nl_mcgrps[] = {
	[CALPERF_NLGRP_MONITOR] = {
		.name = CALPERF_MCGRP_MONITOR,
		.flags = GENL_MCAST_CAP_NET_ADMIN,
	},
};

static struct genl_family calperf_family __ro_after_init = {
	.name = CALPERF_FAMILY_NAME,
	.version = CALPERF_FAMILY_VERSION,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = calperf_nl_ops,
	.n_ops = ARRAY_SIZE(calperf_nl_ops),
	.resv_start_op = 0,	/* strict validation of every command */
	.mcgrps = calperf_nl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(calperf_nl_mcgrps),
};

int __init calperf_nl_init(void)
{
	return genl_register_family(&calperf_family);
}

void calperf_nl_exit(void)
{
	genl_unregister_family(&calperf_family);
}
