// SPDX-License-Identifier: GPL-2.0
/*
 * The kthreads of an endpoint ("workers") and the flows each drives:
 * worker i of T drives flows i, i + T, i + 2T...
 *
 * A worker with one flow makes blocking socket calls, bounded by the
 * socket timeouts (CALPERF_POLL_MS). A worker with several multiplexes
 * them: non-blocking calls in turn, and when none made progress it
 * sleeps until one of its sockets wakes it, as poll() would, through an
 * entry of its own on each socket's wait queue.
 */

#include <linux/kthread.h>
#include <linux/sched.h>
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

bool calperf_worker_multiplexed(const struct calperf_worker *w)
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
void calperf_worker_wait(struct calperf_worker *w)
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
static u64 calperf_data_begin(struct calperf_worker *w, bool timed,
			      u64 *deadline)
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
	*deadline = timed && s->duration_ms ?
		    now + (u64)s->duration_ms * NSEC_PER_MSEC : 0;
	calperf_cpu_window_open(&s->cpu);
	if (calperf_worker_multiplexed(w))
		calperf_worker_watch(w);
	return cpu0;
}

/*
 * Connect (sender) or accept (receiver) every flow of @w, then begin the
 * data phase. Returns 0 to go on, 1 if stopped first, or an error.
 */
int calperf_worker_begin(struct calperf_worker *w, u64 *deadline, u64 *cpu0)
{
	bool sender = w->ep == &w->s->sender;
	int err;

	err = sender ? calperf_worker_connect(w) : calperf_worker_accept(w);
	if (err == -ECANCELED || (!err && calperf_session_should_stop(w->s)))
		return 1;
	if (err)
		return err;
	/* Alone, the receiver keeps time itself; else the sender does. */
	*cpu0 = calperf_data_begin(w, sender || !w->s->sender.present,
				   deadline);
	return 0;
}

/* The data phase is over: the CPU it took, and the flows' close. */
void calperf_worker_end(struct calperf_worker *w, u64 cpu0, int err)
{
	w->cpu_ns = calperf_task_cpu_ns() - cpu0;
	calperf_cpu_window_close(&w->s->cpu);
	calperf_worker_close(w, err);
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
 * Record @w's result. Called once per started worker: by its kthread as
 * it ends, or by the reaper if the kthread never ran.
 */
void calperf_worker_finish(struct calperf_worker *w, int err)
{
	w->error = err;
	/* Publish the results above to lockless readers (netlink fill). */
	smp_store_release(&w->finished, true);
	if (atomic_dec_and_test(&w->ep->running))
		calperf_endpoint_finish(w->s, w->ep);
}

/*
 * The end of every kthread: an early end reports the session's reason
 * for it, the sockets go, and the result is published.
 */
void calperf_worker_exit(struct calperf_worker *w, int err)
{
	struct calperf_flow *f;

	if (!err && calperf_session_should_stop(w->s))
		err = READ_ONCE(w->s->abort_error);
	for (f = calperf_flow_next(w, NULL); f; f = calperf_flow_next(w, f))
		calperf_flow_release(f);
	calperf_worker_finish(w, err);
}
