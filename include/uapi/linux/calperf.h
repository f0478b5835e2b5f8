/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/*
 * calperf: in-kernel TCP data path measurement, generic netlink ABI.
 *
 * Shared by the kernel module (kmod/) and calperfctl (user/). The same
 * family is described for YNL in Documentation/netlink/specs/calperf.yaml.
 */
#ifndef _UAPI_LINUX_CALPERF_H
#define _UAPI_LINUX_CALPERF_H

#define CALPERF_FAMILY_NAME		"calperf"
#define CALPERF_FAMILY_VERSION		1
#define CALPERF_MCGRP_MONITOR		"monitor"

enum calperf_cmd {
	CALPERF_CMD_UNSPEC,
	CALPERF_CMD_SESSION_NEW,	/* create; replies with the session */
	CALPERF_CMD_SESSION_START,
	CALPERF_CMD_SESSION_STOP,
	CALPERF_CMD_SESSION_GET,	/* do: one session; dump: all */
	CALPERF_CMD_SESSION_DEL,
	CALPERF_CMD_SESSION_DONE,	/* notification on "monitor" */
	CALPERF_CMD_SESSION_INTERVAL,	/* notification: a running session */

	__CALPERF_CMD_MAX,
	CALPERF_CMD_MAX = __CALPERF_CMD_MAX - 1
};

enum calperf_kind {
	CALPERF_KIND_STREAM = 1,	/* bulk TCP, sender -> receiver */
	CALPERF_KIND_RR,		/* request/response, client -> server */
};

enum calperf_state {
	CALPERF_STATE_CREATED = 1,
	CALPERF_STATE_RUNNING,
	CALPERF_STATE_DONE,
};

/* Top-level attributes of a session. */
enum calperf_a_session {
	CALPERF_A_SESSION_UNSPEC,
	CALPERF_A_SESSION_PAD,
	CALPERF_A_SESSION_ID,		/* u32 */
	CALPERF_A_SESSION_KIND,		/* u8, enum calperf_kind */
	CALPERF_A_SESSION_STATE,	/* u8, enum calperf_state (reply) */
	CALPERF_A_SESSION_MSG_SIZE,	/* u32, bytes per send call */
	CALPERF_A_SESSION_DURATION_MS,	/* u32 */
	CALPERF_A_SESSION_BYTES_LIMIT,	/* u64 */
	CALPERF_A_SESSION_NODELAY,	/* flag, TCP_NODELAY */
	CALPERF_A_SESSION_CONGESTION,	/* string, e.g. "cubic" */
	CALPERF_A_SESSION_SENDER,	/* nest, calperf_a_endpoint */
	CALPERF_A_SESSION_RECEIVER,	/* nest, calperf_a_endpoint */
	CALPERF_A_SESSION_ERROR,	/* s32, first error of the run (reply) */
	CALPERF_A_SESSION_REQ_SIZE,	/* u32, rr request bytes (default 1) */
	CALPERF_A_SESSION_RESP_SIZE,	/* u32, rr response bytes (default 1) */
	CALPERF_A_SESSION_COUNT_LIMIT,	/* u64, rr: stop after N transactions */
	CALPERF_A_SESSION_HIST_BUCKETS,	/* flag, get: include histogram buckets */
	CALPERF_A_SESSION_CPU,		/* nest, calperf_a_cpu: once done */
	CALPERF_A_SESSION_INTERVAL_MS,	/* u32, report on "monitor" this often */
	CALPERF_A_SESSION_ZEROCOPY_SEND, /* flag, stream: send pages by reference */
	CALPERF_A_SESSION_NOCOPY_RECV,	/* flag, stream: consume in place (read_sock) */
	CALPERF_A_SESSION_VERIFY,	/* flag, stream: receiver checks the payload */
	CALPERF_A_SESSION_FLOWS,	/* u32, stream: TCP connections (default 1) */
	CALPERF_A_SESSION_THREADS,	/* u32, stream: kthreads per end, <= flows */
	CALPERF_A_SESSION_HOP_SAMPLE,	/* u32, stream: trace one send in N */
	CALPERF_A_SESSION_HOPS,		/* nest, calperf_a_hops (get, done) */

