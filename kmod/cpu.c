// SPDX-License-Identifier: GPL-2.0
/*
 * Exact softirq and hardirq time, the way bcc's softirqs tool measures
 * it: a per-CPU timestamp at softirq_entry, the difference added at
 * softirq_exit. Debian's kernels lack CONFIG_IRQ_TIME_ACCOUNTING, so
 * /proc/stat only samples softirq time at each tick; this does not.
 *
 * The probes are attached while at least one session runs. They touch
 * only their own CPU's counters, in softirq or hardirq context, so they
 * take no lock; sessions read all CPUs' counters at start and at end.
 * Irq time spent on top of a session's own kthreads is also counted per
 * session: it is already in those kthreads' runtime.
 */

#include <linux/kernel_stat.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include <linux/string.h>
/* Without CREATE_TRACE_POINTS: for the prototype checks only. */
#include <trace/events/irq.h>

#include "calperf.h"
#include "cpu.h"
#include "probes.h"

struct calperf_cpu_state {
	struct calperf_cpu_sample total;	/* all but the _self figures */
	u64 softirq_start;		/* 0: not in a softirq */
	u64 hardirq_at_softirq_start;
	u64 hardirq_start;		/* 0: not in a device handler */
};

static DEFINE_PER_CPU(struct calperf_cpu_state, calperf_cpu_state);

/* Guards the probes' registration and their user count. */
static DEFINE_MUTEX(calperf_cpu_mutex);
static unsigned int calperf_cpu_users;

/*
 * This CPU's counters of the session whose kthread @t (current, which
 * an irq interrupted) is, or NULL. worker.c tells its kthreads apart
 * and their data is the worker, so its session is two loads away: no
 * list, no lock, and no other session's kthread can match. The worker is freed only once
 * kthread_stop() has returned, which is after the task set PF_EXITING
 * (do_exit(): exit_signals(), later exit_mm() completes the stop); @t
 * cannot move on while we run on top of it, so if it is not exiting, its
 * worker, session and counters (freed after the kthreads) stay.
 */
static struct calperf_cpu_self *calperf_cpu_self_of(struct task_struct *t)
{
	struct calperf_worker *w;

	if (t->flags & PF_EXITING)
		return NULL;
	w = calperf_worker_of(t);
	/* this_cpu_ptr() of NULL is not NULL: test the percpu pointer. */
	if (!w || !w->s->cpu.self)
		return NULL;
	return this_cpu_ptr(w->s->cpu.self);
}

static void calperf_probe_softirq_entry(void *data, unsigned int vec)
{
	struct calperf_cpu_state *c = this_cpu_ptr(&calperf_cpu_state);

	c->hardirq_at_softirq_start = c->total.hardirq_ns;
	c->softirq_start = local_clock();
}

static void calperf_probe_softirq_exit(void *data, unsigned int vec)
{
	struct calperf_cpu_state *c = this_cpu_ptr(&calperf_cpu_state);
	u64 now = local_clock(), d;
	struct calperf_cpu_self *self;

	if (!c->softirq_start || vec >= NR_SOFTIRQS)
		return;
	/* Hardirqs that interrupted this softirq are counted as hardirq. */
	d = now - c->softirq_start -
	    (c->total.hardirq_ns - c->hardirq_at_softirq_start);
	c->softirq_start = 0;
	if ((s64)d <= 0)
		return;
	WRITE_ONCE(c->total.softirq_ns[vec], c->total.softirq_ns[vec] + d);
	/* Ran in a kthread of a session: that session's softirq_self. */
	self = calperf_cpu_self_of(current);
	if (self)
		WRITE_ONCE(self->softirq_ns, self->softirq_ns + d);
}

static void calperf_probe_irq_entry(void *data, int irq,
				    struct irqaction *action)
{
	struct calperf_cpu_state *c = this_cpu_ptr(&calperf_cpu_state);

	/* Handlers run with interrupts off: they never nest. */
	c->hardirq_start = local_clock();
}

