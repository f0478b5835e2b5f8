// SPDX-License-Identifier: GPL-2.0
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/calperf.yaml */
/* by scripts/ynl-names */

#include <stddef.h>
#include <string.h>

#include <linux/calperf.h>

#include "attr-names.h"

struct attr_name {
	const char *name;
	const char *nested;	/* the set a nest holds */
};

static const struct attr_name session_names[] = {
	[CALPERF_A_SESSION_UNSPEC] = { "unspec", NULL },
	[CALPERF_A_SESSION_ID] = { "id", NULL },
	[CALPERF_A_SESSION_KIND] = { "kind", NULL },
	[CALPERF_A_SESSION_STATE] = { "state", NULL },
	[CALPERF_A_SESSION_MSG_SIZE] = { "msg-size", NULL },
	[CALPERF_A_SESSION_DURATION_MS] = { "duration-ms", NULL },
	[CALPERF_A_SESSION_BYTES_LIMIT] = { "bytes-limit", NULL },
	[CALPERF_A_SESSION_NODELAY] = { "nodelay", NULL },
	[CALPERF_A_SESSION_CONGESTION] = { "congestion", NULL },
	[CALPERF_A_SESSION_SENDER] = { "sender", "endpoint" },
	[CALPERF_A_SESSION_RECEIVER] = { "receiver", "endpoint" },
	[CALPERF_A_SESSION_ERROR] = { "error", NULL },
	[CALPERF_A_SESSION_REQ_SIZE] = { "req-size", NULL },
	[CALPERF_A_SESSION_RESP_SIZE] = { "resp-size", NULL },
	[CALPERF_A_SESSION_COUNT_LIMIT] = { "count-limit", NULL },
	[CALPERF_A_SESSION_HIST_BUCKETS] = { "hist-buckets", NULL },
	[CALPERF_A_SESSION_CPU] = { "cpu", "cpu" },
	[CALPERF_A_SESSION_INTERVAL_MS] = { "interval-ms", NULL },
	[CALPERF_A_SESSION_ZEROCOPY_SEND] = { "zerocopy-send", NULL },
	[CALPERF_A_SESSION_NOCOPY_RECV] = { "nocopy-recv", NULL },
	[CALPERF_A_SESSION_VERIFY] = { "verify", NULL },
	[CALPERF_A_SESSION_FLOWS] = { "flows", NULL },
	[CALPERF_A_SESSION_THREADS] = { "threads", NULL },
	[CALPERF_A_SESSION_HOP_SAMPLE] = { "hop-sample", NULL },
	[CALPERF_A_SESSION_HOPS] = { "hops", "hops" },
};

static const struct attr_name endpoint_names[] = {
	[CALPERF_A_ENDPOINT_UNSPEC] = { "unspec", NULL },
	[CALPERF_A_ENDPOINT_NETNS_FD] = { "netns-fd", NULL },
	[CALPERF_A_ENDPOINT_NETNS_PID] = { "netns-pid", NULL },
	[CALPERF_A_ENDPOINT_ADDR4] = { "addr4", NULL },
	[CALPERF_A_ENDPOINT_ADDR6] = { "addr6", NULL },
	[CALPERF_A_ENDPOINT_PORT] = { "port", NULL },
	[CALPERF_A_ENDPOINT_CPU] = { "cpu", NULL },
	[CALPERF_A_ENDPOINT_SOCKBUF] = { "sockbuf", NULL },
	[CALPERF_A_ENDPOINT_STATS] = { "stats", "stats" },
	[CALPERF_A_ENDPOINT_FLOW] = { "flow", "flow" },
};

static const struct attr_name hops_names[] = {
	[CALPERF_A_HOPS_UNSPEC] = { "unspec", NULL },
	[CALPERF_A_HOPS_SAMPLED] = { "sampled", NULL },
	[CALPERF_A_HOPS_COMPLETE] = { "complete", NULL },
	[CALPERF_A_HOPS_OTHER_PATH] = { "other-path", NULL },
	[CALPERF_A_HOPS_RETRANSMITTED] = { "retransmitted", NULL },
	[CALPERF_A_HOPS_SKIPPED] = { "skipped", NULL },
	[CALPERF_A_HOPS_END_TO_END] = { "end-to-end", "hop" },
	[CALPERF_A_HOPS_HOP] = { "hop", "hop" },
	[CALPERF_A_HOPS_TRUNCATED] = { "truncated", NULL },
};