	__CALPERF_A_SESSION_MAX,
	CALPERF_A_SESSION_MAX = __CALPERF_A_SESSION_MAX - 1
};

/*
 * One end of a session. For the receiver, ADDR and PORT are where it
 * listens (no address: any); for the sender, where it connects to.
 */
enum calperf_a_endpoint {
	CALPERF_A_ENDPOINT_UNSPEC,
	CALPERF_A_ENDPOINT_PAD,
	CALPERF_A_ENDPOINT_NETNS_FD,	/* s32, fd of a netns (request) */
	CALPERF_A_ENDPOINT_NETNS_PID,	/* u32, pid living in the netns */
	CALPERF_A_ENDPOINT_ADDR4,	/* be32 */
	CALPERF_A_ENDPOINT_ADDR6,	/* binary, 16 bytes */
	CALPERF_A_ENDPOINT_PORT,	/* u16, host order */
	CALPERF_A_ENDPOINT_CPU,		/* u32, pin the kthread (the first) here */
	CALPERF_A_ENDPOINT_SOCKBUF,	/* u32, SO_SNDBUF/SO_RCVBUF; 0: auto */
	CALPERF_A_ENDPOINT_STATS,	/* nest, calperf_a_stats (reply): total */
	CALPERF_A_ENDPOINT_FLOW,	/* nest, calperf_a_flow, one per flow (get) */

	__CALPERF_A_ENDPOINT_MAX,
	CALPERF_A_ENDPOINT_MAX = __CALPERF_A_ENDPOINT_MAX - 1
};

/* Where a sampled segment was seen (enum calperf_hop_point). */
enum calperf_hop_point {
	CALPERF_HOP_SEND = 1,		/* the sender's call that wrote it */
	CALPERF_HOP_DEV_QUEUE,		/* net:net_dev_queue, a device's qdisc */
	CALPERF_HOP_DEV_XMIT,		/* net:net_dev_start_xmit, its driver */
	CALPERF_HOP_NETIF_RX,		/* net:netif_rx, received (backlog) */
	CALPERF_HOP_GRO,		/* net:napi_gro_receive_entry, received */
	CALPERF_HOP_NETIF_RECEIVE,	/* net:netif_receive_skb, up the stack */
	CALPERF_HOP_TCP_RCV,		/* tcp:tcp_probe, TCP receive */
	CALPERF_HOP_DELIVER,		/* the receiver's call that read it */
};

/* Per-hop latency of sampled segments, in replies. */
enum calperf_a_hops {
	CALPERF_A_HOPS_UNSPEC,
	CALPERF_A_HOPS_PAD,
	CALPERF_A_HOPS_SAMPLED,		/* u64, segments sampled */
	CALPERF_A_HOPS_COMPLETE,	/* u64, traced from send to delivery */
	CALPERF_A_HOPS_OTHER_PATH,	/* u64, complete but on another path */
	CALPERF_A_HOPS_RETRANSMITTED,	/* u64, seen twice at a point: left out */
	CALPERF_A_HOPS_SKIPPED,		/* u64, not sampled: all slots busy */
	CALPERF_A_HOPS_END_TO_END,	/* nest, calperf_a_hop: send to delivery */
	CALPERF_A_HOPS_HOP,		/* nest, calperf_a_hop, one per point */
	CALPERF_A_HOPS_TRUNCATED,	/* u64, more points than a sample keeps: left out */

	__CALPERF_A_HOPS_MAX,
	CALPERF_A_HOPS_MAX = __CALPERF_A_HOPS_MAX - 1
};

/*
 * One point of the path and the latency from the point before it (of
 * the send for the first), over the complete samples.
 */
