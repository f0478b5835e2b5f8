/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CPU accounting of a session: exact softirq time per CPU and vector and
 * device hardirq time, from the irq tracepoints, plus each CPU's busy
 * time from kcpustat, over the window of the session's data phases.
 */
#ifndef _CALPERF_CPU_H
#define _CALPERF_CPU_H

#include <linux/interrupt.h>
#include <linux/mutex.h>
#include <linux/types.h>

/*
 * One CPU's counters at one moment, or their change over a run (ns).
 * The _self parts ran on top of the session's own kthreads, so they are
 * also in those kthreads' CPU time (sum_exec_runtime, without
 * IRQ_TIME_ACCOUNTING): to be subtracted from the irq time of the path.
 */
struct calperf_cpu_sample {
	u64 softirq_ns[NR_SOFTIRQS];	/* without hardirqs nested in them */
	u64 softirq_self_ns;		/* of which in this session's kthreads */
	u64 hardirq_ns;			/* device interrupt handlers */
	u64 hardirq_self_ns;		/* of which in this session's kthreads */
	u64 busy_ns;			/* kcpustat: all but idle and iowait */
};

/* Per CPU, from the start: irq time in the session's kthreads (ns). */
struct calperf_cpu_self {
	u64 softirq_ns;
	u64 hardirq_ns;
};

struct calperf_cpu_acct {
	bool probes;			/* holds the tracepoint probes */
	struct mutex window_lock;	/* the kthreads' open and close */
	u64 start_ns;			/* the data phases' window; 0: none */
	u64 end_ns;
	/* [nr_cpu_ids], every possible CPU's, online or not. */
	struct calperf_cpu_sample *start;
	struct calperf_cpu_sample *delta;	/* once ended */
	/* Written by the probes: freed only once the kthreads are stopped. */
	struct calperf_cpu_self __percpu *self;
};

int calperf_cpu_acct_start(struct calperf_cpu_acct *a);
void calperf_cpu_window_open(struct calperf_cpu_acct *a);
void calperf_cpu_window_close(struct calperf_cpu_acct *a);
void calperf_cpu_acct_end(struct calperf_cpu_acct *a);
/* Once ended: whether @cpu (possible) belongs in the report. */
bool calperf_cpu_reported(const struct calperf_cpu_acct *a, int cpu);
void calperf_cpu_acct_free(struct calperf_cpu_acct *a);
/* The probes must be gone before the module: checked at unload. */
void calperf_cpu_exit(void);

#endif /* _CALPERF_CPU_H */
