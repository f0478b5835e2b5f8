// SPDX-License-Identifier: GPL-2.0
/*
 * Per-hop latency of sampled segments (see hops.h).
 *
 * A sample lives in one of a few slots: the sender arms it with the
 * flow's ports and the TCP sequence number of the first byte it is about
 * to write, the probes append a mark (time, point, device, namespace) as
 * the segment holding that byte passes, and the receiver's read of the
 * byte closes it. With the other end on another host, the end here arms
 * and closes alone (see hops.h). Probes take no lock and allocate
 * nothing: they claim a mark with an atomic increment and publish it
 * with a release. A slot's generation, stamped into each mark, keeps a
 * late mark of an earlier sample (a retransmission passing after the
 * delivery) out of the next one; a sample with any such gap is dropped,
 * never half-counted. Arming
 * publishes the generation after the key and the cleared marks, and a
 * probe reads the key between two looks at the state and generation, as
 * a seqcount reader would. A segment that passes more points than a
 * sample records is counted as truncated, not as a complete sample.
 *
 * Segments are matched on every device along the way, inside VXLAN too:
 * a GSO super-segment or a GRO-merged one matches when its sequence
 * range holds the byte. A point that sees the byte twice marks the
 * sample as retransmitted; those are counted apart.
 */

#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/math64.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/net_namespace.h>
#include <net/tcp.h>
/* Without CREATE_TRACE_POINTS: for the prototype checks only. */
#include <trace/events/net.h>
#include <trace/events/tcp.h>

#include "calperf.h"
#include "hops.h"
#include "probes.h"

#define CALPERF_VXLAN_PORT	4789

enum {
	CALPERF_HOP_FREE,
	CALPERF_HOP_ARMING,
	CALPERF_HOP_ARMED,
	CALPERF_HOP_CLOSING,
};

/* Sessions with hop tracing, read by the probes under RCU. */
static LIST_HEAD(calperf_hops_traced);
/* Guards the list, the probes' registration and their user count. */
static DEFINE_MUTEX(calperf_hops_mutex);
static unsigned int calperf_hops_users;
/*
 * Samples armed in all sessions: while there is none, a probe returns
 * before it parses anything, so tracing costs little between samples.
 */
static atomic_t calperf_hops_armed = ATOMIC_INIT(0);

/* What the probes need of a TCP segment. */
struct calperf_seg {
	__be16 sport;
	__be16 dport;
	u32 seq;
	u32 len;			/* payload bytes */
};

/* Parse the TCP header at @off of @skb's data, given its payload bound. */
static bool calperf_seg_tcp(const struct sk_buff *skb, int off, u32 ip_len,
			    struct calperf_seg *seg)
{
	struct tcphdr _th;
	const struct tcphdr *th;
	u32 hdr, len;

	th = skb_header_pointer(skb, off, sizeof(_th), &_th);
	if (!th)
		return false;
	hdr = th->doff * 4;
	if (off + hdr > skb->len)
		return false;
	/* A GSO or GRO skb's IP length may be stale or 0: trust skb->len. */
	len = skb->len - off - hdr;
	if (ip_len > hdr && ip_len - hdr < len)
		len = ip_len - hdr;	/* Ethernet padding is no payload */
	seg->sport = th->source;
	seg->dport = th->dest;
	seg->seq = ntohl(th->seq);
	seg->len = len;
	return true;
}

/*
 * The TCP segment in the IP packet at @off of @skb's data; inside one
 * VXLAN encapsulation too (@depth 0: the outer packet).
 */
static bool calperf_seg_parse(const struct sk_buff *skb, int off, int depth,
			      struct calperf_seg *seg)
{
	u8 _v, proto;
	const u8 *v;
	u32 ip_len;
	int l4;

