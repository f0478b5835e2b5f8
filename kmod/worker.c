// SPDX-License-Identifier: GPL-2.0
/*
 * The kthreads of an endpoint ("workers") and the flows each drives:
 * worker i of T drives flows i, i + T, i + 2T...
 *
 * Every worker runs calperf_worker_run(): it connects or accepts its
 * flows, runs the data phase as rounds of its traffic's step (one call
 * on each flow that has not ended), then closes and finishes. A worker
 * with one flow makes blocking socket calls, bounded by the socket
 * timeouts (CALPERF_POLL_MS). A worker with several multiplexes them:
 * non-blocking calls in turn, and when none made progress it sleeps
 * until one of its sockets wakes it, as poll() would, through an entry
 * of its own on each socket's wait queue.
 *
 * The workers' memory (flows, workers, a receiver's buffers and hop
 * scratch marks) is made at a start and freed with the session, here.
 */

#include <linux/cpumask.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/wait.h>
#include <net/sock.h>

#include "calperf.h"

/*
 * The kthread's CPU time so far. sum_exec_runtime moves only when the
 * scheduler accounts the running task (a tick, a switch), so a data
 * phase shorter than a tick that never slept read 0 ns: schedule() while
 * running makes it account now (pick_next_task updates the current
 * task's runtime) and costs no sleep. Process context, no lock held.
 */
static u64 calperf_task_cpu_ns(void)
{
	schedule();
	return current->se.sum_exec_runtime;
}

static bool calperf_worker_multiplexed(const struct calperf_worker *w)
{
	return w->index + w->s->nr_threads < w->s->nr_flows;
}

/* Socket wait queue callback, in any context: a socket of @w has news. */
static int calperf_flow_wake(struct wait_queue_entry *wq, unsigned int mode,
			     int sync, void *key)
{
	struct calperf_flow *f = container_of(wq, struct calperf_flow, wait);
	struct calperf_worker *w = f->worker;

	WRITE_ONCE(w->woken, true);
	/* Orders the store above before the task's state test, and back. */
	wake_up_process(w->task);
	return 0;
}

/* Sleep until a socket of @w wakes it, a stop or CALPERF_POLL_MS. */
static void calperf_worker_wait(struct calperf_worker *w)
{
	set_current_state(TASK_INTERRUPTIBLE);
	if (!READ_ONCE(w->woken) && !kthread_should_stop())
		schedule_timeout(msecs_to_jiffies(CALPERF_POLL_MS));
	__set_current_state(TASK_RUNNING);
	WRITE_ONCE(w->woken, false);
}

static void calperf_worker_watch(struct calperf_worker *w)
{
	struct calperf_flow *f;

	for (f = calperf_flow_next(w, NULL); f; f = calperf_flow_next(w, f)) {
		init_waitqueue_func_entry(&f->wait, calperf_flow_wake);
		add_wait_queue(sk_sleep(f->sock->sk), &f->wait);
		f->waiting = true;
	}
}

/* The data phase begins: its clock, its deadline if @timed, its CPU count. */
static u64 calperf_data_begin(struct calperf_worker *w, bool timed)
{
	struct calperf_session *s = w->s;
	/* Before the clock: a switch in there falls outside the window. */
	u64 cpu0 = calperf_task_cpu_ns();
	u64 now = ktime_get_ns();
	struct calperf_flow *f;

	/* A receiver's flows started as they were accepted. */
	for (f = calperf_flow_next(w, NULL); f; f = calperf_flow_next(w, f)) {
		if (f->start_ns)
			continue;
		WRITE_ONCE(f->start_ns, now);
		WRITE_ONCE(f->end_ns, now);
	}
	w->deadline = timed && s->duration_ms ?
		      now + (u64)s->duration_ms * NSEC_PER_MSEC : 0;
	calperf_cpu_window_open(&s->cpu);
	if (calperf_worker_multiplexed(w))
		calperf_worker_watch(w);
	return cpu0;
}

/* Connect each flow of @w, within the session's duration from now. */
static int calperf_worker_connect(struct calperf_worker *w)
{
	struct calperf_session *s = w->s;
	u64 limit = s->duration_ms ? ktime_get_ns() +
		    (u64)s->duration_ms * NSEC_PER_MSEC : 0;
	struct calperf_flow *f;
	int err;

	for (f = calperf_flow_next(w, NULL); f; f = calperf_flow_next(w, f)) {
		err = calperf_flow_connect(s, f, limit);
		if (err) {
			if (err != -ECANCELED)
				f->error = err;
			return err;
		}
	}
	return 0;
}

