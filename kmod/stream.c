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
static int calperf_stream_send(struct calperf_session *s,
			       struct calperf_endpoint *ep, u32 off, size_t len)
{
	struct kvec vec = { .iov_base = ep->buf + off, .iov_len = len };
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };

	if (s->zerocopy_send)
		return calperf_send_pages(ep->sock, ep->bvec, ep->nr_bvec, off,
					  len);
	return kernel_sendmsg(ep->sock, &msg, &vec, 1, len);
}

int calperf_stream_sender(void *data)
{
	struct calperf_session *s = data;
	struct calperf_endpoint *ep = &s->sender;
	u64 deadline = 0, now, cpu0 = 0;
	int ret, err;

	err = calperf_sender_begin(s, &deadline, &cpu0);
	if (err) {
		err = err == 1 ? 0 : err;
		goto out;
	}

	while (!calperf_session_should_stop(s)) {
		/* Go on from where a short send left off: see payload.c. */
		u32 off;
		size_t len;

		div_u64_rem(ep->bytes, s->msg_size, &off);
		len = s->msg_size - off;
		if (s->bytes_limit) {
			if (ep->bytes >= s->bytes_limit)
				break;
			len = min_t(u64, len, s->bytes_limit - ep->bytes);
		}
		ret = calperf_stream_send(s, ep, off, len);
		now = ktime_get_ns();
		if (ret > 0) {
			WRITE_ONCE(ep->bytes, ep->bytes + ret);
			WRITE_ONCE(ep->calls, ep->calls + 1);
			WRITE_ONCE(ep->end_ns, now);
		} else if (ret != -EAGAIN && !calperf_interrupted(ret)) {
			err = ret;
			break;
		}
		if (deadline && now >= deadline)
			break;
	}
	/* CPU over the same window as the byte count: first to last send. */
	calperf_data_end(s, ep, cpu0, err);
out:
	calperf_endpoint_exit(s, ep, err);
	return 0;
}

/*
 * Consume an skb's data in place, checking it if asked to. A bad byte
 * shows as verified < bytes, which ends the run.
 */
static int calperf_stream_actor(read_descriptor_t *desc, struct sk_buff *skb,
				unsigned int offset, size_t len)
{
	struct calperf_session *s = desc->arg.data;
	struct calperf_endpoint *ep = &s->receiver;
	size_t good = len;

	if (s->verify) {
		good = calperf_payload_check_skb(skb, offset, len,
						 ep->bytes + desc->written,
						 s->msg_size);
		WRITE_ONCE(ep->verified, ep->verified + good);
	}
	desc->written += len;
	/* Up to msg_size bytes, as a recvmsg() would; none after a bad one. */
	desc->count = good < len || desc->count <= len ? 0 : desc->count - len;
	return len;
}

/*
 * Receive without copying, as in-kernel TCP consumers do: ->read_sock()
 * hands us the queued skbs, and we wait for more as recvmsg() would.
 * Returns as kernel_recvmsg(): bytes, 0 at the end, or an error.
 */
static int calperf_stream_read(struct calperf_session *s,
			       struct calperf_endpoint *ep)
{
	read_descriptor_t desc = { .count = s->msg_size, .arg.data = s };
	struct sock *sk = ep->sock->sk;
	long timeo = sk->sk_rcvtimeo;
	int ret;

	lock_sock(sk);
	ret = ep->sock->ops->read_sock(sk, &desc, calperf_stream_actor);
	if (ret == 0 && !sk->sk_err && !(sk->sk_shutdown & RCV_SHUTDOWN) &&
	    !sock_flag(sk, SOCK_DONE)) {
		sk_wait_data(sk, &timeo, NULL);
		ret = -EAGAIN;
	}
	release_sock(sk);
	return ret;
}

/* One receive: copied out into the buffer, or consumed in place. */
static int calperf_stream_recv(struct calperf_session *s,
			       struct calperf_endpoint *ep)
{
	struct kvec vec = { .iov_base = ep->buf, .iov_len = s->msg_size };
	struct msghdr msg = {};
	size_t good;
	int ret;

	if (s->nocopy_recv)
		return calperf_stream_read(s, ep);
	ret = kernel_recvmsg(ep->sock, &msg, &vec, 1, vec.iov_len, 0);
	if (ret > 0 && s->verify) {
		good = calperf_payload_check(ep->buf, ret, ep->bytes,
					     s->msg_size);
		WRITE_ONCE(ep->verified, ep->verified + good);
	}
	return ret;
}

int calperf_stream_receiver(void *data)
{
	struct calperf_session *s = data;
	struct calperf_endpoint *ep = &s->receiver;
	u64 deadline = 0, now, cpu0;
	int ret, err;

	err = calperf_receiver_begin(s, &deadline, &cpu0);
	if (err) {
		err = err == 1 ? 0 : err;
		goto out;
	}

	for (;;) {
		ret = calperf_stream_recv(s, ep);
		now = ktime_get_ns();
		if (ret > 0) {
			WRITE_ONCE(ep->bytes, ep->bytes + ret);
			WRITE_ONCE(ep->calls, ep->calls + 1);
			WRITE_ONCE(ep->end_ns, now);
		} else if (ret == 0) {
			/* A reset also reads as end of stream: tell them apart. */
			err = sock_error(ep->sock->sk);
			break;
		} else if (ret != -EAGAIN && !calperf_interrupted(ret)) {
			err = ret;
			break;
		}
		if (s->verify && ep->verified < ep->bytes) {
			err = -EBADMSG;
			break;
		}
		if (kthread_should_stop() ||
		    calperf_grace_over(s, CALPERF_RECEIVER_GRACE_MS) ||
		    (deadline && now >= deadline))
			break;
	}
	calperf_data_end(s, ep, cpu0, err);
out:
	calperf_endpoint_exit(s, ep, err);
	return 0;
}