	v = skb_header_pointer(skb, off, 1, &_v);
	if (!v)
		return false;
	if ((*v >> 4) == 4) {
		struct iphdr _iph;
		const struct iphdr *iph;

		iph = skb_header_pointer(skb, off, sizeof(_iph), &_iph);
		if (!iph || iph->ihl < 5 || ip_is_fragment(iph))
			return false;
		proto = iph->protocol;
		l4 = off + iph->ihl * 4;
		ip_len = ntohs(iph->tot_len);
		ip_len = ip_len > iph->ihl * 4 ? ip_len - iph->ihl * 4 : 0;
	} else if ((*v >> 4) == 6) {
		struct ipv6hdr _ip6h;
		const struct ipv6hdr *ip6h;

		ip6h = skb_header_pointer(skb, off, sizeof(_ip6h), &_ip6h);
		if (!ip6h)
			return false;
		proto = ip6h->nexthdr;
		l4 = off + sizeof(*ip6h);
		ip_len = ntohs(ip6h->payload_len);
	} else {
		return false;
	}
	if (proto == IPPROTO_TCP)
		return calperf_seg_tcp(skb, l4, ip_len, seg);
	if (proto == IPPROTO_UDP && !depth) {
		struct udphdr _uh;
		const struct udphdr *uh;

		uh = skb_header_pointer(skb, l4, sizeof(_uh), &_uh);
		/* VXLAN: UDP, 8-byte VXLAN header, inner Ethernet. */
		if (uh && uh->dest == htons(CALPERF_VXLAN_PORT))
			return calperf_seg_parse(skb, l4 + sizeof(*uh) + 8 +
						 ETH_HLEN, 1, seg);
	}
	return false;
}

/* Append a mark to @sl for this point, unless it was seen here before. */
static void calperf_hops_mark(struct calperf_hop_slot *sl, u32 gen, u8 point,
			      u32 ifindex, u32 netns, const char *name)
{
	struct calperf_hop_mark *m;
	int n = min(atomic_read(&sl->n), CALPERF_HOP_POINTS);

	for (int i = 0; i < n; i++) {
		m = &sl->marks[i];
		/* Pairs with the release below: a written mark's fields. */
		if (smp_load_acquire(&m->valid) && m->gen == gen &&
		    m->point == point && m->ifindex == ifindex &&
		    m->netns == netns) {
			WRITE_ONCE(sl->retransmitted, true);
			return;
		}
	}
	n = atomic_inc_return(&sl->n) - 1;
	if (n >= CALPERF_HOP_POINTS)
		return;
	m = &sl->marks[n];
	m->ns = ktime_get_ns();
	m->gen = gen;
	m->point = point;
	m->ifindex = ifindex;
	m->netns = netns;
	strscpy(m->ifname, name, sizeof(m->ifname));
	/* The fields above, then valid: see calperf_hops_close(). */
	smp_store_release(&m->valid, true);
}

/* A probe saw @seg at @point: mark every sample it carries. */
static void calperf_hops_seen(const struct calperf_seg *seg, u8 point,
			      u32 ifindex, u32 netns, const char *name)
{
	struct calperf_hop_slot *sl;
	struct calperf_hops *h;
	__be16 sport, dport;
	u32 gen, seq;

	rcu_read_lock();
	list_for_each_entry_rcu(h, &calperf_hops_traced, node) {
		for (int i = 0; i < CALPERF_HOP_SLOTS; i++) {
			sl = &h->slots[i];
			/* Pairs with the release that armed the slot. */
			if (smp_load_acquire(&sl->state) != CALPERF_HOP_ARMED)
				continue;
			/* Pairs with the release in calperf_hops_arm(). */
			gen = smp_load_acquire(&sl->gen);
			sport = READ_ONCE(sl->sport);
			dport = READ_ONCE(sl->dport);
			seq = READ_ONCE(sl->seq);
			/*
			 * Like a seqcount read: the slot may have been closed
			 * and re-armed while the key was read, which could
			 * then be half the next sample's. A re-arm leaves
			 * ARMED before it writes the key and publishes a new
			 * generation after, so both unchanged mean a whole key.
			 */
			smp_rmb();
			/* Acquire: a later ARMED comes with its generation. */
			if (smp_load_acquire(&sl->state) != CALPERF_HOP_ARMED ||
			    READ_ONCE(sl->gen) != gen)
				continue;
			if (sport != seg->sport || dport != seg->dport ||
			    after(seg->seq, seq) ||
			    !after(seg->seq + seg->len, seq))
				continue;
			calperf_hops_mark(sl, gen, point, ifindex, netns, name);
		}
	}
	rcu_read_unlock();
}

