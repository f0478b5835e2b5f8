// SPDX-License-Identifier: GPL-2.0
/*
 * calperfctl stream and rr: run one measurement and print it. "stream"
 * is the in-kernel counterpart of "qperf HOST tcp_bw", "rr" of "qperf
 * HOST tcp_lat" and netperf's TCP_RR. Each creates a session (server in
 * one namespace, client in another), runs it, waits, prints the results
 * and deletes it.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "config.h"
#include "nl.h"
#include "session.h"
#include "util.h"
#include "version.h"

#define RUN_DEFAULT_PORT	5201
/*
 * While a run waits, it reads its session this often (seconds): for the
 * progress line, and in case the "done" notification was lost.
 */
#define RUN_GET_S		1
#define RUN_MAX_PERCENTILES	16

static volatile sig_atomic_t interrupted;

/* One interval report, as a change from the one before. */
struct interval {
	uint64_t start_ns, end_ns;	/* since the data phase began */
	uint64_t bytes, calls;
	uint64_t rtt_sum_ns;		/* rr */
};

struct run {
	struct cp_config c;
	bool have_addr;
	int n_pct;
	double pct[RUN_MAX_PERCENTILES];	/* rr: percentiles asked for */
	uint32_t id;
	bool done;			/* the kernel said so on "monitor" */
	struct interval last;		/* totals at the last report */
	size_t n_iv;
	struct interval *iv;		/* -j: every report */
};

static const char *common_usage =
	"                  [ time DURATION ] [ interval DURATION ]\n"
	"                  [ nodelay ] [ congestion NAME ]\n"
	"                  [ sockbuf SIZE ] [ client-netns NETNS ] [ server-netns NETNS ]\n"
	"                  [ client-cpu CPU ] [ server-cpu CPU ]\n"
	"                  [ client-only | server-only ]\n"
	"\n"
	"The server listens on ADDR:PORT (default port 5201) in server-netns;\n"
	"the client connects to it from client-netns. client-only talks to any\n"
	"TCP server, server-only serves any TCP client. NETNS is a name under\n"
	"/run/netns, a path, pid:PID (that process's namespace) or\n"
	"container:NAME (its init process's, from podman, docker or crictl).\n"
	"interval (-i) prints one line per interval (JSON: an \"intervals\"\n"
	"array). --word is accepted for word.\n";

static int usage(FILE *f, uint8_t kind)
{
	if (kind == CALPERF_KIND_RR)
		fprintf(f,
			"Usage: calperfctl rr [ to ] ADDR [ port PORT ] [ OPTIONS ]\n"
			"where  OPTIONS := [ req-size SIZE ] [ resp-size SIZE ] [ count N ]\n"
			"                  [ percentile P ]... [ hops ] [ hop-sample N ]\n%s"
			"Defaults: 1-byte request and response, time 10 s, percentiles\n"
			"50 90 99 99.9. -s prints the latency histogram's buckets.\n",
			common_usage);
	else
		fprintf(f,
			"Usage: calperfctl stream [ to ] ADDR [ port PORT ] [ OPTIONS ]\n"
			"where  OPTIONS := [ msg-size SIZE ] [ bytes SIZE ]\n"
			"                  [ zerocopy ] [ nocopy ] [ verify ]\n"
			"                  [ flows N ] [ threads T ]\n"
			"                  [ hops ] [ hop-sample N ]\n%s"
			"Defaults: msg-size 64K, time 10 s, sockbuf = msg-size.\n"
			"zerocopy: the client sends its buffer's pages by reference;\n"
			"nocopy: the server consumes data in place (read_sock);\n"
			"verify: the server checks every byte of the payload.\n"
			"flows: N connections over T kthreads per end (default 1, 1),\n"
			"each kthread pinned from client-cpu/server-cpu (or CPU 0) on;\n"
			"bytes is the total, split evenly over the flows.\n"
			"hops: trace one message in 16 (hop-sample N: in N) through every\n"
			"device and print the latency from point to point.\n"
			"-m and -t stand for msg-size and time.\n",
			common_usage);
	return f == stdout ? 0 : 1;
}

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* "--client-netns" -> "client-netns", "-m" -> "msg-size", "-t" -> "time" */
static const char *keyword(const char *arg)
{
	if (!strcmp(arg, "-m"))
		return "msg-size";
	if (!strcmp(arg, "-t"))
		return "time";
	if (!strcmp(arg, "-i"))
		return "interval";
	if (!strncmp(arg, "--", 2))
		return arg + 2;
	return arg;
}