static void calperf_probe_irq_exit(void *data, int irq,
				   struct irqaction *action, int ret)
{
	struct calperf_cpu_state *c = this_cpu_ptr(&calperf_cpu_state);
	struct calperf_cpu_self *self;
	u64 d;

	if (!c->hardirq_start)
		return;
	d = local_clock() - c->hardirq_start;
	c->hardirq_start = 0;
	WRITE_ONCE(c->total.hardirq_ns, c->total.hardirq_ns + d);
	/*
	 * Without IRQ_TIME_ACCOUNTING the handler's time is also in the
	 * interrupted task's runtime: in a session's kthread, its CPU_NS.
	 */
	self = calperf_cpu_self_of(current);
	if (self)
		WRITE_ONCE(self->hardirq_ns, self->hardirq_ns + d);
}

/*
 * Attached in this order, detached in the reverse: exits first, so an
 * entry's probe never runs without its exit's, and a handler or softirq
 * half seen leaves no start behind (an exit without a start is ignored).
 */
static struct calperf_probe calperf_cpu_probes[] = {
	{ "softirq_exit", calperf_probe_softirq_exit },
	{ "irq_handler_exit", calperf_probe_irq_exit },
	{ "softirq_entry", calperf_probe_softirq_entry },
	{ "irq_handler_entry", calperf_probe_irq_entry },
};

/* Fails the build if a probe no longer fits its tracepoint (probes.h). */
static inline void calperf_cpu_probes_check(void)
{
	check_trace_callback_type_softirq_entry(calperf_probe_softirq_entry);
	check_trace_callback_type_softirq_exit(calperf_probe_softirq_exit);
	check_trace_callback_type_irq_handler_entry(calperf_probe_irq_entry);
	check_trace_callback_type_irq_handler_exit(calperf_probe_irq_exit);
}

static int calperf_cpu_probes_register(void)
{
	int cpu;

	calperf_cpu_probes_check();

	/* No probe runs now: forget any softirq or irq seen half before. */
	for_each_possible_cpu(cpu) {
		per_cpu_ptr(&calperf_cpu_state, cpu)->softirq_start = 0;
		per_cpu_ptr(&calperf_cpu_state, cpu)->hardirq_start = 0;
	}
	return calperf_probes_attach(calperf_cpu_probes,
				     ARRAY_SIZE(calperf_cpu_probes));
}

static int calperf_cpu_probes_get(void)
{
	int err = 0;

	mutex_lock(&calperf_cpu_mutex);
	if (!calperf_cpu_users)
		err = calperf_cpu_probes_register();
	if (!err)
		calperf_cpu_users++;
	mutex_unlock(&calperf_cpu_mutex);
	return err;
}

static void calperf_cpu_probes_put(void)
{
	mutex_lock(&calperf_cpu_mutex);
	if (!--calperf_cpu_users)
		calperf_probes_detach(calperf_cpu_probes,
				      ARRAY_SIZE(calperf_cpu_probes));
	mutex_unlock(&calperf_cpu_mutex);
}

/*
 * Every possible CPU, online or not: a CPU that comes online during the
 * run then counts from what it had at the start (its per-CPU figures
 * outlive an offline spell), so its delta is what it did in the window.
 */
static void calperf_cpu_read(const struct calperf_cpu_acct *a,
			     struct calperf_cpu_sample *out)
{
	struct kernel_cpustat kcs;
	int cpu;

	for_each_possible_cpu(cpu) {
		const struct calperf_cpu_sample *t =
			&per_cpu_ptr(&calperf_cpu_state, cpu)->total;
		const struct calperf_cpu_self *self = per_cpu_ptr(a->self, cpu);
		struct calperf_cpu_sample *o = &out[cpu];
		const u64 *st = kcs.cpustat;

		for (int v = 0; v < NR_SOFTIRQS; v++)
			o->softirq_ns[v] = READ_ONCE(t->softirq_ns[v]);
		o->softirq_self_ns = READ_ONCE(self->softirq_ns);
		o->hardirq_ns = READ_ONCE(t->hardirq_ns);
		o->hardirq_self_ns = READ_ONCE(self->hardirq_ns);
		kcpustat_cpu_fetch(&kcs, cpu);
		o->busy_ns = st[CPUTIME_USER] + st[CPUTIME_NICE] +
			     st[CPUTIME_SYSTEM] + st[CPUTIME_IRQ] +
			     st[CPUTIME_SOFTIRQ] + st[CPUTIME_STEAL];
	}
}

