// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/calperf.h>

#include "config.h"
#include "json.h"
#include "nl.h"
#include "session.h"
#include "util.h"

static void parse_stats(struct nlattr *nest, struct cp_stats *st)
{
	struct nlattr *tb[CALPERF_A_STATS_MAX + 1];

	if (nla_parse_nested(tb, CALPERF_A_STATS_MAX, nest, NULL))
		return;
#define U64(a, f) if (tb[a]) st->f = nla_get_u64(tb[a])
#define U32(a, f) if (tb[a]) st->f = nla_get_u32(tb[a])
	U64(CALPERF_A_STATS_BYTES, bytes);
	U64(CALPERF_A_STATS_CALLS, calls);
	U64(CALPERF_A_STATS_ELAPSED_NS, elapsed_ns);
	U64(CALPERF_A_STATS_THROUGHPUT_BPS, bps);
	U64(CALPERF_A_STATS_CPU_NS, cpu_ns);
	U32(CALPERF_A_STATS_ERROR, error);
	U32(CALPERF_A_STATS_TCP_RTT_US, rtt_us);
	U32(CALPERF_A_STATS_TCP_RTTVAR_US, rttvar_us);
	U32(CALPERF_A_STATS_TCP_CWND, cwnd);
	U32(CALPERF_A_STATS_TCP_RETRANS, retrans);
	U32(CALPERF_A_STATS_TCP_MSS, mss);
#undef U64
#undef U32
	st->done = tb[CALPERF_A_STATS_DONE] != NULL;
}

static void parse_endpoint(struct nlattr *nest, struct cp_endpoint *ep)
{
	struct nlattr *tb[CALPERF_A_ENDPOINT_MAX + 1];

	memset(ep, 0, sizeof(*ep));
	ep->cpu = -1;
	if (!nest || nla_parse_nested(tb, CALPERF_A_ENDPOINT_MAX, nest, NULL))
		return;
	ep->present = true;
	if (tb[CALPERF_A_ENDPOINT_ADDR4]) {
		ep->family = AF_INET;
		memcpy(ep->addr, nla_data(tb[CALPERF_A_ENDPOINT_ADDR4]), 4);
	} else if (tb[CALPERF_A_ENDPOINT_ADDR6]) {
		ep->family = AF_INET6;
		memcpy(ep->addr, nla_data(tb[CALPERF_A_ENDPOINT_ADDR6]), 16);
	}
	if (tb[CALPERF_A_ENDPOINT_PORT])
		ep->port = nla_get_u16(tb[CALPERF_A_ENDPOINT_PORT]);
	if (tb[CALPERF_A_ENDPOINT_CPU])
		ep->cpu = nla_get_u32(tb[CALPERF_A_ENDPOINT_CPU]);
	if (tb[CALPERF_A_ENDPOINT_SOCKBUF])
		ep->sockbuf = nla_get_u32(tb[CALPERF_A_ENDPOINT_SOCKBUF]);
	if (tb[CALPERF_A_ENDPOINT_STATS])
		parse_stats(tb[CALPERF_A_ENDPOINT_STATS], &ep->stats);
}

int cp_session_parse(struct nlattr **tb, struct cp_session *s)
{
	memset(s, 0, sizeof(*s));
	if (!tb[CALPERF_A_SESSION_ID])
		return -1;
	s->id = nla_get_u32(tb[CALPERF_A_SESSION_ID]);
	if (tb[CALPERF_A_SESSION_KIND])
		s->kind = nla_get_u8(tb[CALPERF_A_SESSION_KIND]);
	if (tb[CALPERF_A_SESSION_STATE])
		s->state = nla_get_u8(tb[CALPERF_A_SESSION_STATE]);
	if (tb[CALPERF_A_SESSION_MSG_SIZE])
		s->msg_size = nla_get_u32(tb[CALPERF_A_SESSION_MSG_SIZE]);
	if (tb[CALPERF_A_SESSION_DURATION_MS])
		s->duration_ms = nla_get_u32(tb[CALPERF_A_SESSION_DURATION_MS]);
	if (tb[CALPERF_A_SESSION_BYTES_LIMIT])
		s->bytes_limit = nla_get_u64(tb[CALPERF_A_SESSION_BYTES_LIMIT]);
	s->nodelay = tb[CALPERF_A_SESSION_NODELAY] != NULL;
	if (tb[CALPERF_A_SESSION_CONGESTION])
		snprintf(s->congestion, sizeof(s->congestion), "%s",
			 nla_get_string(tb[CALPERF_A_SESSION_CONGESTION]));
	if (tb[CALPERF_A_SESSION_ERROR]) {
		s->has_error = true;
		s->error = nla_get_u32(tb[CALPERF_A_SESSION_ERROR]);
	}
	parse_endpoint(tb[CALPERF_A_SESSION_SENDER], &s->sender);
	parse_endpoint(tb[CALPERF_A_SESSION_RECEIVER], &s->receiver);
	return 0;
}

const char *cp_state_name(uint8_t state)
{
	switch (state) {
	case CALPERF_STATE_CREATED: return "created";
	case CALPERF_STATE_RUNNING: return "running";
	case CALPERF_STATE_DONE: return "done";
	}
	return "unknown";
}