static const struct attr_name hop_names[] = {
	[CALPERF_A_HOP_UNSPEC] = { "unspec", NULL },
	[CALPERF_A_HOP_POINT] = { "point", NULL },
	[CALPERF_A_HOP_IFINDEX] = { "ifindex", NULL },
	[CALPERF_A_HOP_IFNAME] = { "ifname", NULL },
	[CALPERF_A_HOP_NETNS] = { "netns", NULL },
	[CALPERF_A_HOP_COUNT] = { "count", NULL },
	[CALPERF_A_HOP_MIN_NS] = { "min-ns", NULL },
	[CALPERF_A_HOP_P50_NS] = { "p50-ns", NULL },
	[CALPERF_A_HOP_P90_NS] = { "p90-ns", NULL },
	[CALPERF_A_HOP_P99_NS] = { "p99-ns", NULL },
	[CALPERF_A_HOP_MAX_NS] = { "max-ns", NULL },
};

static const struct attr_name flow_names[] = {
	[CALPERF_A_FLOW_UNSPEC] = { "unspec", NULL },
	[CALPERF_A_FLOW_INDEX] = { "index", NULL },
	[CALPERF_A_FLOW_THREAD] = { "thread", NULL },
	[CALPERF_A_FLOW_CPU] = { "cpu", NULL },
	[CALPERF_A_FLOW_LOCAL_PORT] = { "local-port", NULL },
	[CALPERF_A_FLOW_PEER_PORT] = { "peer-port", NULL },
	[CALPERF_A_FLOW_STATS] = { "stats", "stats" },
};

static const struct attr_name stats_names[] = {
	[CALPERF_A_STATS_UNSPEC] = { "unspec", NULL },
	[CALPERF_A_STATS_BYTES] = { "bytes", NULL },
	[CALPERF_A_STATS_CALLS] = { "calls", NULL },
	[CALPERF_A_STATS_ELAPSED_NS] = { "elapsed-ns", NULL },
	[CALPERF_A_STATS_THROUGHPUT_BPS] = { "throughput-bps", NULL },
	[CALPERF_A_STATS_CPU_NS] = { "cpu-ns", NULL },
	[CALPERF_A_STATS_ERROR] = { "error", NULL },
	[CALPERF_A_STATS_DONE] = { "done", NULL },
	[CALPERF_A_STATS_TCP_RTT_US] = { "tcp-rtt-us", NULL },
	[CALPERF_A_STATS_TCP_RTTVAR_US] = { "tcp-rttvar-us", NULL },
	[CALPERF_A_STATS_TCP_CWND] = { "tcp-cwnd", NULL },
	[CALPERF_A_STATS_TCP_RETRANS] = { "tcp-retrans", NULL },
	[CALPERF_A_STATS_TCP_MSS] = { "tcp-mss", NULL },
	[CALPERF_A_STATS_RTT] = { "rtt", "hist" },
	[CALPERF_A_STATS_VERIFIED_BYTES] = { "verified-bytes", NULL },
	[CALPERF_A_STATS_TCP_REORD_SEEN] = { "tcp-reord-seen", NULL },
	[CALPERF_A_STATS_TCP_DSACK_DUPS] = { "tcp-dsack-dups", NULL },
};

static const struct attr_name cpu_names[] = {
	[CALPERF_A_CPU_UNSPEC] = { "unspec", NULL },
	[CALPERF_A_CPU_ELAPSED_NS] = { "elapsed-ns", NULL },
	[CALPERF_A_CPU_STAT] = { "stat", "cpu-stat" },
};

