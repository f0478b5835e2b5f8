/* SPDX-License-Identifier: GPL-2.0 */
/* calperfctl: a session as the kernel reports it, and how it is shown. */
#ifndef CALPERFCTL_SESSION_H
#define CALPERFCTL_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <netlink/attr.h>

#include "print.h"

/* A latency histogram's summary (all in ns). */
struct cp_hist {
	bool present;
	uint64_t count, min, max, mean, p50, p90, p99, p999;
};

/* A histogram's non-empty buckets: values in [lower, lower + width). */
struct cp_bucket {
	uint64_t lower, width, count;
};

struct cp_buckets {
	size_t n;
	struct cp_bucket *b;
};

struct cp_stats {
	bool done;
	uint64_t bytes, calls, elapsed_ns, bps, cpu_ns;
	bool has_verified;
	uint64_t verified;		/* receiver: payload bytes found intact */
	int32_t error;
	uint32_t rtt_us, rttvar_us, cwnd, retrans, mss, reord_seen, dsack_dups;
	struct cp_hist rtt;		/* rr client */
};

#define CP_MAX_CPUS 256

/* One CPU over a session's window (ns); see enum calperf_a_cpu_stat. */
struct cp_cpu_stat {
	uint32_t cpu;
	uint64_t net_rx, net_tx, softirq_other, softirq_self, hardirq,
		 hardirq_self, busy;
};

struct cp_cpu {
	bool present;
	uint64_t elapsed_ns;
	unsigned int n;
	struct cp_cpu_stat stat[CP_MAX_CPUS];
};

/* Sums over all CPUs, in ns. */
struct cp_cpu_totals {
	uint64_t net_rx, net_tx, softirq_other, softirq, softirq_self;
	uint64_t hardirq, hardirq_self, busy;
};

#define CP_MAX_FLOWS 64

/* One flow (TCP connection) of an endpoint. */
struct cp_flow {
	uint32_t index, thread;
	int cpu;			/* -1: not pinned */
	uint16_t local_port, peer_port;
	struct cp_stats stats;		/* no cpu_ns */
};

#define CP_MAX_HOPS 32

/* One point of a traced path and the latency from the point before. */
struct cp_hop {
	uint8_t point;			/* enum calperf_hop_point */
	uint32_t ifindex, netns;
	char ifname[16];
	uint64_t count, min, p50, p90, p99, max;
};

struct cp_hops {
	bool present;
	uint64_t sampled, complete, other_path, retransmitted, skipped, truncated;
	struct cp_hop end_to_end;
	unsigned int n;
	struct cp_hop hop[CP_MAX_HOPS];
};

struct cp_endpoint {
	bool present;
	int family;			/* AF_UNSPEC: no address */
	unsigned char addr[16];
	uint16_t port;
	int cpu;			/* -1: not pinned */
	uint32_t sockbuf;
	struct cp_stats stats;		/* the sum of the flows */
	unsigned int n_flows;		/* 0 in dumps: do-get has them */
	struct cp_flow flows[CP_MAX_FLOWS];
};

struct cp_session {
	uint32_t id;
	uint8_t kind, state;
	uint32_t msg_size, duration_ms, interval_ms;
	uint64_t bytes_limit;
	uint32_t req_size, resp_size;
	uint64_t count_limit;
	bool nodelay;
	bool zerocopy_send, nocopy_recv, verify;
	uint32_t nr_flows, nr_threads;
	uint32_t hop_sample;		/* one message in N traced, 0: off */
	char congestion[32];
	bool has_error;
	int32_t error;
	struct cp_endpoint sender, receiver;
	struct cp_cpu cpu;
	struct cp_hops hops;
};

const char *cp_hop_point_name(uint8_t point);
void cp_cpu_totals(const struct cp_cpu *c, struct cp_cpu_totals *t);

/*
 * The figures derived from a session, computed once (cp_figures) for
 * the text and the JSON alike. CPU figures are in ns over the CPU
 * window (cpu.elapsed_ns), and in cores (ns per ns of that window).
 */
