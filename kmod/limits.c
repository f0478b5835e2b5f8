// SPDX-License-Identifier: GPL-2.0
/*
 * What the whole host lends to calperf sessions, beside the limits of
 * each network namespace: sessions, kthreads and bytes of payload
 * buffers. A session is charged when it is created (for what a start
 * would allocate) and uncharged when it is deleted, so a start never
 * fails for want of room and one caller cannot take a shared host's
 * memory or CPUs by creating sessions. Root may change the limits at any
 * time in /sys/module/calperf/parameters; a lower limit refuses new
 * sessions and leaves existing ones alone.
 */

#include <linux/moduleparam.h>

#include "calperf.h"

static unsigned int max_sessions = 256;
module_param(max_sessions, uint, 0644);
MODULE_PARM_DESC(max_sessions, "sessions on the host, all namespaces (default 256)");

static unsigned int max_kthreads = 512;
module_param(max_kthreads, uint, 0644);
MODULE_PARM_DESC(max_kthreads, "kthreads the sessions may have, host-wide (default 512)");

static unsigned long max_buffer_bytes = 256UL << 20;
module_param(max_buffer_bytes, ulong, 0644);
MODULE_PARM_DESC(max_buffer_bytes,
		 "bytes of payload buffers and rr histograms the sessions may have, host-wide (default 256 MiB)");

/* What the sessions hold now; under the sessions' lock. */
static struct {
	unsigned int sessions;
	unsigned int kthreads;
	unsigned long buffer_bytes;
} calperf_charged;

static unsigned int calperf_session_kthreads(const struct calperf_session *s)
{
	return s->nr_threads * (s->sender.present + s->receiver.present);
}

/*
 * The sender's one buffer and each receiving kthread's own, and an rr
 * client's latency histogram: one per possible CPU, so on a large host
 * it outweighs the buffers.
 */
static unsigned long calperf_session_buffer_bytes(const struct calperf_session *s)
{
	unsigned long n = s->sender.present + s->receiver.present * s->nr_threads;
	unsigned long bytes = n * calperf_session_buf_size(s);

	if (s->kind == CALPERF_KIND_RR && s->sender.present)
		bytes += num_possible_cpus() * sizeof(struct calperf_hist_cpu);
	return bytes;
}

int calperf_limits_charge(const struct calperf_session *s,
			  struct netlink_ext_ack *extack)
{
	unsigned int kthreads = calperf_session_kthreads(s);
	unsigned long bytes = calperf_session_buffer_bytes(s);

	if (calperf_charged.sessions >= READ_ONCE(max_sessions)) {
		NL_SET_ERR_MSG(extack,
			       "too many sessions on this host (module parameter max_sessions)");
		return -ENOSPC;
	}
	if (calperf_charged.kthreads + kthreads > READ_ONCE(max_kthreads)) {
		NL_SET_ERR_MSG(extack,
			       "too many kthreads on this host (module parameter max_kthreads)");
		return -ENOSPC;
	}
	if (calperf_charged.buffer_bytes + bytes > READ_ONCE(max_buffer_bytes)) {
		NL_SET_ERR_MSG(extack,
			       "too many buffer bytes on this host (module parameter max_buffer_bytes)");
		return -ENOSPC;
	}
	calperf_charged.sessions++;
	calperf_charged.kthreads += kthreads;
	calperf_charged.buffer_bytes += bytes;
	return 0;
}

void calperf_limits_uncharge(const struct calperf_session *s)
{
	calperf_charged.sessions--;
	calperf_charged.kthreads -= calperf_session_kthreads(s);
	calperf_charged.buffer_bytes -= calperf_session_buffer_bytes(s);
}
