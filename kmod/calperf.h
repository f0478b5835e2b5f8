/* SPDX-License-Identifier: GPL-2.0 */
/*
 * calperf internals shared by the module's files.
 *
 * Locking: every session lives on one global list under calperf_lock
 * (a mutex), held only to find, publish, kill or unlink a session, never
 * across a wait. Whoever uses a session found there holds a reference
 * (s->ref) and takes the session's own mutex (s->lock) to start, stop,
 * reap or read it; that one may be held across kthread_stop(). The
 * kthreads take neither. A kthread publishes its counters with
 * WRITE_ONCE() and its final results with smp_store_release(&ep->finished);
 * readers pair with the acquire.
 *
 * A session's life, one word a step (session.c):
 *  - publish: give it an id and put it on the list (session new).
 *  - prepare: make what its kthreads use (flows, workers, buffers,
 *    sockets, probes); unprepare frees it all, after a failed start or
 *    with the last reference.
 *  - spawn: create its kthreads, not yet woken (unspawn: stop them
 *    unwoken, after a failed start); wake: let them run.
 *  - halt: tell its kthreads to wind down (s->halting), with the reason
 *    they report. Takes no lock and waits for nothing, so that a
 *    namespace exit or the unload halts all its sessions before it waits
 *    for any. A kthread ends when calperf_session_should_stop(): halted,
 *    or reaped (kthread_stop()).
 *  - stop: the stop command: halt, a short wait for the ends to drain,
 *    then reap.
 *  - reap: kthread_stop() each kthread, finish the workers whose kthread
 *    never ran, and release the sockets left. Under s->lock.
 *  - kill: make it invisible and give back what it was lent, under
 *    calperf_lock; whoever kills it gets the owner's reference, and
 *    halts, reaps and puts it.
 *  - delete: the delete command: kill, halt, reap, put.
 *  - put: drop a reference; the last one unprepares and frees it.
 * A worker's (kthread's) life (worker.c), from its wake:
 *  - begin: connect or accept its flows, and open the data phase.
 *  - end: close the data phase: its CPU time, a sender's half-close, the
 *    final TCP_INFO.
 *  - finish: release its sockets and publish its result; the last worker
 *    finishes its endpoint, the last endpoint the session (DONE).
 * Release is said of sockets only, free of memory only.
 */
#ifndef _CALPERF_H
#define _CALPERF_H

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/socket.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <net/tcp.h>
#include <uapi/linux/calperf.h>

#include "cpu.h"
#include "hist.h"
#include "hops.h"

/*
 * The bounds of each attribute (message size, flows...) are in the spec,
 * Documentation/netlink/specs/calperf.yaml, and checked by the generated
 * policies of netlink-gen.c.
 */
#define CALPERF_MAX_SESSIONS_PER_NET	64
#define CALPERF_DEFAULT_MSG_SIZE	65536
#define CALPERF_DEFAULT_DURATION_MS	10000
#define CALPERF_MAX_FLOWS_PER_NET	256

/* The longest a kthread sleeps in a socket call before looking for a stop. */
#define CALPERF_POLL_MS			100
/* After a stop, how long a receiver keeps draining (within the stop's wait). */
#define CALPERF_RECEIVER_GRACE_MS	400

/*
 * Buffers as large as the configuration asks (up to a vmalloc): when one
 * cannot be had, the request fails with ENOMEM and says which; a warning
 * with a stack in the kernel log would add nothing. They are made on the
 * caller's behalf: charged to its memory cgroup.
 */
#define CALPERF_GFP			(GFP_KERNEL_ACCOUNT | __GFP_NOWARN)

struct calperf_session;

/* Final TCP_INFO figures kept once the socket is gone. */
struct calperf_tcp_result {
	u32 rtt_us;
	u32 rttvar_us;
	u32 cwnd;
	u32 retrans;
	u32 mss;
	u32 reord_seen;
	u32 dsack_dups;
};

/* One TCP connection's end, driven by one of the endpoint's workers. */
struct calperf_flow {
	struct socket *sock;
	struct calperf_worker *worker;
	struct wait_queue_entry wait;	/* wakes the worker, when multiplexed */
	bool waiting;			/* @wait is on the socket's queue */
	bool ended;			/* end of stream, error or limit */
	u16 local_port;
	u16 peer_port;
	u64 bytes_limit;		/* stream: this flow's share, 0: none */
	/* Hop tracing: see hops.h. */
	u64 hop_next;			/* stream offset of the next sample */
	unsigned int hop_open;		/* one end here: samples in flight */
	bool hop_isn_known;		/* remote sender: @hop_isn is set */
	u32 hop_isn;			/* its sequence number of byte 0 */

