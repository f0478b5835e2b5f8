// SPDX-License-Identifier: GPL-2.0
/*
 * Bulk TCP stream: a sender kthread connects and sends message-sized
 * chunks; a receiver kthread accepts one connection and drains it.
 *
 * Either side may leave out its copy: a zero-copy sender hands TCP the
 * pages of its buffer by reference, and a no-copy receiver consumes the
 * queued skbs in place. With both, what is left is the cost of the path.
 */

#include <linux/kthread.h>
#include <linux/math64.h>
#include <linux/net.h>
#include <linux/timekeeping.h>
#include <linux/uio.h>
#include <net/sock.h>

#include "calperf.h"
#include "compat.h"

/*
 * One send of up to @len bytes from buffer offset @off: copied, or the
 * buffer's pages by reference.
 */
static int calperf_stream_send(struct calperf_worker *w,
			       struct calperf_flow *f, u32 off, size_t len,
			       int flags)
{
	struct calperf_endpoint *ep = w->ep;
	struct kvec vec = { .iov_base = ep->buf + off, .iov_len = len };
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL | flags };

	if (w->s->zerocopy_send)
		return calperf_send_pages(f->sock, ep->bvec, ep->nr_bvec, off,
					  len, flags);
	return kernel_sendmsg(f->sock, &msg, &vec, 1, len);
}

/* The sender's step, one send on @f: 1 if it moved data, else 0. */
static int calperf_stream_send_step(struct calperf_worker *w,
				    struct calperf_flow *f, bool nowait)
{
	struct calperf_session *s = w->s;
	int flags = nowait ? MSG_DONTWAIT : 0;
	u32 off;
	size_t len;
	int ret;

	if (s->hops)
		calperf_hops_send(s->hops, w, f, f->bytes);
	/* Go on from where a short send left off: see payload.c. */
	div_u64_rem(f->bytes, s->msg_size, &off);
	len = s->msg_size - off;
	if (f->bytes_limit)
		len = min_t(u64, len, f->bytes_limit - f->bytes);
	ret = calperf_stream_send(w, f, off, len, flags);
	if (ret > 0) {
		WRITE_ONCE(f->bytes, f->bytes + ret);
		WRITE_ONCE(f->calls, f->calls + 1);
		WRITE_ONCE(f->end_ns, ktime_get_ns());
		if (f->bytes_limit && f->bytes >= f->bytes_limit)
			f->ended = true;
		return 1;
	}
	if (ret != -EAGAIN && !calperf_interrupted(ret)) {
		f->error = ret;
		f->ended = true;
	}
	return 0;
}

const struct calperf_traffic calperf_stream_sender = {
	.role = "tx",
	.step = calperf_stream_send_step,
	.stopped = calperf_worker_should_stop,
};

/*
 * Consume an skb's data in place, checking it if asked to. A bad byte
 * shows as verified < bytes, which ends the flow.
 */
static int calperf_stream_actor(read_descriptor_t *desc, struct sk_buff *skb,
				unsigned int offset, size_t len)
{
	struct calperf_flow *f = desc->arg.data;
	struct calperf_session *s = f->worker->s;
	size_t good = len;

	if (s->verify) {
		good = calperf_payload_check_skb(skb, offset, len,
						 f->bytes + desc->written,
						 s->msg_size);
		WRITE_ONCE(f->verified, f->verified + good);
	}
	desc->written += len;
	/* Up to msg_size bytes, as a recvmsg() would; none after a bad one. */
	desc->count = good < len || desc->count <= len ? 0 : desc->count - len;
	return len;
}

/*
 * Receive without copying, as in-kernel TCP consumers do: ->read_sock()
 * hands us the queued skbs, and unless @nowait we wait for more as
 * recvmsg() would. Returns as kernel_recvmsg(): bytes, 0 at the end, or
 * an error.
 */
static int calperf_stream_read(struct calperf_session *s,
			       struct calperf_flow *f, bool nowait)
{
	read_descriptor_t desc = { .count = s->msg_size, .arg.data = f };
	struct sock *sk = f->sock->sk;
	long timeo = sk->sk_rcvtimeo;
	int ret;

	lock_sock(sk);
	ret = f->sock->ops->read_sock(sk, &desc, calperf_stream_actor);
	if (ret == 0 && !sk->sk_err && !(sk->sk_shutdown & RCV_SHUTDOWN) &&
	    !sock_flag(sk, SOCK_DONE)) {
		if (!nowait)
			sk_wait_data(sk, &timeo, NULL);
		ret = -EAGAIN;
	}
	release_sock(sk);
	return ret;
}

/* One receive on @f: copied out into the buffer, or consumed in place. */
static int calperf_stream_recv(struct calperf_worker *w,
			       struct calperf_flow *f, bool nowait)
{
	struct calperf_session *s = w->s;
	struct kvec vec = { .iov_base = w->buf, .iov_len = s->msg_size };
	struct msghdr msg = {};
	size_t good;
	int ret;

	if (s->nocopy_recv)
		return calperf_stream_read(s, f, nowait);
	ret = kernel_recvmsg(f->sock, &msg, &vec, 1, vec.iov_len,
			     nowait ? MSG_DONTWAIT : 0);
	if (ret > 0 && s->verify) {
		good = calperf_payload_check(w->buf, ret, f->bytes,
					     s->msg_size);
		WRITE_ONCE(f->verified, f->verified + good);
	}
	return ret;
}

/* The receiver's step, one receive on @f: 1 if it moved data, else 0. */
static int calperf_stream_recv_step(struct calperf_worker *w,
				    struct calperf_flow *f, bool nowait)
{
	int ret = calperf_stream_recv(w, f, nowait);

	if (ret > 0) {
		WRITE_ONCE(f->bytes, f->bytes + ret);
		WRITE_ONCE(f->calls, f->calls + 1);
		WRITE_ONCE(f->end_ns, ktime_get_ns());
		if (w->s->hops)
			calperf_hops_deliver(w->s->hops, w, f, f->bytes,
					     f->end_ns);
		if (w->s->verify && f->verified < f->bytes) {
			f->error = -EBADMSG;
			f->ended = true;
		}
		return 1;
	}
	if (ret == 0) {
		/* A reset also reads as end of stream: tell them apart. */
		f->error = sock_error(f->sock->sk);
		f->ended = true;
	} else if (ret != -EAGAIN && !calperf_interrupted(ret)) {
		f->error = ret;
		f->ended = true;
	}
	return 0;
}

/* A stop is the end once the receiver's grace to drain is over. */
static bool calperf_stream_recv_stopped(struct calperf_worker *w)
{
	return kthread_should_stop() ||
	       calperf_grace_over(w->s, CALPERF_RECEIVER_GRACE_MS);
}

const struct calperf_traffic calperf_stream_receiver = {
	.role = "rx",
	.step = calperf_stream_recv_step,
	.stopped = calperf_stream_recv_stopped,
};
