// SPDX-License-Identifier: GPL-2.0
/*
 * Request/response over TCP, the in-kernel counterpart of qperf's tcp_lat
 * and netperf's TCP_RR: a client kthread sends a request of req_size
 * bytes and waits for the whole response of resp_size bytes from a
 * server kthread, one transaction at a time. Each round trip goes into
 * the client's latency histogram.
 */

#include <linux/kthread.h>
#include <linux/net.h>
#include <linux/timekeeping.h>
#include <linux/uio.h>
#include <net/sock.h>

#include "calperf.h"

/*
 * How long past its time limit a client waits for the answer in flight:
 * a transaction under way at the limit completes; a peer that does not
 * answer by then has stopped answering (-ETIMEDOUT).
 */
#define CALPERF_RR_ANSWER_GRACE_MS	1000

/*
 * A blocking call on @w's flow returned without data (its timeout, or a
 * kthread_stop()): -ECANCELED to end on a stop, -ETIMEDOUT once past
 * @deadline (0: none), so a peer that stops answering mid-transaction
 * cannot hold the run past its time limit, or 0 to go on waiting.
 */
static int calperf_rr_waited(struct calperf_worker *w, u64 deadline)
{
	if (calperf_session_should_stop(w->s))
		return -ECANCELED;
	if (deadline && ktime_get_ns() >= deadline)
		return -ETIMEDOUT;
	return 0;
}

/* Send @len bytes of the buffer: 0, -ECANCELED on a stop, or an error. */
static int calperf_send_all(struct calperf_worker *w, struct calperf_flow *f,
			    size_t len, u64 deadline)
{
	size_t done = 0;
	int ret;

	while (done < len) {
		struct kvec vec = {
			.iov_base = w->buf + done,
			.iov_len = len - done,
		};
		struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };

		ret = kernel_sendmsg(f->sock, &msg, &vec, 1, vec.iov_len);
		if (ret > 0) {
			done += ret;
		} else if (ret == -EAGAIN || calperf_interrupted(ret)) {
			ret = calperf_rr_waited(w, deadline);
			if (ret)
				return ret;
		} else {
			return ret;
		}
	}
	return 0;
}

/*
 * Receive exactly @len bytes: 0, 1 if the peer closed before the first
 * byte (a clean end between transactions), -ECANCELED on a stop, or an
 * error (a close in mid-message is -ECONNRESET).
 */
static int calperf_recv_all(struct calperf_worker *w, struct calperf_flow *f,
			    size_t len, u64 deadline)
{
	size_t done = 0;
	int ret;

	while (done < len) {
		struct kvec vec = {
			.iov_base = w->buf + done,
			.iov_len = len - done,
		};
		struct msghdr msg = {};

		ret = kernel_recvmsg(f->sock, &msg, &vec, 1, vec.iov_len, 0);
		if (ret > 0) {
			done += ret;
		} else if (ret == 0) {
			ret = sock_error(f->sock->sk);
			return ret ?: done ? -ECONNRESET : 1;
		} else if (ret == -EAGAIN || calperf_interrupted(ret)) {
			ret = calperf_rr_waited(w, deadline);
			if (ret)
				return ret;
		} else {
			return ret;
		}
	}
	return 0;
}

static void calperf_rr_count(struct calperf_flow *f, u32 bytes, u64 now)
{
	WRITE_ONCE(f->bytes, f->bytes + bytes);
	WRITE_ONCE(f->calls, f->calls + 1);
	WRITE_ONCE(f->end_ns, now);
}

/*
 * The client's step, one transaction: 1, 0 once its flow has ended (its
 * count reached, or a stop), or the error that ends it. Its waits end
 * past the time limit, plus the grace for the answer in flight.
 */
static int calperf_rr_client_step(struct calperf_worker *w,
				  struct calperf_flow *f, bool nowait)
{
	struct calperf_session *s = w->s;
	u64 answer_by = w->deadline ? w->deadline +
			CALPERF_RR_ANSWER_GRACE_MS * NSEC_PER_MSEC : 0;
	u64 now, t0;
	int err;

	if (s->hops)
		calperf_hops_send(s->hops, w, f, f->calls * s->req_size);
	t0 = ktime_get_ns();
	err = calperf_send_all(w, f, s->req_size, answer_by);
	if (!err)
		err = calperf_recv_all(w, f, s->resp_size, answer_by);
	if (err == 1)
		err = -ECONNRESET;	/* the server closed first */
	if (err == -ECANCELED) {
		f->ended = true;
		return 0;
	}
	if (err) {
		f->error = err;
		return err;
	}
	now = ktime_get_ns();
	calperf_hist_add(&w->ep->rtt, now - t0);
	calperf_rr_count(f, s->req_size + s->resp_size, now);
	if (s->count_limit && f->calls >= s->count_limit)
		f->ended = true;
	return 1;
}

/* An rr session has one flow and one kthread per end. */
const struct calperf_traffic calperf_rr_client = {
	.role = "client",
	.step = calperf_rr_client_step,
	.stopped = calperf_worker_should_stop,
};

/*
 * The server's step, one answer: 1, 0 once its flow has ended (the
 * client closed, a stop, or the time limit while waiting), or the error
 * that ends it.
 */
static int calperf_rr_server_step(struct calperf_worker *w,
				  struct calperf_flow *f, bool nowait)
{
	struct calperf_session *s = w->s;
	u64 read_ns;
	int err;

	err = calperf_recv_all(w, f, s->req_size, w->deadline);
	read_ns = ktime_get_ns();
	if (!err)
		err = calperf_send_all(w, f, s->resp_size, w->deadline);
	if (err == 1 || err == -ECANCELED || err == -ETIMEDOUT) {
		f->ended = true;
		return 0;
	}
	if (err) {
		f->error = err;
		return err;
	}
	/* After the answer: the hop report is not in the round trip. */
	if (s->hops)
		calperf_hops_deliver(s->hops, w, f,
				     (f->calls + 1) * s->req_size, read_ns);
	calperf_rr_count(f, s->req_size + s->resp_size, ktime_get_ns());
	return 1;
}

/* Only its calls see a stop: it answers what is asked until then. */
const struct calperf_traffic calperf_rr_server = {
	.role = "server",
	.step = calperf_rr_server_step,
};
