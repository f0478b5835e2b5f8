// SPDX-License-Identifier: GPL-2.0
/*
 * The sockets of a session: creation and options, listen, connect,
 * accept and close, shared by every kind of traffic.
 *
 * Every socket wait is bounded by a short timeout so a kthread notices a
 * stop within CALPERF_POLL_MS even when the peer has stalled, and
 * kthread_stop() interrupts it at once. Sockets close with zero linger:
 * nothing is left behind, orphaned, in a namespace that may be about to
 * go away.
 */

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/kthread.h>
#include <linux/net.h>
#include <linux/sched.h>
#include <linux/tcp.h>
#include <linux/timekeeping.h>
#include <linux/uio.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "calperf.h"

/* After a stop: how long the sender waits for the peer to close. */
#define CALPERF_SENDER_GRACE_MS		200
/* After a normal end: how long the sender waits for the peer to read all. */
#define CALPERF_CLOSE_WAIT_MS		10000

static int calperf_addr_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
					   sizeof(struct sockaddr_in);
}

static void calperf_addr_set_port(struct sockaddr_storage *ss, u16 port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons(port);
}

static int calperf_setsockopt_int(struct socket *sock, int level, int name,
				  int val)
{
	sockptr_t p = KERNEL_SOCKPTR(&val);

	if (level == SOL_SOCKET)
		return sock_setsockopt(sock, level, name, p, sizeof(val));
	return sock->ops->setsockopt(sock, level, name, p, sizeof(val));
}

static int calperf_socket_create(struct calperf_session *s,
				 struct calperf_endpoint *ep, int family,
				 struct socket **res,
				 struct netlink_ext_ack *extack)
{
	long timeo = msecs_to_jiffies(CALPERF_POLL_MS);
	struct socket *sock;
	int err;

	err = sock_create_kern(ep->net, family, SOCK_STREAM, IPPROTO_TCP,
			       &sock);
	if (err) {
		NL_SET_ERR_MSG(extack, "cannot create a TCP socket");
		return err;
	}
	sock_no_linger(sock->sk);
	lock_sock(sock->sk);
	sock->sk->sk_sndtimeo = timeo;
	sock->sk->sk_rcvtimeo = timeo;
	release_sock(sock->sk);

	/* By default the socket buffer follows the message size (netlink.c). */
	if (ep->sockbuf) {
		err = calperf_setsockopt_int(sock, SOL_SOCKET, SO_SNDBUF,
					     ep->sockbuf);
		if (!err)
			err = calperf_setsockopt_int(sock, SOL_SOCKET,
						     SO_RCVBUF, ep->sockbuf);
		if (err) {
			NL_SET_ERR_MSG(extack, "cannot set the socket buffer size");
			goto err_release;
		}
	}
	if (s->nodelay)
		tcp_sock_set_nodelay(sock->sk);
	if (s->congestion[0]) {
		err = sock->ops->setsockopt(sock, SOL_TCP, TCP_CONGESTION,
					    KERNEL_SOCKPTR(s->congestion),
					    strlen(s->congestion));
		if (err) {
			NL_SET_ERR_MSG(extack,
				       "congestion control algorithm not available");
			goto err_release;
		}
	}
	*res = sock;
	return 0;

err_release:
	sock_release(sock);
	return err;
}

static int calperf_receiver_listen(struct calperf_session *s,
				   struct netlink_ext_ack *extack)
{
	struct calperf_endpoint *ep = &s->receiver;
	struct sockaddr_storage *ss = &ep->addr;
	int err;

	/* No address: listen on the wildcard of the sender's family. */
	if (ss->ss_family == AF_UNSPEC) {
		ss->ss_family = s->sender.present ?
				s->sender.addr.ss_family : AF_INET6;
	}
	calperf_addr_set_port(ss, ep->port);

	err = calperf_socket_create(s, ep, ss->ss_family, &ep->listener,
				    extack);
	if (err)
		return err;
	sock_set_reuseaddr(ep->listener->sk);
	err = kernel_bind(ep->listener, (struct sockaddr *)ss,
			  calperf_addr_len(ss));
	if (err) {
		NL_SET_ERR_MSG(extack,
			       "receiver cannot bind its address and port");
		return err;
	}
	atomic_set(&ep->to_accept, s->nr_flows);
	err = kernel_listen(ep->listener, s->nr_flows);
	if (err)
		NL_SET_ERR_MSG(extack, "receiver cannot listen");
	return err;
}

/*
 * A sender's flow socket, bound to a port of its own now so the flow is
 * known by its port before it connects.
 */
static int calperf_sender_socket(struct calperf_session *s,
				 struct calperf_flow *f,
				 struct netlink_ext_ack *extack)
{
	struct calperf_endpoint *ep = &s->sender;
	struct sockaddr_storage any = { .ss_family = ep->addr.ss_family };
	int err;

	err = calperf_socket_create(s, ep, ep->addr.ss_family, &f->sock,
				    extack);
	if (err)
		return err;
	err = kernel_bind(f->sock, (struct sockaddr *)&any,
			  calperf_addr_len(&any));
	if (err) {
		NL_SET_ERR_MSG(extack, "sender cannot bind a local port");
		return err;
	}
	f->local_port = ntohs(inet_sk(f->sock->sk)->inet_sport);
	return 0;
}

/*
 * Set up the sockets of @s's flows, made by calperf_workers_alloc(), in
 * the caller's context so that a bad address, a port in use or an
 * unknown congestion control fail the start command itself. The receiver
 * listens before the sender exists, so the sender never races the listen.
 */