/* rr's "percentile P", e.g. 95 or 99.99. */
static int take_percentile(struct run *r, int argc, char **argv)
{
	char *end;
	double p;

	if (argc < 2) {
		cp_error("\"percentile\" needs a value");
		return -1;
	}
	p = strtod(argv[1], &end);
	if (*end || p <= 0 || p > 100 || r->n_pct == RUN_MAX_PERCENTILES) {
		cp_error("percentile: \"%s\" is not in (0, 100] (at most %d of them)",
			 argv[1], RUN_MAX_PERCENTILES);
		return -1;
	}
	r->pct[r->n_pct++] = p;
	return 2;
}

/* 0, -1 on an error (said), 1 for "help" where a keyword goes. */
static int parse_args(struct run *r, int argc, char **argv)
{
	struct cp_config *c = &r->c;
	struct cp_endpoint_cfg *tx = &c->sender, *rx = &c->receiver;
	bool client_only = false, server_only = false;
	const char *k;
	char *kv[2];
	int n;

	tx->present = rx->present = true;
	tx->port = rx->port = RUN_DEFAULT_PORT;
	while (argc > 0) {
		k = keyword(argv[0]);
		kv[0] = (char *)k;
		kv[1] = argc > 1 ? argv[1] : NULL;
		n = 0;
		if (!strcmp(k, "help"))
			return 1;
		if (!strcmp(k, "client-only") || !strcmp(k, "server-only")) {
			*(k[0] == 'c' ? &client_only : &server_only) = true;
			n = 1;
		} else if (!strcmp(k, "to") || !strcmp(k, "port") ||
			   !strcmp(k, "sockbuf")) {
			if (!strcmp(k, "to"))
				kv[0] = "addr";
			n = cp_endpoint_option(tx, argc, kv);
			if (n > 0)
				cp_endpoint_option(rx, argc, kv);
			if (n > 0 && !strcmp(k, "to"))
				r->have_addr = true;
		} else if (!strncmp(k, "client-", 7) || !strncmp(k, "server-", 7)) {
			kv[0] = (char *)k + 7;
			n = cp_endpoint_option(k[0] == 'c' ? tx : rx, argc, kv);
		} else if (!r->have_addr && parse_addr(k, &tx->family, tx->addr)) {
			memcpy(rx->addr, tx->addr, sizeof(rx->addr));
			rx->family = tx->family;
			r->have_addr = true;
			n = 1;
		} else if (!strcmp(k, "percentile") && c->kind == CALPERF_KIND_RR) {
			n = take_percentile(r, argc, argv);
		} else if (strcmp(k, "kind")) {
			n = cp_config_option(c, argc, kv);
		}
		if (n == 0)
			cp_error("unknown argument \"%s\"; try \"calperfctl %s help\"",
				 argv[0], cp_kind_name(c->kind));
		if (n <= 0)
			return -1;
		argc -= n, argv += n;
	}
	if (client_only && server_only) {
		cp_error("client-only and server-only are exclusive");
		return -1;
	}
	if (!r->have_addr && !server_only) {
		cp_error("missing the server's address; try \"calperfctl %s help\"",
			 cp_kind_name(c->kind));
		return -1;
	}
	if (client_only) {
		if (rx->netns_fd >= 0)
			close(rx->netns_fd);
		cp_endpoint_cfg_init(rx);
	}
	if (server_only) {
		if (tx->netns_fd >= 0)
			close(tx->netns_fd);
		cp_endpoint_cfg_init(tx);
	}
	return 0;
}

static double seconds(uint64_t ns)
{
	return ns / 1e9;
}