/*
 * Accept a connection for each flow of @w. A receiver alone keeps its
 * time limit from the start while it waits: nobody connecting is
 * -ENOTCONN, so a listener whose sender never came does not stay
 * behind. Each flow's clock starts as it is accepted, so the bytes its
 * peer sends before the other flows connect are counted with their time.
 */
static int calperf_worker_accept(struct calperf_worker *w)
{
	struct calperf_session *s = w->s;
	u64 limit = !s->sender.present && s->duration_ms ?
		    ktime_get_ns() + (u64)s->duration_ms * NSEC_PER_MSEC : 0;
	struct calperf_flow *f;
	u64 now;
	int err;

	for (f = calperf_flow_next(w, NULL); f; f = calperf_flow_next(w, f)) {
		err = calperf_flow_accept(s, w->ep, f, limit);
		if (err)
			return err;
		now = ktime_get_ns();
		WRITE_ONCE(f->start_ns, now);
		WRITE_ONCE(f->end_ns, now);
	}
	return 0;
}

/*
 * Connect (sender) or accept (receiver) every flow of @w, then begin the
 * data phase. Returns 0 to go on, 1 if stopped first, or an error.
 */
static int calperf_worker_begin(struct calperf_worker *w, u64 *cpu0)
{
	bool sender = w->ep == &w->s->sender;
	int err;

	err = sender ? calperf_worker_connect(w) : calperf_worker_accept(w);
	if (err == -ECANCELED || (!err && calperf_session_should_stop(w->s)))
		return 1;
	if (err)
		return err;
	/* Alone, the receiver keeps time itself; else the sender does. */
	*cpu0 = calperf_data_begin(w, sender || !w->s->sender.present);
	return 0;
}

/* A stop was asked for: the end, for traffic that needs no drain. */
bool calperf_worker_should_stop(struct calperf_worker *w)
{
	return calperf_session_should_stop(w->s);
}

/* Whether @w's traffic ends before its next round. */
static bool calperf_worker_stopped(struct calperf_worker *w)
{
	const struct calperf_traffic *t = w->ep->traffic;

	return t->stopped && t->stopped(w);
}

/*
 * The data phase: rounds of one step on each flow that has not ended,
 * until all have, the time limit, the traffic's stop, or a step's error.
 */
static int calperf_worker_loop(struct calperf_worker *w)
{
	const struct calperf_traffic *t = w->ep->traffic;
	bool nowait = calperf_worker_multiplexed(w);
	struct calperf_flow *f;
	bool active, moved;
	int ret;

	while (!calperf_worker_stopped(w)) {
		active = false;
		moved = false;
		for (f = calperf_flow_next(w, NULL); f; f = calperf_flow_next(w, f)) {
			if (f->ended)
				continue;
			ret = t->step(w, f, nowait);
			if (ret < 0)
				return ret;
			moved |= ret > 0;
			active |= !f->ended;
		}
		if (!active || calperf_worker_stopped(w) ||
		    (w->deadline && ktime_get_ns() >= w->deadline))
			break;
		if (nowait && !moved)
			calperf_worker_wait(w);
		else
			cond_resched();	/* non-blocking calls never sleep */
	}
	return 0;
}

/*
 * The data phase is over: the CPU it took (over the same window as the
 * byte counts), a sender's half-close if it ended well, and the flows'
 * final TCP_INFO.
 */
static void calperf_worker_end(struct calperf_worker *w, u64 cpu0, int err)
{
	struct calperf_flow *f;

	w->cpu_ns = calperf_task_cpu_ns() - cpu0;
	calperf_cpu_window_close(&w->s->cpu);
	if (w->ep == &w->s->sender && !err && !kthread_should_stop())
		calperf_sender_half_close(w);
	for (f = calperf_flow_next(w, NULL); f; f = calperf_flow_next(w, f))
		if (f->sock)
			calperf_flow_save_tcp_info(f);
}