int calperf_sockets_prepare(struct calperf_session *s,
			    struct netlink_ext_ack *extack)
{
	struct calperf_endpoint *tx = &s->sender, *rx = &s->receiver;
	int err;

	if (rx->present) {
		err = calperf_receiver_listen(s, extack);
		if (err)
			return err;
	}
	if (tx->present) {
		u64 share = div_u64(s->bytes_limit, s->nr_flows);
		u32 extra = s->bytes_limit - share * s->nr_flows;

		calperf_addr_set_port(&tx->addr, tx->port);
		for (u32 i = 0; i < s->nr_flows; i++) {
			struct calperf_flow *f = &tx->flows[i];

			/* A byte limit is the session's total, split evenly. */
			f->bytes_limit = share + (i < extra);
			err = calperf_sender_socket(s, f, extack);
			if (err)
				return err;
		}
	}
	return 0;
}

/* @f's final TCP_INFO figures, kept once the socket is gone. */
void calperf_flow_save_tcp_info(struct calperf_flow *f)
{
	struct tcp_info info;

	tcp_get_info(f->sock->sk, &info);
	f->tcp.rtt_us = info.tcpi_rtt;
	f->tcp.rttvar_us = info.tcpi_rttvar;
	f->tcp.cwnd = info.tcpi_snd_cwnd;
	f->tcp.retrans = info.tcpi_total_retrans;
	f->tcp.mss = info.tcpi_snd_mss;
	f->tcp.reord_seen = info.tcpi_reord_seen;
	f->tcp.dsack_dups = info.tcpi_dsack_dups;
}

/* Did kthread_stop() interrupt a socket call? Then it is no error. */
bool calperf_interrupted(int ret)
{
	return (ret == -EINTR || ret == -ERESTARTSYS) && kthread_should_stop();
}

/* Past the end of the grace period that follows a stop? */
bool calperf_grace_over(struct calperf_session *s, u32 grace_ms)
{
	/* Pairs with calperf_session_halt(), as stop_ns is set before. */
	return smp_load_acquire(&s->halting) &&
	       ktime_get_ns() > READ_ONCE(s->stop_ns) +
				(u64)grace_ms * NSEC_PER_MSEC;
}

/* Connect @f, by @deadline (0: none): 0, -ECANCELED on a stop, or an error. */
int calperf_flow_connect(struct calperf_session *s, struct calperf_flow *f,
			 u64 deadline)
{
	struct calperf_endpoint *ep = &s->sender;
	struct sockaddr *sa = (struct sockaddr *)&ep->addr;
	int len = calperf_addr_len(&ep->addr);
	int err;

	/* A blocking connect returns at each send timeout while in progress. */
	err = kernel_connect(f->sock, sa, len, 0);
	while (err == -EINPROGRESS || err == -EALREADY ||
	       calperf_interrupted(err)) {
		if (calperf_session_should_stop(s))
			return -ECANCELED;
		if (deadline && ktime_get_ns() >= deadline)
			return -ETIMEDOUT;
		err = kernel_connect(f->sock, sa, len, 0);
	}
	if (!err)
		f->peer_port = ep->port;
	return err;
}

/*
 * Half-close every flow that ended well and wait for the peer to close
 * too, so that every byte counted as sent has been read by the peer
 * before the zero-linger close.
 */
void calperf_sender_half_close(struct calperf_worker *w)
{
	struct calperf_session *s = w->s;
	u64 limit = ktime_get_ns() + CALPERF_CLOSE_WAIT_MS * NSEC_PER_MSEC;
	struct calperf_flow *f;
	u8 sink[64];
	int ret;

	for (f = calperf_flow_next(w, NULL); f; f = calperf_flow_next(w, f))
		if (!f->error)
			kernel_sock_shutdown(f->sock, SHUT_WR);
	for (f = calperf_flow_next(w, NULL); f; f = calperf_flow_next(w, f)) {
		if (f->error)
			continue;
		do {
			struct kvec vec = { .iov_base = sink, .iov_len = sizeof(sink) };
			struct msghdr msg = {};

			/* Whatever the peer sends is dropped, not counted. */
			ret = kernel_recvmsg(f->sock, &msg, &vec, 1, vec.iov_len, 0);
			if (kthread_should_stop() ||
			    calperf_grace_over(s, CALPERF_SENDER_GRACE_MS) ||
			    ktime_get_ns() > limit)
				return;
		} while (ret > 0 || ret == -EAGAIN);
	}
}

/*
 * Accept @f's connection on @ep's listener, by @limit (0: none): 0,
 * -ECANCELED on a stop, -ENOTCONN past @limit, or an error. The
 * endpoint's kthreads share the listener; the one that takes the last
 * connection closes it, so nothing else can connect.
 */
int calperf_flow_accept(struct calperf_session *s, struct calperf_endpoint *ep,
			struct calperf_flow *f, u64 limit)
{
	int err;

	for (;;) {
		err = kernel_accept(ep->listener, &f->sock, 0);
		if (err != -EAGAIN && !calperf_interrupted(err))
			break;
		if (calperf_session_should_stop(s))
			return -ECANCELED;
		if (limit && ktime_get_ns() >= limit)
			return -ENOTCONN;
	}
	if (err)
		return err;
	sock_no_linger(f->sock->sk);
	f->local_port = ntohs(inet_sk(f->sock->sk)->inet_sport);
	f->peer_port = ntohs(inet_sk(f->sock->sk)->inet_dport);
	if (atomic_dec_and_test(&ep->to_accept)) {
		sock_release(ep->listener);
		ep->listener = NULL;
	}
	return 0;
}