	/* Results: live counters, then final once the worker finished. */
	u64 bytes;
	u64 calls;
	u64 start_ns;
	u64 end_ns;
	u64 verified;			/* receiver: bytes found intact */
	int error;
	struct calperf_tcp_result tcp;
};

/* A kthread of an endpoint: drives flows index, index + T, index + 2T... */
struct calperf_worker {
	struct calperf_session *s;
	struct calperf_endpoint *ep;
	struct task_struct *task;
	unsigned int index;
	int cpu;			/* -1: not pinned */
	void *buf;			/* receiver: its own; sender: ep->buf */
	struct calperf_hop_mark *hop_marks; /* scratch, to close samples */
	bool woken;			/* a socket of ours had news */
	u64 deadline;			/* of the data phase, 0: none */

	/* Results, final once @finished. */
	u64 cpu_ns;
	int error;			/* ended the worker before its flows */
	bool finished;
};

/*
 * What a kind of traffic does at one end of a session: the worker loop
 * (worker.c) runs its step in rounds, one call on each flow of the
 * worker that has not ended.
 */
struct calperf_traffic {
	const char *role;		/* in its kthreads' names */
	/*
	 * One call on @f, non-blocking if @nowait (the worker multiplexes
	 * flows): 1 if it moved data, 0 if not (a flow that is over sets
	 * f->ended), or an error that ends the worker.
	 */
	int (*step)(struct calperf_worker *w, struct calperf_flow *f,
		    bool nowait);
	/* Whether to end before the next round; NULL: its calls see a stop. */
	bool (*stopped)(struct calperf_worker *w);
};

struct calperf_endpoint {
	bool present;
	/*
	 * Not refcounted, so deleting the netns is not held up by us: the
	 * pernet pre_exit hook halts the session and clears this first.
	 */
	struct net *net;
	struct sockaddr_storage addr;	/* family AF_UNSPEC: none given */
	u16 port;
	int cpu;			/* -1: not pinned; else the first CPU */
	u32 sockbuf;			/* 0: kernel autotuning */

	/* Set up by a start; released by whoever ends the session. */
	const struct calperf_traffic *traffic;
	struct calperf_flow *flows;	/* s->nr_flows */
	struct calperf_worker *workers;	/* s->nr_threads */
	struct socket *listener;	/* receiver only, until all accepted */
	atomic_t to_accept;		/* receiver: flows not accepted yet */
	void *buf;			/* sender: the pattern */
	struct bio_vec *bvec;		/* zero-copy sender: buf's pages */
	unsigned int nr_bvec;

	struct calperf_hist rtt;	/* rr client: one value a transaction */
	atomic_t running;		/* workers not yet finished */
	bool finished;			/* all workers finished */
};

struct calperf_session {
	struct list_head list;		/* on calperf_sessions, until freed */
	refcount_t ref;			/* the owner's (until killed) + users' */
	struct mutex lock;		/* state, start, stop, reap, replies */
	bool dead;			/* killed: invisible, never started */
	struct list_head exit_node;	/* on a namespace exit's reap list */
	struct list_head unload_node;	/* on the unload's reap list */
	struct net *owner;		/* netns of the creating socket */
	u32 id;
	u8 kind;
	u8 state;			/* enum calperf_state */

	u32 msg_size;			/* stream: bytes per send */
	u32 req_size;			/* rr: request and response bytes */
	u32 resp_size;
	u32 duration_ms;		/* 0: no time limit */
	u64 bytes_limit;		/* stream: 0 for no byte limit */
	u64 count_limit;		/* rr: 0 for no transaction limit */
	bool nodelay;
	bool zerocopy_send;		/* stream: pages by reference */
	bool nocopy_recv;		/* stream: read_sock, no copy out */
	bool verify;			/* stream: receiver checks the pattern */
	u32 nr_flows;			/* TCP connections */
	u32 nr_threads;			/* kthreads per endpoint, <= nr_flows */
	u32 hop_every;			/* trace one message in N; 0: off */
	struct calperf_hops *hops;	/* while tracing, and its results */
	char congestion[TCP_CA_NAME_MAX];

	struct calperf_endpoint sender;
	struct calperf_endpoint receiver;