static void progress(const struct cp_session *s, double t)
{
	const struct cp_stats *st = cp_headline(s);

	if (s->kind == CALPERF_KIND_RR)
		fprintf(stderr, "\r  %6.1f s  %12llu transactions ", t,
			(unsigned long long)st->calls);
	else
		fprintf(stderr, "\r  %6.1f s  %12llu bytes  %8.3f Gb/s ", t,
			(unsigned long long)st->bytes, st->bps / 1e9);
}

/* One end's line: what its kthreads moved, and their CPU. */
static void print_end_cpu(const struct cp_endpoint *ep, const char *role,
			  const char *calls, const char *key, double cores)
{
	if (!ep->present)
		return;
	print_text("  %-12s %llu bytes in %llu %s, %.3f s", role,
		   (unsigned long long)ep->stats.bytes,
		   (unsigned long long)ep->stats.calls, calls,
		   seconds(ep->stats.elapsed_ns));
	print_float(PRINT_ANY, key, ", cpu %.2f (kthread)\n", cores);
}

static void print_ends_cpu(const struct cp_session *s, const struct cp_figures *f)
{
	bool rr = s->kind == CALPERF_KIND_RR;

	print_end_cpu(&s->sender, rr ? "client" : "sender",
		      rr ? "transactions" : "sends", "sender_cpu_cores",
		      f->sender_cores);
	print_end_cpu(&s->receiver, rr ? "server" : "receiver",
		      rr ? "transactions" : "receives", "receiver_cpu_cores",
		      f->receiver_cores);
}

/*
 * The CPU report: its lines in the text (its figures in ns are in the
 * JSON's session.cpu_time), and in the JSON the result's figures in cores.
 */
static void print_cpu(const struct cp_session *s, const struct cp_figures *f,
		      bool text)
{
	enum print_to saved;

	if (!s->cpu.present)
		return;
	if (text) {
		saved = print_only(PRINT_TEXT);
		cp_cpu_print(s, f);
		print_restore(saved);
	}
	print_float(PRINT_JSON, "path_cpu_cores", NULL, f->path_cores);
	print_float(PRINT_JSON, "softirq_cores", NULL, f->softirq_cores);
	print_float(PRINT_JSON, "busy_cores", NULL, f->busy_cores);
	print_float(print_when(false, f->has_sides), "sender_side_cpu_cores", NULL,
		    f->sender_side_cores);
	print_float(print_when(false, f->has_sides), "receiver_side_cpu_cores", NULL,
		    f->receiver_side_cores);
}

/* The traced path, in the text (the JSON has it in the session). */
static void print_hops(const struct cp_session *s)
{
	enum print_to saved = print_only(PRINT_TEXT);

	cp_hops_print(s);
	print_restore(saved);
}

static void print_endpoint_header(const struct cp_session *s, const char *what)
{
	const struct cp_endpoint *ep = s->sender.present ? &s->sender : &s->receiver;
	char addr[64] = "*";

	if (ep->family)
		format_addr(ep->family, ep->addr, addr, sizeof(addr));
	print_text("%s %s port %u", what, addr, ep->port);
}

/* The receiver's flow that the sender's flow @f connected to, if here. */
static const struct cp_flow *peer_flow(const struct cp_endpoint *rx,
				       const struct cp_flow *f)
{
	for (unsigned int i = 0; i < rx->n_flows; i++)
		if (rx->flows[i].peer_port == f->local_port)
			return &rx->flows[i];
	return NULL;
}

/*
 * One line a flow: the sender's, matched with the receiver's by port
 * (text only: the JSON has each end's flows in the session).
 */