static void calperf_hops_dev(const struct sk_buff *skb, int off, u8 point,
			     const struct net_device *dev)
{
	struct calperf_seg seg;

	if (!atomic_read(&calperf_hops_armed) || !dev || off < 0 ||
	    !calperf_seg_parse(skb, off, 0, &seg))
		return;
	calperf_hops_seen(&seg, point, dev->ifindex, dev_net(dev)->ns.inum,
			  dev->name);
}

/* On transmit the network header is set; skb->data is at the link's. */
static void calperf_probe_dev_queue(void *data, struct sk_buff *skb)
{
	calperf_hops_dev(skb, skb_network_offset(skb), CALPERF_HOP_DEV_QUEUE,
			 skb->dev);
}

static void calperf_probe_start_xmit(void *data, const struct sk_buff *skb,
				     const struct net_device *dev)
{
	calperf_hops_dev(skb, skb_network_offset(skb), CALPERF_HOP_DEV_XMIT,
			 dev);
}

/* On receive skb->data is at the network header, not yet reset. */
static void calperf_probe_netif_rx(void *data, struct sk_buff *skb)
{
	calperf_hops_dev(skb, 0, CALPERF_HOP_NETIF_RX, skb->dev);
}

static void calperf_probe_gro(void *data, const struct sk_buff *skb)
{
	calperf_hops_dev(skb, 0, CALPERF_HOP_GRO, skb->dev);
}

static void calperf_probe_receive(void *data, struct sk_buff *skb)
{
	calperf_hops_dev(skb, 0, CALPERF_HOP_NETIF_RECEIVE, skb->dev);
}

/* At the top of tcp_rcv_established(): skb->data is at the TCP header. */
static void calperf_probe_tcp(void *data, struct sock *sk,
			      struct sk_buff *skb)
{
	struct calperf_seg seg;

	if (!atomic_read(&calperf_hops_armed) ||
	    !calperf_seg_tcp(skb, 0, 0, &seg))
		return;
	calperf_hops_seen(&seg, CALPERF_HOP_TCP_RCV, 0,
			  sock_net(sk)->ns.inum, "tcp");
}

static struct calperf_probe calperf_hops_probes[] = {
	{ "net_dev_queue", calperf_probe_dev_queue },
	{ "net_dev_start_xmit", calperf_probe_start_xmit },
	{ "netif_rx", calperf_probe_netif_rx },
	{ "napi_gro_receive_entry", calperf_probe_gro },
	{ "netif_receive_skb", calperf_probe_receive },
	{ "tcp_probe", calperf_probe_tcp },
};

/* Fails the build if a probe no longer fits its tracepoint (probes.h). */
static inline void calperf_hops_probes_check(void)
{
	check_trace_callback_type_net_dev_queue(calperf_probe_dev_queue);
	check_trace_callback_type_net_dev_start_xmit(calperf_probe_start_xmit);
	check_trace_callback_type_netif_rx(calperf_probe_netif_rx);
	check_trace_callback_type_napi_gro_receive_entry(calperf_probe_gro);
	check_trace_callback_type_netif_receive_skb(calperf_probe_receive);
	check_trace_callback_type_tcp_probe(calperf_probe_tcp);
}

