/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-hop latency: one message in N is sampled, the first byte of every
 * N-th message of a flow's stream (stream bytes 0, N x size, 2N x size...),
 * and tracepoint probes timestamp the segment holding that byte at every
 * point it passes, found by its ports and TCP sequence range (skb
 * addresses are reused and marks scrubbed across namespaces). With both
 * ends in the session the sender arms a sample as it sends the byte and
 * the receiver's read of it completes the sample. With one end on
 * another host, each end applies the same rule alone and traces its own
 * host's part: a sender whose receiver is elsewhere completes a sample
 * once the byte is acknowledged (it has left the host), a receiver whose
 * sender is elsewhere arms samples ahead of the bytes, from the peer's
 * initial sequence number, and completes them as it reads them.
 */
#ifndef _CALPERF_HOPS_H
#define _CALPERF_HOPS_H

#include <linux/if.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#define CALPERF_HOP_SLOTS	16	/* samples in flight at once */
#define CALPERF_HOP_POINTS	24	/* points one sample records */
#define CALPERF_HOP_KEEP	4096	/* complete samples kept */

struct calperf_hop_mark {
	u64 ns;
	u32 gen;			/* of the sample that wrote it */
	u32 ifindex;
	u32 netns;			/* inode number */
	u8 point;			/* enum calperf_hop_point */
	bool valid;			/* written; pairs with acquire */
	char ifname[IFNAMSIZ];
};

/* A sampled segment on its way. */
struct calperf_hop_slot {
	int state;			/* free, arming, armed, closing */
	u32 gen;			/* samples held; set after the key */
	__be16 sport;			/* the sender's port */
	__be16 dport;
	u32 seq;			/* TCP sequence number of the byte */
	u64 offset;			/* its offset in the flow's stream */
	atomic_t n;			/* marks claimed */
	bool retransmitted;		/* a point saw it twice */
	struct calperf_hop_mark marks[CALPERF_HOP_POINTS];
};

struct calperf_hops {
	struct list_head node;		/* on the traced list, under RCU */
	u64 stride;			/* stream bytes from sample to sample */
	bool remote_receiver;		/* senders complete on the ack */
	bool remote_sender;		/* receivers arm ahead of the bytes */
	unsigned int ahead;		/* remote_sender: samples per flow */
	struct calperf_hop_slot slots[CALPERF_HOP_SLOTS];
	atomic64_t sampled;
	atomic64_t skipped;

	/* Results, under @lock: the path of the first complete sample. */
	spinlock_t lock;
	unsigned int n_points;
	struct calperf_hop_mark path[CALPERF_HOP_POINTS];
	u32 *lat;			/* [CALPERF_HOP_KEEP][CALPERF_HOP_POINTS] */
	u32 kept;
	u64 complete;
	u64 other_path;
	u64 retransmitted;
	u64 truncated;			/* more points than a sample holds */
};

/* The latency over one point of the path, or from end to end (ns). */
struct calperf_hop_lat {
	u64 count;
	u64 min_ns;
	u64 p50_ns;
	u64 p90_ns;
	u64 p99_ns;
	u64 max_ns;
};

/*
 * What a read reports of a session's hops: the counts, and the path of
 * the first complete sample with each point's latency from the one
 * before (none for the first point).
 */
struct calperf_hops_result {
	u64 sampled;
	u64 complete;
	u64 other_path;
	u64 retransmitted;
	u64 truncated;
	u64 skipped;
	unsigned int n_points;
	struct calperf_hop_lat end_to_end;
	struct calperf_hop_mark path[CALPERF_HOP_POINTS];
	struct calperf_hop_lat lat[CALPERF_HOP_POINTS];
};

struct calperf_flow;
struct calperf_session;
struct calperf_worker;

int calperf_hops_start(struct calperf_hops **hops,
		       const struct calperf_session *s);
void calperf_hops_end(struct calperf_hops *h);
void calperf_hops_free(struct calperf_hops *h);
void calperf_hops_send(struct calperf_hops *h, struct calperf_worker *w,
		       struct calperf_flow *f, u64 sent);
void calperf_hops_deliver(struct calperf_hops *h, struct calperf_worker *w,
			  struct calperf_flow *f, u64 received, u64 read_ns);
int calperf_hops_read(struct calperf_hops *h, struct calperf_hops_result *r);

#endif /* _CALPERF_HOPS_H */