static void print_flows(const struct cp_session *s)
{
	const struct cp_endpoint *tx = &s->sender, *rx = &s->receiver;
	const struct cp_endpoint *ep = tx->present ? tx : rx;

	if (ep->n_flows < 2)
		return;
	print_text("  flows        %u over %u kthreads per end\n", s->nr_flows,
		   s->nr_threads);
	print_text("    %4s %6s %4s %13s %14s %14s %9s %8s\n", "flow", "thread",
		   "cpu", "ports", "sent", "received", "Gb/s", "retrans");
	for (unsigned int i = 0; i < ep->n_flows; i++) {
		const struct cp_flow *f = &ep->flows[i];
		const struct cp_flow *r = tx->present ? peer_flow(rx, f) : f;
		const struct cp_stats *st = r ? &r->stats : &f->stats;
		char ports[16], cpu[12] = "-";

		snprintf(ports, sizeof(ports), "%u>%u", f->local_port,
			 f->peer_port);
		if (f->cpu >= 0)
			snprintf(cpu, sizeof(cpu), "%d", f->cpu);
		print_text("    %4u %6u %4s %13s ", f->index, f->thread, cpu, ports);
		if (tx->present)
			print_text("%14llu ", (unsigned long long)f->stats.bytes);
		else
			print_text("%14s ", "-");
		if (r && rx->present)
			print_text("%14llu ", (unsigned long long)r->stats.bytes);
		else
			print_text("%14s ", "-");
		print_text("%9.3f %8u%s%s\n", st->bps / 1e9, f->stats.retrans,
			   f->stats.error || (r && r->stats.error) ? "  " : "",
			   errno_name(f->stats.error ?: r ? r->stats.error : 0));
	}
}

static void print_stream(const struct cp_session *s, const struct cp_figures *f)
{
	const struct cp_endpoint *tx = &s->sender;
	const struct cp_endpoint *ep = tx->present ? tx : &s->receiver;
	const struct cp_stats *st = f->headline;

	print_endpoint_header(s, "stream");
	print_size(PRINT_TEXT, NULL, "  msg %s", s->msg_size);
	if (ep->sockbuf)
		print_size(PRINT_TEXT, NULL, "  sockbuf %s", ep->sockbuf);
	else
		print_text("  sockbuf auto");
	print_scaled(PRINT_ANY, "elapsed_ns", "  %.2f s", st->elapsed_ns, 1e9);
	print_text("  send %s  receive %s\n", s->zerocopy_send ? "zerocopy" : "copy",
		   s->nocopy_recv ? "nocopy" : "copy");
	print_scaled(PRINT_ANY, "throughput_bps", "  throughput   %.3f Gb/s",
		     st->bps, 1e9);
	print_scaled(PRINT_TEXT, NULL, "  (%.1f MB/s)", st->bps, 8e6);
	print_uint(PRINT_ANY, "bytes", "   %llu bytes\n", st->bytes);
	if (s->receiver.stats.has_verified)
		print_text("  verified     %llu bytes%s\n",
			   (unsigned long long)s->receiver.stats.verified,
			   s->receiver.stats.verified < s->receiver.stats.bytes ?
			   ", then a wrong byte" : ", all intact");
	print_ends_cpu(s, f);
	print_cpu(s, f, true);
	if (f->has_per_gbps) {
		print_float(PRINT_ANY, "path_cpu_cores_per_gbps",
			    "  cpu per Gb/s %.3f cores", f->path_cores_per_gbps);
		print_float(PRINT_ANY, "busy_cost_s_per_gb",
			    "   (busy cost %.3f CPU-s/GB, as qperf's send/recv_cost)\n",
			    f->busy_s_per_gb);
	}
	if (f->has_per_gbps && f->has_sides) {
		print_float(PRINT_ANY, "sender_side_cpu_cores_per_gbps",
			    "               sender %.3f", f->sender_side_cores_per_gbps);
		print_float(PRINT_ANY, "receiver_side_cpu_cores_per_gbps",
			    ", receiver %.3f cores per Gb/s\n",
			    f->receiver_side_cores_per_gbps);
	}
	if (tx->present)
		cp_tcp_print(PRINT_TEXT, &tx->stats, CP_TCP_SUMMARY, s->nr_flows > 1 ?
			     "  (rtt: mean of flows; counters, cwnd: sums)" : "");
	print_flows(s);
	print_hops(s);
}