void calperf_flow_release(struct calperf_flow *f)
{
	if (!f->sock)
		return;
	if (f->waiting) {
		remove_wait_queue(sk_sleep(f->sock->sk), &f->wait);
		f->waiting = false;
	}
	sock_release(f->sock);
	f->sock = NULL;
}

/*
 * Finish @w: an early end reports the session's reason for it, the
 * sockets go, and the result is published. Once per started worker: by
 * its kthread as it returns, or by the reap if the kthread never ran.
 */
void calperf_worker_finish(struct calperf_worker *w, int err)
{
	struct calperf_flow *f;

	if (!err && calperf_session_should_stop(w->s))
		err = READ_ONCE(w->s->abort_error);
	for (f = calperf_flow_next(w, NULL); f; f = calperf_flow_next(w, f))
		calperf_flow_release(f);
	w->error = err;
	/* Publish the results above to lockless readers (netlink fill). */
	smp_store_release(&w->finished, true);
	if (atomic_dec_and_test(&w->ep->running))
		calperf_endpoint_finish(w->s, w->ep);
}

/* The kthread of every worker, whatever its traffic. */
int calperf_worker_run(void *data)
{
	struct calperf_worker *w = data;
	u64 cpu0;
	int err;

	err = calperf_worker_begin(w, &cpu0);
	if (!err) {
		err = calperf_worker_loop(w);
		calperf_worker_end(w, cpu0, err);
	} else if (err == 1) {
		err = 0;
	}
	calperf_worker_finish(w, err);
	return 0;
}

/*
 * The worker @t runs, if @t is a calperf kthread, else NULL: they all
 * run calperf_worker_run() on their worker. For any task, in any
 * context; whether the worker is still there is the caller's concern.
 */
struct calperf_worker *calperf_worker_of(struct task_struct *t)
{
	if (!(t->flags & PF_KTHREAD) || kthread_func(t) != calperf_worker_run)
		return NULL;
	return kthread_data(t);
}

/* The flows and workers of @ep; worker i pinned to the i-th CPU. */
int calperf_workers_alloc(struct calperf_session *s,
			  struct calperf_endpoint *ep)
{
	bool receiver = ep == &s->receiver;
	int cpu = ep->cpu;

	ep->flows = kvcalloc(s->nr_flows, sizeof(*ep->flows), CALPERF_GFP);
	ep->workers = kvcalloc(s->nr_threads, sizeof(*ep->workers),
			       CALPERF_GFP);
	if (!ep->flows || !ep->workers)
		return -ENOMEM;
	/* Several kthreads are each pinned, from the first CPU asked for. */
	if (cpu < 0 && s->nr_threads > 1)
		cpu = cpumask_first(cpu_online_mask);
	for (u32 i = 0; i < s->nr_threads; i++) {
		struct calperf_worker *w = &ep->workers[i];

		w->s = s;
		w->ep = ep;
		w->index = i;
		w->cpu = cpu;
		if (cpu >= 0)
			cpu = cpumask_next_wrap(cpu, cpu_online_mask, nr_cpu_ids,
						false);
		/* A sender's workers share its pattern; a receiver's own. */
		if (receiver) {
			w->buf = calperf_payload_buf(s);
			if (!w->buf)
				return -ENOMEM;
		} else {
			w->buf = ep->buf;
		}
		/* Whoever closes samples: a receiver, or a lone sender. */
		if (!s->hop_every || (!receiver && s->receiver.present))
			continue;
		w->hop_marks = kcalloc(CALPERF_HOP_POINTS,
				       sizeof(*w->hop_marks),
				       GFP_KERNEL_ACCOUNT);
		if (!w->hop_marks)
			return -ENOMEM;
	}
	for (u32 i = 0; i < s->nr_flows; i++)
		ep->flows[i].worker = &ep->workers[i % s->nr_threads];
	atomic_set(&ep->running, s->nr_threads);
	return 0;
}

/* Free what calperf_workers_alloc() made, once the kthreads are gone. */
void calperf_workers_free(struct calperf_session *s,
			  struct calperf_endpoint *ep)
{
	for (u32 i = 0; ep->workers && i < s->nr_threads; i++) {
		kfree(ep->workers[i].hop_marks);
		if (ep == &s->receiver)
			kvfree(ep->workers[i].buf);
	}
	kvfree(ep->workers);
	ep->workers = NULL;
	kvfree(ep->flows);
	ep->flows = NULL;
}