/* Trace one message in s->hop_every for session @s: attach the probes. */
int calperf_hops_start(struct calperf_hops **hops,
		       const struct calperf_session *s)
{
	u32 size = s->kind == CALPERF_KIND_RR ? s->req_size : s->msg_size;
	struct calperf_hops *h;
	int err = 0;

	calperf_hops_probes_check();
	h = kvzalloc(sizeof(*h), CALPERF_GFP);
	if (!h)
		return -ENOMEM;
	h->lat = kvcalloc(CALPERF_HOP_KEEP * CALPERF_HOP_POINTS,
			  sizeof(*h->lat), CALPERF_GFP);
	if (!h->lat) {
		kvfree(h);
		return -ENOMEM;
	}
	h->stride = (u64)s->hop_every * size;
	h->remote_receiver = !s->receiver.present;
	h->remote_sender = !s->sender.present;
	h->ahead = max(1U, CALPERF_HOP_SLOTS / s->nr_flows);
	spin_lock_init(&h->lock);
	INIT_LIST_HEAD(&h->node);

	mutex_lock(&calperf_hops_mutex);
	if (!calperf_hops_users)
		err = calperf_probes_attach(calperf_hops_probes,
					    ARRAY_SIZE(calperf_hops_probes));
	if (!err) {
		calperf_hops_users++;
		list_add_rcu(&h->node, &calperf_hops_traced);
	}
	mutex_unlock(&calperf_hops_mutex);
	if (err) {
		kvfree(h->lat);
		kvfree(h);
		return err;
	}
	*hops = h;
	return 0;
}

/* The session's data phase is over: no probe touches @h after this. */
void calperf_hops_end(struct calperf_hops *h)
{
	if (!h || list_empty(&h->node))
		return;
	mutex_lock(&calperf_hops_mutex);
	list_del_rcu(&h->node);
	if (!--calperf_hops_users)
		calperf_probes_detach(calperf_hops_probes,
				      ARRAY_SIZE(calperf_hops_probes));
	else
		synchronize_rcu();
	INIT_LIST_HEAD(&h->node);
	mutex_unlock(&calperf_hops_mutex);
	/* The kthreads are done: samples still in flight are abandoned. */
	for (int i = 0; i < CALPERF_HOP_SLOTS; i++)
		if (h->slots[i].state == CALPERF_HOP_ARMED) {
			h->slots[i].state = CALPERF_HOP_FREE;
			atomic_dec(&calperf_hops_armed);
		}
}

void calperf_hops_free(struct calperf_hops *h)
{
	if (!h)
		return;
	calperf_hops_end(h);
	kvfree(h->lat);
	kvfree(h);
}

/*
 * Arm a free slot for the byte at @offset of @f's stream, sequence number
 * @seq, which travels from @sport to @dport; the sender's own arming
 * (@send_ns) opens the sample with its send. False if no slot is free.
 */
static bool calperf_hops_arm(struct calperf_hops *h, struct calperf_flow *f,
			     __be16 sport, __be16 dport, u32 seq, u64 offset,
			     u64 send_ns)
{
	struct calperf_hop_slot *sl;
	struct calperf_hop_mark *m;
	u32 gen;

	for (int i = 0; i < CALPERF_HOP_SLOTS; i++) {
		sl = &h->slots[i];
		/* A full barrier: probes re-checking see it before the key. */
		if (cmpxchg(&sl->state, CALPERF_HOP_FREE,
			    CALPERF_HOP_ARMING) != CALPERF_HOP_FREE)
			continue;
		gen = sl->gen + 1;
		WRITE_ONCE(sl->sport, sport);
		WRITE_ONCE(sl->dport, dport);
		WRITE_ONCE(sl->seq, seq);
		sl->offset = offset;
		WRITE_ONCE(sl->retransmitted, false);
		/* The last sample's marks are not this one's. */
		for (int j = 0; j < CALPERF_HOP_POINTS; j++)
			WRITE_ONCE(sl->marks[j].valid, false);
		atomic_set(&sl->n, 0);
		if (send_ns) {
			m = &sl->marks[0];
			m->ns = send_ns;
			m->gen = gen;
			m->point = CALPERF_HOP_SEND;
			m->ifindex = 0;
			m->netns = sock_net(f->sock->sk)->ns.inum;
			strscpy(m->ifname, "send", sizeof(m->ifname));
			WRITE_ONCE(m->valid, true);
			atomic_set(&sl->n, 1);
		}
		/* The key and the marks above, then the generation. */
		smp_store_release(&sl->gen, gen);
		atomic_inc(&calperf_hops_armed);
		/* The probes may look at it from here. */
		smp_store_release(&sl->state, CALPERF_HOP_ARMED);
		atomic64_inc(&h->sampled);
		return true;
	}
	return false;
}