static void print_rr(const struct run *r, const struct cp_session *s,
		     const struct cp_buckets *b, const struct cp_figures *f)
{
	const struct cp_stats *st = f->headline;
	enum print_to saved;
	char key[32], fmt[32];

	print_endpoint_header(s, "rr");
	print_size(PRINT_TEXT, NULL, "  request %s", s->req_size);
	print_size(PRINT_TEXT, NULL, "  response %s", s->resp_size);
	print_scaled(PRINT_ANY, "elapsed_ns", "  %.2f s\n", st->elapsed_ns, 1e9);
	if (!s->sender.present) {
		/* A server alone: no transactions of its own to report. */
		print_uint(PRINT_JSON, "bytes", NULL, st->bytes);
		print_uint(PRINT_JSON, "throughput_bps", NULL, st->bps);
		print_ends_cpu(s, f);
		print_cpu(s, f, false);
		return;
	}
	print_float(PRINT_ANY, "transactions_per_s", "  transactions %.1f/s",
		    f->transactions_per_s);
	print_uint(PRINT_ANY, "transactions", "   %llu in", st->calls);
	print_scaled(PRINT_TEXT, NULL, " %.3f s\n", st->elapsed_ns, 1e9);
	cp_hist_print(&st->rtt, CP_HIST_RESULT, NULL);
	print_text("              ");
	print_open_object(PRINT_JSON, "rtt_percentiles");
	for (int i = 0; i < r->n_pct; i++) {
		/* 99.9 -> "p99_9_ns", as the histogram's own p99_9_ns */
		snprintf(key, sizeof(key), "p%g_ns", r->pct[i]);
		for (char *c = key; *c; c++)
			if (*c == '.')
				*c = '_';
		snprintf(fmt, sizeof(fmt), " p%g %%.1f us ", r->pct[i]);
		print_scaled(PRINT_ANY, key, fmt,
			     cp_buckets_percentile(b, r->pct[i]), 1e3);
	}
	print_close_object(PRINT_JSON);
	print_scaled(PRINT_ANY, "latency_ns",
		     "\n  latency      %.1f us  (mean rtt / 2, as qperf tcp_lat reports)\n",
		     f->latency_ns, 1e3);
	print_ends_cpu(s, f);
	print_cpu(s, f, true);
	if (f->has_per_transaction) {
		print_float(PRINT_JSON, "path_cpu_ns_per_transaction", NULL,
			    f->path_ns_per_transaction);
		print_float(PRINT_TEXT, NULL,
			    "  cpu          %.1f us per transaction (path)\n",
			    f->path_ns_per_transaction / 1e3);
	}
	print_hops(s);
	if (opt_stats) {
		print_text("  buckets\n");
		saved = print_only(PRINT_TEXT);
		cp_buckets_print(b, "    ");
		print_restore(saved);
	}
}

/* One interval report: a line as it comes, or one of -j's "intervals". */
static void print_interval(const struct run *r, const struct interval *d)
{
	bool rr = r->c.kind == CALPERF_KIND_RR;
	uint64_t t = d->end_ns - d->start_ns;

	print_open_object(PRINT_JSON, NULL);
	print_scaled(PRINT_ANY, "start_ns", "  [%6.2f", d->start_ns, 1e9);
	print_scaled(PRINT_ANY, "end_ns", "-%6.2f s]", d->end_ns, 1e9);
	print_uint(print_when(!rr, true), "bytes", "  %12llu bytes", d->bytes);
	print_uint(print_when(rr, true), "calls", "  %8llu transactions", d->calls);
	print_scaled(print_when(!rr, true), "throughput_bps", "  %8.3f Gb/s\n",
		     t ? (uint64_t)(d->bytes * 8e9 / t) : 0, 1e9);
	print_scaled(print_when(rr, rr), "mean_rtt_ns", "  mean rtt %.1f us\n",
		     d->calls ? d->rtt_sum_ns / d->calls : 0, 1e3);
	print_close_object(PRINT_JSON);
}

