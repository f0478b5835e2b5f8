// SPDX-License-Identifier: GPL-2.0
/*
 * calperfctl stream: the in-kernel counterpart of "qperf HOST tcp_bw".
 * Creates a session (receiver in one namespace, sender in another),
 * runs it, waits, prints the results and deletes it.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "config.h"
#include "json.h"
#include "nl.h"
#include "session.h"
#include "util.h"

#define STREAM_DEFAULT_PORT	5201
#define STREAM_POLL_MS		100

static volatile sig_atomic_t interrupted;

static int usage(FILE *f)
{
	fprintf(f,
		"Usage: calperfctl stream [ to ] ADDR [ port PORT ] [ OPTIONS ]\n"
		"where  OPTIONS := [ msg-size SIZE ] [ time DURATION | bytes SIZE ]\n"
		"                  [ nodelay ] [ congestion NAME ] [ sockbuf SIZE ]\n"
		"                  [ client-netns NAME ] [ server-netns NAME ]\n"
		"                  [ client-cpu CPU ] [ server-cpu CPU ]\n"
		"                  [ client-only | server-only ]\n"
		"\n"
		"The server (receiver) listens on ADDR:PORT (default port %d) in\n"
		"server-netns; the client (sender) connects to it from client-netns.\n"
		"client-only sends to any TCP sink; server-only drains any TCP source.\n"
		"Defaults: msg-size 64K, time 10 s, sockbuf = msg-size.\n"
		"-m and -t stand for msg-size and time; --word for word.\n",
		STREAM_DEFAULT_PORT);
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
	if (!strncmp(arg, "--", 2))
		return arg + 2;
	return arg;
}

static int parse_args(struct cp_config *c, int argc, char **argv,
		      bool *have_addr)
{
	struct cp_endpoint_cfg *tx = &c->sender, *rx = &c->receiver;
	bool client_only = false, server_only = false;
	const char *k;
	char *kv[2];
	int n;

	tx->present = rx->present = true;
	tx->port = rx->port = STREAM_DEFAULT_PORT;
	while (argc > 0) {
		k = keyword(argv[0]);
		kv[0] = (char *)k;
		kv[1] = argc > 1 ? argv[1] : NULL;
		n = 0;
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
				*have_addr = true;
		} else if (!strncmp(k, "client-", 7) || !strncmp(k, "server-", 7)) {
			kv[0] = (char *)k + 7;
			n = cp_endpoint_option(k[0] == 'c' ? tx : rx, argc, kv);
		} else if (!*have_addr && parse_addr(k, &tx->family, tx->addr)) {
			memcpy(rx->addr, tx->addr, sizeof(rx->addr));
			rx->family = tx->family;
			*have_addr = true;
			n = 1;
		} else {
			n = cp_config_option(c, argc, kv);
		}
		if (n == 0)
			cp_error("unknown argument \"%s\"; try \"calperfctl stream help\"",
				 argv[0]);
		if (n <= 0)
			return -1;
		argc -= n, argv += n;
	}
	if (client_only && server_only) {
		cp_error("client-only and server-only are exclusive");
		return -1;
	}
	if (!*have_addr && !server_only) {
		cp_error("missing the address to stream to; try \"calperfctl stream help\"");
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

static double cores(const struct cp_stats *st)
{
	return st->elapsed_ns ? (double)st->cpu_ns / st->elapsed_ns : 0;
}

/* The figures a reader wants first: what arrived, and how fast. */
static const struct cp_stats *headline(const struct cp_session *s)
{
	return s->receiver.present ? &s->receiver.stats : &s->sender.stats;
}

static void progress(const struct cp_session *s, double t)
{
	const struct cp_stats *st = headline(s);

	fprintf(stderr, "\r  %6.1f s  %12llu bytes  %8.3f Gb/s ", t,
		(unsigned long long)st->bytes, st->bps / 1e9);
}