struct cp_figures {
	const struct cp_stats *headline; /* what arrived: stream receiver */
	struct cp_cpu_totals t;
	uint64_t window_ns;
	/* Each end's kthreads: cpu_ns over its own elapsed_ns. */
	double sender_cores, receiver_cores;
	uint64_t kthreads_ns;
	/* Softirq and hardirq time that did not run in the kthreads. */
	uint64_t softirq_outside_ns, hardirq_outside_ns;
	/*
	 * CPU the data path used over the run: both ends' kthreads, and
	 * the softirq and hardirq time that did not run inside them.
	 */
	uint64_t path_ns;
	double path_cores, softirq_cores, busy_cores;
	/*
	 * Path CPU split between the two ends by the CPUs their kthreads
	 * are pinned to: only when both ends are here, every kthread is
	 * pinned and no CPU serves both.
	 */
	bool has_sides;
	uint64_t sender_side_ns, receiver_side_ns;
	double sender_side_cores, receiver_side_cores;
	/* stream with a CPU report and a throughput */
	bool has_per_gbps;
	double path_cores_per_gbps, busy_s_per_gb;
	double sender_side_cores_per_gbps, receiver_side_cores_per_gbps;
	/* rr */
	double transactions_per_s;
	uint64_t latency_ns;		/* mean rtt / 2, as qperf tcp_lat */
	bool has_per_transaction;
	double path_ns_per_transaction;
};

void cp_figures(const struct cp_session *s, struct cp_figures *f);
/* The figures a reader wants first: what arrived, and how fast. */
const struct cp_stats *cp_headline(const struct cp_session *s);

int cp_session_parse(struct nlattr **tb, struct cp_session *s);
const char *cp_state_name(uint8_t state);
const char *cp_kind_name(uint8_t kind);
/*
 * A session, as "session show", "add" and "monitor" print it: text, or
 * a JSON object (@key: its member name inside a run's result, NULL at
 * the top level or in a list). @rtt: the rr client's buckets, shown too
 * when not NULL.
 */
void cp_session_print(const char *key, const struct cp_session *s,
		      const struct cp_buckets *rtt);
/* The session's CPU report (JSON: "cpu_time"); text: a run's lines. */
void cp_cpu_print(const struct cp_session *s, const struct cp_figures *f);
/* The traced path (JSON: "hops"); text: a run's table. */
void cp_hops_print(const struct cp_session *s);
/* Histogram buckets (JSON: "buckets"), text lines after @indent. */
void cp_buckets_print(const struct cp_buckets *b, const char *indent);
/* TCP_INFO of @st: as in a stream's summary, or in an endpoint's stats. */
enum cp_tcp_style { CP_TCP_SUMMARY, CP_TCP_STATS };
void cp_tcp_print(enum print_to to, const struct cp_stats *st,
		  enum cp_tcp_style style, const char *suffix);
/* An rr histogram's summary: as in an rr result, or in an endpoint's stats. */
enum cp_hist_style { CP_HIST_RESULT, CP_HIST_STATS };
void cp_hist_print(const struct cp_hist *h, enum cp_hist_style style,
		   const struct cp_buckets *rtt);
/* The value at @pct percent, from the buckets (midpoint of its bucket). */
uint64_t cp_buckets_percentile(const struct cp_buckets *b, double pct);

struct cp_nl;
struct cp_config;
/* Requests; each prints the kernel's error and returns -errno. */
int cp_session_create(struct cp_nl *nl, const struct cp_config *c,
		      struct cp_session *out);
int cp_session_get(struct cp_nl *nl, uint32_t id, struct cp_session *out);
int cp_session_cmd(struct cp_nl *nl, uint8_t cmd, uint32_t id);
/* Get @id with its rr client's buckets into @out (free out->b). */
int cp_session_get_buckets(struct cp_nl *nl, uint32_t id,
			   struct cp_session *s, struct cp_buckets *out);

#endif