static void show_endpoint(const char *role, const struct cp_endpoint *ep)
{
	const struct cp_stats *st = &ep->stats;
	char addr[64] = "*", buf[32];

	if (!ep->present)
		return;
	if (ep->family)
		format_addr(ep->family, ep->addr, addr, sizeof(addr));
	if (ep->family == AF_INET6)
		printf("  %-8s [%s] port %u", role, addr, ep->port);
	else
		printf("  %-8s %s port %u", role, addr, ep->port);
	if (ep->sockbuf) {
		format_size(ep->sockbuf, buf, sizeof(buf));
		printf("  sockbuf %s", buf);
	} else {
		printf("  sockbuf auto");
	}
	if (ep->cpu >= 0)
		printf("  cpu %d", ep->cpu);
	printf("\n           bytes %llu  calls %llu  elapsed %.3f s  %.3f Gb/s",
	       (unsigned long long)st->bytes, (unsigned long long)st->calls,
	       st->elapsed_ns / 1e9, st->bps / 1e9);
	if (st->done)
		printf("  cpu %.3f s%s%s", st->cpu_ns / 1e9,
		       st->error ? "  error " : "", errno_name(st->error));
	putchar('\n');
	if (st->done && opt_stats)
		printf("           tcp rtt %u us  rttvar %u us  cwnd %u  retrans %u  mss %u\n",
		       st->rtt_us, st->rttvar_us, st->cwnd, st->retrans, st->mss);
}

void cp_session_show(const struct cp_session *s)
{
	char buf[32];

	format_size(s->msg_size, buf, sizeof(buf));
	printf("session %u stream %s  msg %s", s->id, cp_state_name(s->state),
	       buf);
	if (s->duration_ms)
		printf("  time %.3f s", s->duration_ms / 1e3);
	if (s->bytes_limit)
		printf("  bytes %llu", (unsigned long long)s->bytes_limit);
	if (s->nodelay)
		printf("  nodelay");
	if (s->congestion[0])
		printf("  congestion %s", s->congestion);
	if (s->has_error && s->error)
		printf("  error %s", errno_name(s->error));
	putchar('\n');
	show_endpoint("sender", &s->sender);
	show_endpoint("receiver", &s->receiver);
}

static void json_endpoint(const char *role, const struct cp_endpoint *ep)
{
	const struct cp_stats *st = &ep->stats;
	char addr[64];

	if (!ep->present)
		return;
	json_open(role, '{');
	if (ep->family) {
		format_addr(ep->family, ep->addr, addr, sizeof(addr));
		json_str("addr", addr);
	}
	json_u64("port", ep->port);
	json_u64("sockbuf", ep->sockbuf);
	if (ep->cpu >= 0)
		json_u64("cpu", ep->cpu);
	json_open("stats", '{');
	json_bool("done", st->done);
	json_u64("bytes", st->bytes);
	json_u64("calls", st->calls);
	json_u64("elapsed_ns", st->elapsed_ns);
	json_u64("throughput_bps", st->bps);
	if (st->done) {
		json_u64("cpu_ns", st->cpu_ns);
		json_s64("error", st->error);
		json_str("error_name", errno_name(st->error));
		json_open("tcp", '{');
		json_u64("rtt_us", st->rtt_us);
		json_u64("rttvar_us", st->rttvar_us);
		json_u64("cwnd", st->cwnd);
		json_u64("retrans", st->retrans);
		json_u64("mss", st->mss);
		json_close();
	}
	json_close();
	json_close();
}

void cp_session_json(const char *key, const struct cp_session *s)
{
	json_open(key, '{');
	json_u64("id", s->id);
	json_str("kind", "stream");
	json_str("state", cp_state_name(s->state));
	json_u64("msg_size", s->msg_size);
	if (s->duration_ms)
		json_u64("duration_ms", s->duration_ms);
	if (s->bytes_limit)
		json_u64("bytes_limit", s->bytes_limit);
	json_bool("nodelay", s->nodelay);
	if (s->congestion[0])
		json_str("congestion", s->congestion);
	if (s->has_error) {
		json_s64("error", s->error);
		json_str("error_name", errno_name(s->error));
	}
	json_endpoint("sender", &s->sender);
	json_endpoint("receiver", &s->receiver);
	json_close();
}

static int keep_session(struct nlattr **tb, uint8_t cmd, void *arg)
{
	(void)cmd;
	return cp_session_parse(tb, arg) ? -EPROTO : 0;
}

int cp_session_create(struct cp_nl *nl, const struct cp_config *c,
		      struct cp_session *out)
{
	struct nl_msg *msg = cp_config_msg(nl, c);

	if (!msg)
		return -ENOMEM;
	return cp_nl_request(nl, msg, keep_session, out);
}

int cp_session_get(struct cp_nl *nl, uint32_t id, struct cp_session *out)
{
	struct nl_msg *msg = cp_nl_msg(nl, CALPERF_CMD_SESSION_GET, 0);

	if (!msg)
		return -ENOMEM;
	nla_put_u32(msg, CALPERF_A_SESSION_ID, id);
	return cp_nl_request(nl, msg, keep_session, out);
}

int cp_session_cmd(struct cp_nl *nl, uint8_t cmd, uint32_t id)
{
	struct nl_msg *msg = cp_nl_msg(nl, cmd, 0);

	if (!msg)
		return -ENOMEM;
	nla_put_u32(msg, CALPERF_A_SESSION_ID, id);
	return cp_nl_request(nl, msg, NULL, NULL);
}
