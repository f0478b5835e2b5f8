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

	__CALPERF_CMD_MAX,
	CALPERF_CMD_MAX = __CALPERF_CMD_MAX - 1
};

enum calperf_kind {
	CALPERF_KIND_STREAM = 1,	/* bulk TCP, sender -> receiver */
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
	CALPERF_A_ENDPOINT_CPU,		/* u32, pin the kthread to this CPU */
	CALPERF_A_ENDPOINT_SOCKBUF,	/* u32, SO_SNDBUF/SO_RCVBUF; 0: auto */
	CALPERF_A_ENDPOINT_STATS,	/* nest, calperf_a_stats (reply) */

	__CALPERF_A_ENDPOINT_MAX,
	CALPERF_A_ENDPOINT_MAX = __CALPERF_A_ENDPOINT_MAX - 1
};

/* Results of one endpoint; live while running, final once done. */
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

	__CALPERF_A_STATS_MAX,
	CALPERF_A_STATS_MAX = __CALPERF_A_STATS_MAX - 1
};

#endif /* _UAPI_LINUX_CALPERF_H */