/* The stream offset of the first sample after @offset. */
static u64 calperf_hops_next(const struct calperf_hops *h, u64 offset)
{
	return (div64_u64(offset, h->stride) + 1) * h->stride;
}

static bool calperf_hops_same_point(const struct calperf_hop_mark *a,
				    const struct calperf_hop_mark *b)
{
	return a->point == b->point && a->ifindex == b->ifindex &&
	       a->netns == b->netns;
}

/*
 * Record a closed sample of @n valid marks, the last its delivery (or
 * the last point on this host); a @truncated one passed more points than
 * it could record.
 */
static void calperf_hops_keep(struct calperf_hops *h,
			      const struct calperf_hop_mark *marks,
			      unsigned int n, bool retransmitted,
			      bool truncated)
{
	u32 *row;

	spin_lock(&h->lock);
	if (retransmitted) {
		h->retransmitted++;
		goto out;
	}
	/* Its path lacks points: neither this path nor another. */
	if (truncated) {
		h->truncated++;
		goto out;
	}
	if (!h->n_points) {
		memcpy(h->path, marks, n * sizeof(*marks));
		h->n_points = n;
	}
	if (n != h->n_points)
		goto other;
	for (unsigned int i = 0; i < n; i++)
		if (!calperf_hops_same_point(&marks[i], &h->path[i]))
			goto other;
	h->complete++;
	if (h->kept == CALPERF_HOP_KEEP)
		goto out;
	row = &h->lat[h->kept++ * CALPERF_HOP_POINTS];
	/* Column 0: end to end; column i: from point i - 1 to point i. */
	row[0] = min_t(u64, marks[n - 1].ns - marks[0].ns, U32_MAX);
	for (unsigned int i = 1; i < n; i++)
		row[i] = marks[i].ns > marks[i - 1].ns ?
			 min_t(u64, marks[i].ns - marks[i - 1].ns, U32_MAX) : 0;
	goto out;
other:
	h->other_path++;
out:
	spin_unlock(&h->lock);
}

/*
 * Close @sl, read up to its byte at @read_ns (0: acknowledged, by a
 * receiver elsewhere): check its marks and keep it.
 */
static void calperf_hops_close(struct calperf_hops *h,
			       struct calperf_hop_slot *sl,
			       struct calperf_worker *w, struct calperf_flow *f,
			       u64 read_ns)
{
	struct calperf_hop_mark *marks = w->hop_marks;
	/* Marks claimed: beyond the last but one, the path is cut short. */
	unsigned int claimed = atomic_read(&sl->n);
	unsigned int n = min(claimed, CALPERF_HOP_POINTS - 1);
	u32 gen = sl->gen;
	bool ok = true;

	for (unsigned int i = 0; i < n; i++) {
		const struct calperf_hop_mark *m = &sl->marks[i];

		/* Pairs with the release in calperf_hops_mark(). */
		if (!smp_load_acquire(&m->valid) || m->gen != gen) {
			ok = false;
			break;
		}
		marks[i] = *m;
	}
	if (ok && !n) {
		/* Armed ahead, but the segment had passed every point. */
		atomic64_inc(&h->skipped);
	} else if (ok && read_ns) {
		struct calperf_hop_mark *d = &marks[n];

		d->ns = read_ns;
		d->point = CALPERF_HOP_DELIVER;
		d->ifindex = 0;
		d->netns = sock_net(f->sock->sk)->ns.inum;
		strscpy(d->ifname, "deliver", sizeof(d->ifname));
		calperf_hops_keep(h, marks, n + 1, READ_ONCE(sl->retransmitted),
				  claimed > n);
	} else if (ok) {
		calperf_hops_keep(h, marks, n, READ_ONCE(sl->retransmitted),
				  claimed > n);
	}
	atomic_dec(&calperf_hops_armed);
	/* Marks of this generation that come late are ignored. */
	smp_store_release(&sl->state, CALPERF_HOP_FREE);
}

