// SPDX-License-Identifier: GPL-2.0
/*
 * Bulk TCP stream: a sender kthread connects and sends message-sized
 * chunks; a receiver kthread accepts one connection and drains it.
 */

#include <linux/kthread.h>
#include <linux/net.h>
#include <linux/timekeeping.h>
#include <linux/uio.h>
#include <net/sock.h>

#include "calperf.h"

int calperf_stream_sender(void *data)
{
	struct calperf_session *s = data;
	struct calperf_endpoint *ep = &s->sender;
	struct kvec vec = { .iov_base = ep->buf };
	u64 deadline = 0, now, cpu0 = 0;
	int ret, err;

	err = calperf_sender_begin(s, &deadline, &cpu0);
	if (err) {
		err = err == 1 ? 0 : err;
		goto out;
	}

	while (!calperf_session_should_stop(s)) {
		struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
		size_t len = s->msg_size;

		if (s->bytes_limit) {
			if (ep->bytes >= s->bytes_limit)
				break;
			len = min_t(u64, len, s->bytes_limit - ep->bytes);
		}
		vec.iov_len = len;
		ret = kernel_sendmsg(ep->sock, &msg, &vec, 1, len);
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

int calperf_stream_receiver(void *data)
{
	struct calperf_session *s = data;
	struct calperf_endpoint *ep = &s->receiver;
	struct kvec vec = { .iov_base = ep->buf, .iov_len = s->msg_size };
	u64 deadline = 0, now, cpu0;
	int ret, err;

	err = calperf_receiver_begin(s, &deadline, &cpu0);
	if (err) {
		err = err == 1 ? 0 : err;
		goto out;
	}

	for (;;) {
		struct msghdr msg = {};

		ret = kernel_recvmsg(ep->sock, &msg, &vec, 1, vec.iov_len, 0);
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