enum calperf_a_hop {
	CALPERF_A_HOP_UNSPEC,
	CALPERF_A_HOP_PAD,
	CALPERF_A_HOP_POINT,		/* u8, enum calperf_hop_point */
	CALPERF_A_HOP_IFINDEX,		/* u32, 0 for a socket point */
	CALPERF_A_HOP_IFNAME,		/* string */
	CALPERF_A_HOP_NETNS,		/* u32, the namespace's inode number */
	CALPERF_A_HOP_COUNT,		/* u64 */
	CALPERF_A_HOP_MIN_NS,		/* u64 */
	CALPERF_A_HOP_P50_NS,		/* u64 */
	CALPERF_A_HOP_P90_NS,		/* u64 */
	CALPERF_A_HOP_P99_NS,		/* u64 */
	CALPERF_A_HOP_MAX_NS,		/* u64 */

	__CALPERF_A_HOP_MAX,
	CALPERF_A_HOP_MAX = __CALPERF_A_HOP_MAX - 1
};

/* One flow (TCP connection) of an endpoint, in replies. */
enum calperf_a_flow {
	CALPERF_A_FLOW_UNSPEC,
	CALPERF_A_FLOW_PAD,
	CALPERF_A_FLOW_INDEX,		/* u32 */
	CALPERF_A_FLOW_THREAD,		/* u32, index of the kthread driving it */
	CALPERF_A_FLOW_CPU,		/* u32, that kthread's CPU, if pinned */
	CALPERF_A_FLOW_LOCAL_PORT,	/* u16 */
	CALPERF_A_FLOW_PEER_PORT,	/* u16 */
	CALPERF_A_FLOW_STATS,		/* nest, calperf_a_stats: no cpu-ns */

	__CALPERF_A_FLOW_MAX,
	CALPERF_A_FLOW_MAX = __CALPERF_A_FLOW_MAX - 1
};

/*
 * Results of one endpoint (the sum of its flows) or of one flow; live
 * while running, final once done.
 */
enum calperf_a_stats {
	CALPERF_A_STATS_UNSPEC,
	CALPERF_A_STATS_PAD,
	CALPERF_A_STATS_BYTES,		/* u64, payload bytes sent/received */
	CALPERF_A_STATS_CALLS,		/* u64, sendmsg/recvmsg calls */
	CALPERF_A_STATS_ELAPSED_NS,	/* u64, first to last byte */
	CALPERF_A_STATS_THROUGHPUT_BPS,	/* u64, bits per second */
	CALPERF_A_STATS_CPU_NS,		/* u64, kthread CPU time */
	CALPERF_A_STATS_ERROR,		/* s32, 0 or a negative errno */
	CALPERF_A_STATS_DONE,		/* flag, the kthread has finished */
	CALPERF_A_STATS_TCP_RTT_US,	/* u32, final TCP_INFO */
	CALPERF_A_STATS_TCP_RTTVAR_US,	/* u32 */
	CALPERF_A_STATS_TCP_CWND,	/* u32, segments */
	CALPERF_A_STATS_TCP_RETRANS,	/* u32, total retransmitted segments */
	CALPERF_A_STATS_TCP_MSS,	/* u32 */
	CALPERF_A_STATS_RTT,		/* nest, calperf_a_hist: rr client */
	CALPERF_A_STATS_VERIFIED_BYTES,	/* u64, receiver: payload found intact */
	CALPERF_A_STATS_TCP_REORD_SEEN,	/* u32, reorderings the sender saw */
	CALPERF_A_STATS_TCP_DSACK_DUPS,	/* u32, segments the peer got twice */

	__CALPERF_A_STATS_MAX,
	CALPERF_A_STATS_MAX = __CALPERF_A_STATS_MAX - 1
};

/*
 * CPU accounting over one window: from the first kthread's start of its
 * data phase to the last one's end of it (connect, waiting for a peer and
 * the close wait left out), the window of the kthreads' CPU_NS too.
 */