int calperf_cpu_acct_start(struct calperf_cpu_acct *a)
{
	int err;

	/* Made for the caller that starts the session: charged to it. */
	a->start = kcalloc(nr_cpu_ids, sizeof(*a->start), GFP_KERNEL_ACCOUNT);
	a->delta = kcalloc(nr_cpu_ids, sizeof(*a->delta), GFP_KERNEL_ACCOUNT);
	a->self = alloc_percpu_gfp(struct calperf_cpu_self, GFP_KERNEL_ACCOUNT);
	if (!a->start || !a->delta || !a->self) {
		calperf_cpu_acct_free(a);
		return -ENOMEM;
	}
	err = calperf_cpu_probes_get();
	if (err) {
		calperf_cpu_acct_free(a);
		return err;
	}
	a->probes = true;
	mutex_init(&a->window_lock);
	return 0;
}

/*
 * The window every CPU figure of the session covers: from the first
 * kthread's start of its data phase to the last one's end of it, the
 * window of the kthreads' own CPU time too. Connecting, waiting for a
 * peer and the close wait stay out of it, so a peer that never closes
 * cannot dilute the figures. A kthread calls open as its data phase
 * begins and close as it ends; the end sample is the last close's.
 */
void calperf_cpu_window_open(struct calperf_cpu_acct *a)
{
	mutex_lock(&a->window_lock);
	if (!a->start_ns) {
		calperf_cpu_read(a, a->start);
		a->start_ns = ktime_get_ns();
	}
	mutex_unlock(&a->window_lock);
}

void calperf_cpu_window_close(struct calperf_cpu_acct *a)
{
	mutex_lock(&a->window_lock);
	a->end_ns = ktime_get_ns();
	calperf_cpu_read(a, a->delta);
	mutex_unlock(&a->window_lock);
}

/* The run is over: keep what changed, and let the probes go. */
void calperf_cpu_acct_end(struct calperf_cpu_acct *a)
{
	u64 *now, *then;
	int cpu;

	if (!a->probes)
		return;
	/* No data phase, no window: every figure is zero. */
	if (!a->start_ns || a->end_ns < a->start_ns) {
		memset(a->delta, 0, nr_cpu_ids * sizeof(*a->delta));
		a->start_ns = 0;
		a->end_ns = 0;
	}
	for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
		/* The sample is all u64: subtract field by field. */
		now = (u64 *)&a->delta[cpu];
		then = (u64 *)&a->start[cpu];
		for (int i = 0; i < sizeof(a->delta[cpu]) / sizeof(u64); i++)
			now[i] = now[i] > then[i] ? now[i] - then[i] : 0;
	}
	calperf_cpu_probes_put();
	a->probes = false;
}

/*
 * Whether the report lists @cpu, a possible CPU: online CPUs are, and
 * offline ones that were online for part of the window (any figure);
 * not every possible CPU, which would be nr_cpu_ids entries of zeros.
 */
bool calperf_cpu_reported(const struct calperf_cpu_acct *a, int cpu)
{
	return cpu_online(cpu) ||
	       memchr_inv(&a->delta[cpu], 0, sizeof(a->delta[cpu]));
}

void calperf_cpu_acct_free(struct calperf_cpu_acct *a)
{
	if (a->probes) {
		calperf_cpu_probes_put();
		a->probes = false;
	}
	kfree(a->start);
	kfree(a->delta);
	free_percpu(a->self);
	a->start = NULL;
	a->delta = NULL;
	a->self = NULL;
}

void calperf_cpu_exit(void)
{
	WARN_ON(calperf_cpu_users);
}