/*
 * Close @f's samples, sent from @sport to @dport, whose byte lies before
 * stream offset @end, as calperf_hops_close() does at @read_ns. Returns
 * how many it closed.
 */
static unsigned int calperf_hops_close_before(struct calperf_hops *h,
					      struct calperf_worker *w,
					      struct calperf_flow *f,
					      __be16 sport, __be16 dport,
					      u64 end, u64 read_ns)
{
	struct calperf_hop_slot *sl;
	unsigned int closed = 0;
	u32 gen;

	for (int i = 0; i < CALPERF_HOP_SLOTS; i++) {
		sl = &h->slots[i];
		/* Pairs with the release that armed it: its key is set. */
		if (smp_load_acquire(&sl->state) != CALPERF_HOP_ARMED)
			continue;
		/* Pairs with the release in calperf_hops_arm(). */
		gen = smp_load_acquire(&sl->gen);
		if (READ_ONCE(sl->sport) != sport ||
		    READ_ONCE(sl->dport) != dport || sl->offset >= end)
			continue;
		if (cmpxchg(&sl->state, CALPERF_HOP_ARMED,
			    CALPERF_HOP_CLOSING) != CALPERF_HOP_ARMED)
			continue;
		/*
		 * Ours now. Closed and re-armed for another flow's byte
		 * while we read its key? Then give it back, unclosed.
		 */
		if (sl->gen != gen) {
			/* As armed: its key and marks are as they were. */
			smp_store_release(&sl->state, CALPERF_HOP_ARMED);
			continue;
		}
		calperf_hops_close(h, sl, w, f, read_ns);
		closed++;
	}
	return closed;
}

/*
 * Before a send on @f, @sent bytes into its stream so far: sample the
 * first byte it writes when that is the next sample's (every N-th
 * message's). A sender whose receiver is on another host first closes
 * its samples that the peer has acknowledged: they have left this host.
 */
void calperf_hops_send(struct calperf_hops *h, struct calperf_worker *w,
		       struct calperf_flow *f, u64 sent)
{
	__be16 sport = htons(f->local_port), dport = htons(f->peer_port);
	struct tcp_sock *tp = tcp_sk(f->sock->sk);

	if (h->remote_receiver && f->hop_open) {
		u64 acked = READ_ONCE(tp->bytes_acked);

		f->hop_open -= calperf_hops_close_before(h, w, f, sport, dport,
							 acked, 0);
	}
	if (sent < f->hop_next)
		return;
	f->hop_next = calperf_hops_next(h, sent);
	/* Only this kthread writes to the socket: stable until sent. */
	if (calperf_hops_arm(h, f, sport, dport, READ_ONCE(tp->write_seq),
			     sent, ktime_get_ns())) {
		if (h->remote_receiver)
			f->hop_open++;
		return;
	}
	atomic64_inc(&h->skipped);
}

/*
 * A receiver whose sender is on another host: arm samples for the next
 * sampled bytes of @f that TCP has not received yet, up to h->ahead in
 * flight. Its first call learns the peer's sequence number of byte 0.
 */