enum calperf_a_cpu {
	CALPERF_A_CPU_UNSPEC,
	CALPERF_A_CPU_PAD,
	CALPERF_A_CPU_ELAPSED_NS,	/* u64, the accounting window */
	CALPERF_A_CPU_STAT,		/* nest, calperf_a_cpu_stat, per CPU */

	__CALPERF_A_CPU_MAX,
	CALPERF_A_CPU_MAX = __CALPERF_A_CPU_MAX - 1
};

/*
 * One CPU over the window, in ns: every online CPU, and an offline one
 * that has figures. Softirq times are exact (tracepoint timestamps) and
 * exclude hardirqs that interrupted them; SOFTIRQ_SELF and HARDIRQ_SELF
 * are the parts that ran on top of this session's own kthreads (so they
 * are also in their CPU_NS, without IRQ_TIME_ACCOUNTING). BUSY is
 * kcpustat's non-idle time, which is tick-sampled unless
 * CONFIG_IRQ_TIME_ACCOUNTING.
 */
enum calperf_a_cpu_stat {
	CALPERF_A_CPU_STAT_UNSPEC,
	CALPERF_A_CPU_STAT_PAD,
	CALPERF_A_CPU_STAT_CPU,		/* u32 */
	CALPERF_A_CPU_STAT_NET_RX_NS,	/* u64 */
	CALPERF_A_CPU_STAT_NET_TX_NS,	/* u64 */
	CALPERF_A_CPU_STAT_SOFTIRQ_OTHER_NS,	/* u64, all other vectors */
	CALPERF_A_CPU_STAT_SOFTIRQ_SELF_NS,	/* u64 */
	CALPERF_A_CPU_STAT_HARDIRQ_NS,	/* u64, device interrupt handlers */
	CALPERF_A_CPU_STAT_BUSY_NS,	/* u64 */
	CALPERF_A_CPU_STAT_HARDIRQ_SELF_NS,	/* u64 */

	__CALPERF_A_CPU_STAT_MAX,
	CALPERF_A_CPU_STAT_MAX = __CALPERF_A_CPU_STAT_MAX - 1
};

/*
 * A latency histogram. Percentiles are bucket midpoints: buckets are
 * 1 ns wide below 256 ns and at most 1/128 of their lower bound above,
 * so a percentile is within 0.4 % of the true value.
 */
enum calperf_a_hist {
	CALPERF_A_HIST_UNSPEC,
	CALPERF_A_HIST_PAD,
	CALPERF_A_HIST_COUNT,		/* u64, values */
	CALPERF_A_HIST_MIN_NS,		/* u64, exact */
	CALPERF_A_HIST_MAX_NS,		/* u64, exact */
	CALPERF_A_HIST_MEAN_NS,		/* u64, exact */
	CALPERF_A_HIST_P50_NS,		/* u64 */
	CALPERF_A_HIST_P90_NS,		/* u64 */
	CALPERF_A_HIST_P99_NS,		/* u64 */
	CALPERF_A_HIST_P999_NS,		/* u64 */
	CALPERF_A_HIST_BUCKET,		/* nest, calperf_a_bucket, repeated */

	__CALPERF_A_HIST_MAX,
	CALPERF_A_HIST_MAX = __CALPERF_A_HIST_MAX - 1
};

/* One non-empty bucket: values in [lower, lower + width). */
enum calperf_a_bucket {
	CALPERF_A_BUCKET_UNSPEC,
	CALPERF_A_BUCKET_PAD,
	CALPERF_A_BUCKET_LOWER_NS,	/* u64 */
	CALPERF_A_BUCKET_WIDTH_NS,	/* u64 */
	CALPERF_A_BUCKET_COUNT,		/* u64 */

	__CALPERF_A_BUCKET_MAX,
	CALPERF_A_BUCKET_MAX = __CALPERF_A_BUCKET_MAX - 1
};

#endif /* _UAPI_LINUX_CALPERF_H */