/* A run's result: the text's summary, or the JSON's figures and session. */
static void print_result(const struct run *r, const struct cp_session *s,
			 const struct cp_buckets *b)
{
	struct cp_figures f;
	enum print_to saved;

	cp_figures(s, &f);
	print_open_object(PRINT_JSON, NULL);
	cp_provenance_print();
	if (s->kind == CALPERF_KIND_RR)
		print_rr(r, s, b, &f);
	else
		print_stream(s, &f);
	print_int(PRINT_JSON, "error", NULL, s->error);
	print_string(PRINT_JSON, "error_name", NULL, errno_name(s->error));
	/* The text printed each interval as it came. */
	saved = print_only(PRINT_JSON);
	if (r->c.interval_ms >= 0) {
		print_open_array(PRINT_JSON, "intervals");
		for (size_t i = 0; i < r->n_iv; i++)
			print_interval(r, &r->iv[i]);
		print_close_array(PRINT_JSON);
	}
	cp_session_print("session", s, opt_stats ? b : NULL);
	print_restore(saved);
	print_close_object(PRINT_JSON);
	print_end();
}

/* An interval report of our session: print it, or keep it for -j. */
static int on_interval(struct nlattr **tb, uint8_t cmd, void *arg)
{
	struct run *r = arg;
	const struct cp_stats *st;
	struct cp_session s;
	struct interval now, d, *grown;

	if (cmd != CALPERF_CMD_SESSION_INTERVAL || cp_session_parse(tb, &s) ||
	    s.id != r->id)
		return 0;
	st = cp_headline(&s);
	now = (struct interval){
		.end_ns = st->elapsed_ns, .bytes = st->bytes, .calls = st->calls,
		.rtt_sum_ns = st->rtt.mean * st->rtt.count,
	};
	d = (struct interval){
		.start_ns = r->last.end_ns, .end_ns = now.end_ns,
		.bytes = now.bytes - r->last.bytes,
		.calls = now.calls - r->last.calls,
		.rtt_sum_ns = now.rtt_sum_ns - r->last.rtt_sum_ns,
	};
	r->last = now;
	if (opt_json) {
		grown = realloc(r->iv, (r->n_iv + 1) * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		r->iv = grown;
		r->iv[r->n_iv++] = d;
	} else {
		print_interval(r, &d);
	}
	fflush(stdout);
	return 0;
}

static double monotonic_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* A notification on "monitor": an interval report, or the word "done". */
static int on_notification(struct nlattr **tb, uint8_t cmd, void *arg)
{
	struct run *r = arg;

	if (cmd == CALPERF_CMD_SESSION_DONE && tb[CALPERF_A_SESSION_ID] &&
	    nla_get_u32(tb[CALPERF_A_SESSION_ID]) == r->id)
		r->done = true;
	return on_interval(tb, cmd, arg);
}

/*
 * Take what "monitor" has queued. A lost interval report costs only its
 * line: reports carry totals, so the line after the gap spans it; say
 * so when it happens, before any error. A lost "done" costs the wait's
 * timeout.
 */
static int take_news(struct cp_nl *mon, cp_msg_fn fn, struct run *r)
{
	unsigned int lost = mon->overruns;
	int err = cp_nl_drain(mon, fn, r);

	if (mon->overruns != lost && r->c.interval_ms >= 0)
		cp_warning("the kernel dropped interval reports (the socket overran); the line after the gap spans it");
	return err;
}

/*
 * Sleep until the kernel says our session is done, a signal comes or
 * RUN_GET_S pass, taking interval reports as they come. @unblocked is
 * the signal mask to wait with: SIGINT and SIGTERM are blocked outside
 * ppoll(), so none is missed between a check and the sleep.
 */
static int sleep_until_news(struct cp_nl *mon, struct run *r,
			    const sigset_t *unblocked)
{
	struct pollfd pfd = {
		.fd = nl_socket_get_fd(mon->sk), .events = POLLIN,
	};
	double end = monotonic_s() + RUN_GET_S, left;
	int n;

	while (!r->done && !interrupted && (left = end - monotonic_s()) > 0) {
		struct timespec ts = {
			.tv_sec = (time_t)left,
			.tv_nsec = (long)((left - (time_t)left) * 1e9),
		};

		n = ppoll(&pfd, 1, &ts, unblocked);
		if (n < 0 && errno != EINTR) {
			cp_error("poll: %s", strerror(errno));
			return -errno;
		}
		if (n > 0 && take_news(mon, on_notification, r))
			return -EIO;
	}
	return 0;
}

/*
 * Wait for the session to finish. The kernel announces it on "monitor",
 * so the wait sleeps instead of asking: a GET ten times a second took a
 * third of the round trips' CPU on a slow (debug, emulated) guest, and
 * a measurement tool must not compete with what it measures.
 */
static int wait_done(struct cp_nl *nl, struct cp_nl *mon, struct run *r,
		     struct cp_session *s)
{
	double t0 = monotonic_s();
	const char *term = getenv("TERM");
	/* Interval lines on stdout replace the progress line on stderr. */
	bool tty = isatty(STDERR_FILENO) && !opt_json && term &&
		   strcmp(term, "dumb") && r->c.interval_ms < 0;
	bool stopped = false;
	sigset_t block, unblocked;
	int err;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &unblocked);
	for (;;) {
		err = cp_session_get(nl, s->id, s);
		if (err || s->state == CALPERF_STATE_DONE)
			break;
		if (interrupted) {
			/* Signals are blocked here: none comes in between. */
			interrupted = 0;
			if (!stopped) {
				stopped = true;
				err = cp_session_cmd(nl, CALPERF_CMD_SESSION_STOP,
						     s->id);
				if (err)
					break;
			}
			continue;
		}
		if (tty)
			progress(s, monotonic_s() - t0);
		err = sleep_until_news(mon, r, &unblocked);
		if (err)
			break;
	}
	if (!err)
		err = take_news(mon, on_interval, r);
	sigprocmask(SIG_SETMASK, &unblocked, NULL);
	if (tty)
		fputs("\r\033[K", stderr);
	return err;
}