static const struct attr_name cpu_stat_names[] = {
	[CALPERF_A_CPU_STAT_UNSPEC] = { "unspec", NULL },
	[CALPERF_A_CPU_STAT_CPU] = { "cpu", NULL },
	[CALPERF_A_CPU_STAT_NET_RX_NS] = { "net-rx-ns", NULL },
	[CALPERF_A_CPU_STAT_NET_TX_NS] = { "net-tx-ns", NULL },
	[CALPERF_A_CPU_STAT_SOFTIRQ_OTHER_NS] = { "softirq-other-ns", NULL },
	[CALPERF_A_CPU_STAT_SOFTIRQ_SELF_NS] = { "softirq-self-ns", NULL },
	[CALPERF_A_CPU_STAT_HARDIRQ_NS] = { "hardirq-ns", NULL },
	[CALPERF_A_CPU_STAT_BUSY_NS] = { "busy-ns", NULL },
	[CALPERF_A_CPU_STAT_HARDIRQ_SELF_NS] = { "hardirq-self-ns", NULL },
};

static const struct attr_name hist_names[] = {
	[CALPERF_A_HIST_UNSPEC] = { "unspec", NULL },
	[CALPERF_A_HIST_COUNT] = { "count", NULL },
	[CALPERF_A_HIST_MIN_NS] = { "min-ns", NULL },
	[CALPERF_A_HIST_MAX_NS] = { "max-ns", NULL },
	[CALPERF_A_HIST_MEAN_NS] = { "mean-ns", NULL },
	[CALPERF_A_HIST_P50_NS] = { "p50-ns", NULL },
	[CALPERF_A_HIST_P90_NS] = { "p90-ns", NULL },
	[CALPERF_A_HIST_P99_NS] = { "p99-ns", NULL },
	[CALPERF_A_HIST_P999_NS] = { "p999-ns", NULL },
	[CALPERF_A_HIST_BUCKET] = { "bucket", "bucket" },
};

static const struct attr_name bucket_names[] = {
	[CALPERF_A_BUCKET_UNSPEC] = { "unspec", NULL },
	[CALPERF_A_BUCKET_LOWER_NS] = { "lower-ns", NULL },
	[CALPERF_A_BUCKET_WIDTH_NS] = { "width-ns", NULL },
	[CALPERF_A_BUCKET_COUNT] = { "count", NULL },
};

static const struct {
	const char *set;
	const struct attr_name *attrs;
	int count;
} attr_sets[] = {
	{ "session", session_names, sizeof(session_names) / sizeof(session_names[0]) },
	{ "endpoint", endpoint_names, sizeof(endpoint_names) / sizeof(endpoint_names[0]) },
	{ "hops", hops_names, sizeof(hops_names) / sizeof(hops_names[0]) },
	{ "hop", hop_names, sizeof(hop_names) / sizeof(hop_names[0]) },
	{ "flow", flow_names, sizeof(flow_names) / sizeof(flow_names[0]) },
	{ "stats", stats_names, sizeof(stats_names) / sizeof(stats_names[0]) },
	{ "cpu", cpu_names, sizeof(cpu_names) / sizeof(cpu_names[0]) },
	{ "cpu-stat", cpu_stat_names, sizeof(cpu_stat_names) / sizeof(cpu_stat_names[0]) },
	{ "hist", hist_names, sizeof(hist_names) / sizeof(hist_names[0]) },
	{ "bucket", bucket_names, sizeof(bucket_names) / sizeof(bucket_names[0]) },
};

static const struct attr_name *lookup(const char *set, int type)
{
	size_t i;

	for (i = 0; set && i < sizeof(attr_sets) / sizeof(attr_sets[0]); i++)
		if (!strcmp(attr_sets[i].set, set))
			return type > 0 && type < attr_sets[i].count &&
			       attr_sets[i].attrs[type].name ?
			       &attr_sets[i].attrs[type] : NULL;
	return NULL;
}

const char *cp_attr_name(const char *set, int type)
{
	const struct attr_name *a = lookup(set, type);

	return a ? a->name : NULL;
}

const char *cp_attr_nested(const char *set, int type)
{
	const struct attr_name *a = lookup(set, type);

	return a ? a->nested : NULL;
}