	struct calperf_cpu_acct cpu;	/* over the run */
	u32 interval_ms;		/* 0: no interval reports */
	struct delayed_work interval_work;

	atomic_t running;		/* endpoints not yet finished */
	struct completion done;		/* all kthreads finished */
	unsigned long halted;		/* bit 0: halt's first caller won */
	bool halting;			/* halted: the kthreads wind down */
	u64 stop_ns;			/* when, for the drain grace */
	int abort_error;		/* result of a forced end */
};

/*
 * The flows @w drives, in turn: the first for a NULL @f, else the one
 * after @f, or NULL after the last.
 */
static inline struct calperf_flow *
calperf_flow_next(const struct calperf_worker *w, const struct calperf_flow *f)
{
	struct calperf_flow *flows = w->ep->flows;
	u32 i = f ? f - flows + w->s->nr_threads : w->index;

	return i < w->s->nr_flows ? &flows[i] : NULL;
}

/* Size of each endpoint's payload buffer. */
static inline u32 calperf_session_buf_size(const struct calperf_session *s)
{
	if (s->kind == CALPERF_KIND_RR)
		return max(s->req_size, s->resp_size);
	return s->msg_size;
}

/* session.c */
struct calperf_session *calperf_session_alloc(struct net *owner);
int calperf_session_add(struct calperf_session *s,
			struct netlink_ext_ack *extack);
struct calperf_session *calperf_session_get_by_id(struct net *owner, u32 id);
struct calperf_session *calperf_session_get_next(struct net *owner,
						 u32 after);
void calperf_session_put(struct calperf_session *s);
int calperf_session_start(struct calperf_session *s,
			  struct netlink_ext_ack *extack);
void calperf_session_stop(struct calperf_session *s);
int calperf_session_delete(struct net *owner, u32 id);
void calperf_sessions_net_exit(struct net *net);
void calperf_sessions_unload(void);
bool calperf_session_should_stop(const struct calperf_session *s);
void calperf_endpoint_finish(struct calperf_session *s,
			     struct calperf_endpoint *ep);
int calperf_endpoint_error(const struct calperf_session *s,
			   const struct calperf_endpoint *ep);
int calperf_pernet_init(void);
void calperf_pernet_exit(void);

/* limits.c: what the whole host lends to sessions; under the list lock. */
int calperf_limits_charge(const struct calperf_session *s,
			  struct netlink_ext_ack *extack);
void calperf_limits_uncharge(const struct calperf_session *s);

/* socket.c */
int calperf_sockets_prepare(struct calperf_session *s,
			    struct netlink_ext_ack *extack);
int calperf_flow_connect(struct calperf_session *s, struct calperf_flow *f,
			 u64 deadline);
int calperf_flow_accept(struct calperf_session *s, struct calperf_endpoint *ep,
			struct calperf_flow *f, u64 limit);
void calperf_sender_half_close(struct calperf_worker *w);
void calperf_flow_save_tcp_info(struct calperf_flow *f);
bool calperf_interrupted(int ret);
bool calperf_grace_over(struct calperf_session *s, u32 grace_ms);

/* worker.c */
int calperf_workers_alloc(struct calperf_session *s,
			  struct calperf_endpoint *ep);
void calperf_workers_free(struct calperf_session *s,
			  struct calperf_endpoint *ep);
int calperf_worker_run(void *data);
struct calperf_worker *calperf_worker_of(struct task_struct *t);
bool calperf_worker_should_stop(struct calperf_worker *w);
void calperf_flow_release(struct calperf_flow *f);
void calperf_worker_finish(struct calperf_worker *w, int err);

/* stream.c */
extern const struct calperf_traffic calperf_stream_sender;
extern const struct calperf_traffic calperf_stream_receiver;

/* payload.c */
int calperf_payload_pattern(struct calperf_session *s,
			    struct calperf_endpoint *ep);
void *calperf_payload_buf(struct calperf_session *s);
void calperf_payload_free(struct calperf_endpoint *ep);
size_t calperf_payload_check(const void *p, size_t len, u64 off, u32 size);
size_t calperf_payload_check_skb(struct sk_buff *skb, unsigned int offset,
				 size_t len, u64 off, u32 size);

/* rr.c */
extern const struct calperf_traffic calperf_rr_client;
extern const struct calperf_traffic calperf_rr_server;

/* netlink.c */
int calperf_nl_init(void);
void calperf_nl_exit(void);
void calperf_nl_notify(struct calperf_session *s, u8 cmd);

#endif /* _CALPERF_H */