static void calperf_hops_expect(struct calperf_hops *h, struct calperf_flow *f)
{
	struct sock *sk = f->sock->sk;
	struct tcp_sock *tp = tcp_sk(sk);
	u64 arrived;

	if (!f->hop_isn_known) {
		/* Owned, the socket takes no segment: the two agree. */
		lock_sock(sk);
		f->hop_isn = tp->rcv_nxt - (u32)tp->bytes_received;
		release_sock(sk);
		f->hop_isn_known = true;
	}
	arrived = READ_ONCE(tp->bytes_received);
	/* Already in: a sample armed now would find no point to mark. */
	if (f->hop_next < arrived)
		f->hop_next = calperf_hops_next(h, arrived);
	while (f->hop_open < h->ahead &&
	       calperf_hops_arm(h, f, htons(f->peer_port), htons(f->local_port),
				f->hop_isn + (u32)f->hop_next, f->hop_next, 0)) {
		f->hop_open++;
		f->hop_next += h->stride;
	}
}

/*
 * After a read on @f at @read_ns, @received bytes of its stream so far:
 * close the samples whose byte has now been read. The caller may do this
 * later than the read (an rr server, after its answer, so that the work
 * stays out of the round trip it measures). A receiver whose sender is
 * elsewhere then arms the next ones.
 */
void calperf_hops_deliver(struct calperf_hops *h, struct calperf_worker *w,
			  struct calperf_flow *f, u64 received, u64 read_ns)
{
	unsigned int closed;

	closed = calperf_hops_close_before(h, w, f, htons(f->peer_port),
					   htons(f->local_port), received,
					   read_ns);
	if (!h->remote_sender)
		return;
	f->hop_open -= closed;
	calperf_hops_expect(h, f);
}

static int calperf_hops_cmp(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

/* Percentile @pct (of 1000) of sorted @v[n]: the value at its rank. */
static u64 calperf_hops_pct(const u32 *v, u32 n, u32 pct)
{
	u32 rank = DIV_ROUND_UP(n * pct, 1000);

	return n ? v[rank ? rank - 1 : 0] : 0;
}

/* The latency figures of the @n values of @v, sorted here. */
static void calperf_hops_lat(struct calperf_hop_lat *l, u32 *v, u32 n)
{
	sort(v, n, sizeof(*v), calperf_hops_cmp, NULL);
	l->count = n;
	l->min_ns = n ? v[0] : 0;
	l->p50_ns = calperf_hops_pct(v, n, 500);
	l->p90_ns = calperf_hops_pct(v, n, 900);
	l->p99_ns = calperf_hops_pct(v, n, 990);
	l->max_ns = n ? v[n - 1] : 0;
}

/*
 * Read @h into @r: the counts, the end-to-end latency and each point of
 * the path with the latency from the point before. Sorting happens on a
 * copy, outside the lock the receivers take.
 */
int calperf_hops_read(struct calperf_hops *h, struct calperf_hops_result *r)
{
	unsigned int n_points;
	u32 *lat, kept;

	lat = kvmalloc_array(CALPERF_HOP_KEEP * CALPERF_HOP_POINTS,
			     sizeof(*lat), CALPERF_GFP);
	if (!lat)
		return -ENOMEM;
	memset(r, 0, sizeof(*r));
	spin_lock(&h->lock);
	n_points = h->n_points;
	kept = h->kept;
	memcpy(r->path, h->path, sizeof(h->path));
	/* Column-major copy: one sorted run per column. */
	for (unsigned int c = 0; c < n_points; c++)
		for (u32 row = 0; row < kept; row++)
			lat[c * CALPERF_HOP_KEEP + row] =
				h->lat[row * CALPERF_HOP_POINTS + c];
	r->complete = h->complete;
	r->other_path = h->other_path;
	r->retransmitted = h->retransmitted;
	r->truncated = h->truncated;
	spin_unlock(&h->lock);

	r->sampled = atomic64_read(&h->sampled);
	r->skipped = atomic64_read(&h->skipped);
	r->n_points = n_points;
	if (n_points)
		calperf_hops_lat(&r->end_to_end, lat, kept);
	/* Column 0 is end to end: the first point has none of its own. */
	for (unsigned int c = 1; c < n_points; c++)
		calperf_hops_lat(&r->lat[c], &lat[c * CALPERF_HOP_KEEP], kept);
	kvfree(lat);
	return 0;
}
