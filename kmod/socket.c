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
	err = kernel_listen(ep->listener, 1);
	if (err)
		NL_SET_ERR_MSG(extack, "receiver cannot listen");
	return err;
}

/*
 * Set up what the kthreads need, in the caller's context so that a bad
 * address, a port in use or an unknown congestion control fail the start
 * command itself. The receiver listens before the sender exists, so the
 * sender never races the listen.
 */
int calperf_sockets_prepare(struct calperf_session *s,
			    struct netlink_ext_ack *extack)
{
	struct calperf_endpoint *tx = &s->sender, *rx = &s->receiver;
	int err;

	if (rx->present) {
		err = calperf_payload_alloc(s, rx, false);
		if (err)
			return err;
		err = calperf_receiver_listen(s, extack);
		if (err)
			return err;
	}
	if (tx->present) {
		struct sockaddr_storage *ss = &tx->addr;

		err = calperf_payload_alloc(s, tx, s->zerocopy_send);
		if (err)
			return err;
		calperf_addr_set_port(ss, tx->port);
		err = calperf_socket_create(s, tx, ss->ss_family, &tx->sock,
					    extack);
		if (err)
			return err;
	}
	return 0;
}

static u64 calperf_task_cpu_ns(void)
{
	return current->se.sum_exec_runtime;
}

static void calperf_save_tcp_info(struct calperf_endpoint *ep)
{
	struct tcp_info info;

	tcp_get_info(ep->sock->sk, &info);
	ep->tcp.rtt_us = info.tcpi_rtt;
	ep->tcp.rttvar_us = info.tcpi_rttvar;
	ep->tcp.cwnd = info.tcpi_snd_cwnd;
	ep->tcp.retrans = info.tcpi_total_retrans;
	ep->tcp.mss = info.tcpi_snd_mss;
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
	return smp_load_acquire(&s->stopping) &&
	       ktime_get_ns() > READ_ONCE(s->stop_ns) +
				(u64)grace_ms * NSEC_PER_MSEC;
}

static int calperf_sender_connect(struct calperf_session *s, u64 deadline)
{
	struct calperf_endpoint *ep = &s->sender;
	struct sockaddr *sa = (struct sockaddr *)&ep->addr;
	int len = calperf_addr_len(&ep->addr);
	int err;

	/* A blocking connect returns at each send timeout while in progress. */
	err = kernel_connect(ep->sock, sa, len, 0);
	while (err == -EINPROGRESS || err == -EALREADY ||
	       calperf_interrupted(err)) {
		if (calperf_session_should_stop(s))
			return -ECANCELED;
		if (deadline && ktime_get_ns() >= deadline)
			return -ETIMEDOUT;
		err = kernel_connect(ep->sock, sa, len, 0);
	}
	return err;
}

/*
 * Half-close and wait for the peer to close too, so that every byte
 * counted as sent has been read by the peer before the zero-linger close.
 */
static void calperf_sender_close(struct calperf_session *s)
{
	struct calperf_endpoint *ep = &s->sender;
	u64 limit = ktime_get_ns() + CALPERF_CLOSE_WAIT_MS * NSEC_PER_MSEC;
	struct kvec vec = {
		.iov_base = ep->buf,
		.iov_len = calperf_session_buf_size(s),
	};
	struct msghdr msg = {};
	int ret;

	kernel_sock_shutdown(ep->sock, SHUT_WR);
	for (;;) {
		ret = kernel_recvmsg(ep->sock, &msg, &vec, 1, vec.iov_len, 0);
		if (ret != -EAGAIN && ret <= 0)
			break;
		if (kthread_should_stop() ||
		    calperf_grace_over(s, CALPERF_SENDER_GRACE_MS) ||
		    ktime_get_ns() > limit)
			break;
	}
}

static int calperf_receiver_accept(struct calperf_session *s)
{
	struct calperf_endpoint *ep = &s->receiver;
	int err;

	for (;;) {
		err = kernel_accept(ep->listener, &ep->sock, 0);
		if (err != -EAGAIN && !calperf_interrupted(err))
			break;
		if (calperf_session_should_stop(s))
			return -ECANCELED;
	}
	/* One connection per session: stop listening at once. */
	sock_release(ep->listener);
	ep->listener = NULL;
	if (err)
		return err;
	sock_no_linger(ep->sock->sk);
	return 0;
}

/* The data phase begins: its clock, its deadline if @timed, its CPU count. */
static u64 calperf_data_begin(struct calperf_session *s,
			      struct calperf_endpoint *ep, bool timed,
			      u64 *deadline)
{
	u64 now = ktime_get_ns();

	WRITE_ONCE(ep->start_ns, now);
	WRITE_ONCE(ep->end_ns, now);
	*deadline = timed && s->duration_ms ?
		    now + (u64)s->duration_ms * NSEC_PER_MSEC : 0;
	return calperf_task_cpu_ns();
}

/*
 * Connect (within the session's duration), then begin the data phase.
 * Returns 0 to go on, 1 if stopped before connected, or an error.
 */
int calperf_sender_begin(struct calperf_session *s, u64 *deadline, u64 *cpu0)
{
	u64 limit = s->duration_ms ? ktime_get_ns() +
		    (u64)s->duration_ms * NSEC_PER_MSEC : 0;
	int err;

	err = calperf_sender_connect(s, limit);
	if (err == -ECANCELED || (!err && calperf_session_should_stop(s)))
		return 1;
	if (err)
		return err;
	*cpu0 = calperf_data_begin(s, &s->sender, true, deadline);
	return 0;
}

/* Accept, then begin the data phase; returns as calperf_sender_begin(). */
int calperf_receiver_begin(struct calperf_session *s, u64 *deadline, u64 *cpu0)
{
	int err = calperf_receiver_accept(s);

	if (err == -ECANCELED)
		return 1;
	if (err)
		return err;
	/* Alone, the receiver keeps time itself; else the sender does. */
	*cpu0 = calperf_data_begin(s, &s->receiver, !s->sender.present,
				   deadline);
	return 0;
}

/*
 * The data phase is over: the CPU it took, a graceful close for a sender
 * that ended well, and the socket's final TCP_INFO.
 */
void calperf_data_end(struct calperf_session *s, struct calperf_endpoint *ep,
		      u64 cpu0, int err)
{
	ep->cpu_ns = calperf_task_cpu_ns() - cpu0;
	if (ep == &s->sender && !err && !kthread_should_stop())
		calperf_sender_close(s);
	calperf_save_tcp_info(ep);
}

/*
 * The end of every kthread: an early end reports the session's reason
 * for it, the sockets go, and the result is published.
 */
void calperf_endpoint_exit(struct calperf_session *s,
			   struct calperf_endpoint *ep, int err)
{
	if (!err && calperf_session_should_stop(s))
		err = READ_ONCE(s->abort_error);
	calperf_endpoint_release(ep);
	calperf_endpoint_finish(s, ep, err);
}