static void print_text(const struct cp_session *s)
{
	const struct cp_endpoint *tx = &s->sender, *rx = &s->receiver;
	const struct cp_endpoint *ep = tx->present ? tx : rx;
	const struct cp_stats *st = headline(s);
	char addr[64] = "*", msg[32], buf[32];

	if (ep->family)
		format_addr(ep->family, ep->addr, addr, sizeof(addr));
	format_size(s->msg_size, msg, sizeof(msg));
	if (ep->sockbuf)
		format_size(ep->sockbuf, buf, sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "auto");
	printf("stream %s port %u  msg %s  sockbuf %s  %.2f s  copy\n", addr,
	       ep->port, msg, buf, seconds(st->elapsed_ns));
	printf("  throughput   %.3f Gb/s  (%.1f MB/s)   %llu bytes\n",
	       st->bps / 1e9, st->bps / 8e6, (unsigned long long)st->bytes);
	if (tx->present)
		printf("  sender       %llu bytes in %llu sends, %.3f s, cpu %.2f (kthread)\n",
		       (unsigned long long)tx->stats.bytes,
		       (unsigned long long)tx->stats.calls,
		       seconds(tx->stats.elapsed_ns), cores(&tx->stats));
	if (rx->present)
		printf("  receiver     %llu bytes in %llu receives, %.3f s, cpu %.2f (kthread)\n",
		       (unsigned long long)rx->stats.bytes,
		       (unsigned long long)rx->stats.calls,
		       seconds(rx->stats.elapsed_ns), cores(&rx->stats));
	if (tx->present)
		printf("  tcp          retrans %u  rtt %u us  cwnd %u  mss %u\n",
		       tx->stats.retrans, tx->stats.rtt_us, tx->stats.cwnd,
		       tx->stats.mss);
}

static void print_json(const struct cp_session *s)
{
	const struct cp_stats *st = headline(s);

	json_open(NULL, '{');
	json_u64("bytes", st->bytes);
	json_u64("elapsed_ns", st->elapsed_ns);
	json_u64("throughput_bps", st->bps);
	if (s->sender.present)
		json_double("sender_cpu_cores", cores(&s->sender.stats));
	if (s->receiver.present)
		json_double("receiver_cpu_cores", cores(&s->receiver.stats));
	json_s64("error", s->error);
	json_str("error_name", errno_name(s->error));
	cp_session_json("session", s);
	json_close();
	json_end();
}

static int wait_done(struct cp_nl *nl, struct cp_session *s)
{
	struct timespec t0, now, pause = { 0, STREAM_POLL_MS * 1000000L };
	const char *term = getenv("TERM");
	bool tty = isatty(STDERR_FILENO) && !opt_json && term &&
		   strcmp(term, "dumb"), stopped = false;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		err = cp_session_get(nl, s->id, s);
		if (err || s->state == CALPERF_STATE_DONE)
			break;
		if (interrupted && !stopped) {
			stopped = true;
			err = cp_session_cmd(nl, CALPERF_CMD_SESSION_STOP, s->id);
			if (err)
				break;
			continue;
		}
		if (tty) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			progress(s, now.tv_sec - t0.tv_sec +
				    (now.tv_nsec - t0.tv_nsec) / 1e9);
		}
		nanosleep(&pause, NULL);
	}
	if (tty)
		fputs("\r\033[K", stderr);
	return err;
}

int cmd_stream(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct cp_session s;
	struct cp_config c;
	bool have_addr = false;
	struct cp_nl nl;
	int err;

	if (argc > 0 && !strcmp(argv[0], "help"))
		return usage(stdout);
	json_setup(opt_pretty);
	cp_config_init(&c);
	if (parse_args(&c, argc, argv, &have_addr)) {
		cp_config_release(&c);
		return 1;
	}
	if (cp_nl_open(&nl)) {
		cp_config_release(&c);
		return 1;
	}
	err = cp_session_create(&nl, &c, &s);
	cp_config_release(&c);
	if (err)
		goto out;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	err = cp_session_cmd(&nl, CALPERF_CMD_SESSION_START, s.id);
	if (!err)
		err = wait_done(&nl, &s);
	if (!err) {
		if (opt_json)
			print_json(&s);
		else
			print_text(&s);
		if (s.error) {
			cp_error("the stream ended with %s (%s)",
				 errno_name(s.error), strerror(-s.error));
			err = s.error;
		}
	}
	cp_session_cmd(&nl, CALPERF_CMD_SESSION_DEL, s.id);
out:
	cp_nl_close(&nl);
	return err ? 1 : 0;
}