/* Why a run ended, where errno's own text would mislead. */
static const char *run_error_text(int err)
{
	switch (-err) {
	case ETIMEDOUT:
		return "the peer did not answer within the time limit";
	case ENOTCONN:
		return "no peer connected within the time limit";
	default:
		return strerror(-err);
	}
}

static int run(uint8_t kind, int argc, char **argv)
{
	static const double default_pct[] = { 50, 90, 99, 99.9 };
	struct sigaction sa = { .sa_handler = on_signal };
	struct cp_buckets b = {};
	struct cp_nl nl, mon = {};
	struct cp_session s;
	struct run r = {};
	int err;

	cp_config_init(&r.c);
	r.c.kind = kind;
	err = parse_args(&r, argc, argv);
	if (err) {
		cp_config_release(&r.c);
		return err > 0 ? usage(stdout, kind) : 1;
	}
	if (!r.n_pct) {
		r.n_pct = sizeof(default_pct) / sizeof(default_pct[0]);
		memcpy(r.pct, default_pct, sizeof(default_pct));
	}
	if (cp_nl_open(&nl)) {
		cp_config_release(&r.c);
		return 1;
	}
	err = cp_session_create(&nl, &r.c, &s);
	cp_config_release(&r.c);
	if (err)
		goto out;
	r.id = s.id;
	/* "Done" and interval reports come on "monitor": listen before start. */
	err = cp_nl_open(&mon);
	if (!err)
		err = cp_nl_subscribe(&mon, CALPERF_MCGRP_MONITOR);
	if (err)
		goto del;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	err = cp_session_cmd(&nl, CALPERF_CMD_SESSION_START, s.id);
	if (!err)
		err = wait_done(&nl, &mon, &r, &s);
	if (!err && kind == CALPERF_KIND_RR)
		err = cp_session_get_buckets(&nl, s.id, &s, &b);
	if (!err) {
		print_result(&r, &s, &b);
		if (s.error) {
			cp_error("the %s ended with %s (%s)", cp_kind_name(kind),
				 errno_name(s.error), run_error_text(s.error));
			err = s.error;
		}
	}
del:
	free(b.b);
	free(r.iv);
	cp_session_cmd(&nl, CALPERF_CMD_SESSION_DEL, s.id);
	cp_nl_close(&mon);
out:
	cp_nl_close(&nl);
	return err ? 1 : 0;
}

int cmd_stream(int argc, char **argv)
{
	return run(CALPERF_KIND_STREAM, argc, argv);
}

int cmd_rr(int argc, char **argv)
{
	return run(CALPERF_KIND_RR, argc, argv);
}
