// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "netns.h"
#include "util.h"

void cp_endpoint_cfg_init(struct cp_endpoint_cfg *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->netns_fd = -1;
	ep->port = -1;
	ep->cpu = -1;
	ep->sockbuf = -1;
}

void cp_config_init(struct cp_config *c)
{
	memset(c, 0, sizeof(*c));
	c->kind = CALPERF_KIND_STREAM;
	c->msg_size = -1;
	c->req_size = -1;
	c->resp_size = -1;
	c->duration_ms = -1;
	c->interval_ms = -1;
	c->bytes = -1;
	c->flows = -1;
	c->hop_sample = -1;
	c->threads = -1;
	cp_endpoint_cfg_init(&c->sender);
	cp_endpoint_cfg_init(&c->receiver);
}

void cp_config_release(struct cp_config *c)
{
	if (c->sender.netns_fd >= 0)
		close(c->sender.netns_fd);
	if (c->receiver.netns_fd >= 0)
		close(c->receiver.netns_fd);
	c->sender.netns_fd = c->receiver.netns_fd = -1;
}

static int need_arg(int argc, char **argv)
{
	if (argc < 2) {
		cp_error("\"%s\" needs a value", argv[0]);
		return -1;
	}
	return 0;
}

/* Values are passed on as given; the kernel's policy checks the range. */
static int take_u32(const char *what, const char *s, bool size, int64_t *out)
{
	uint64_t v;
	bool ok = size ? parse_size(s, &v) : parse_uint(s, UINT32_MAX, &v);

	if (!ok || v > UINT32_MAX) {
		cp_error("%s: \"%s\" is not a valid value", what, s);
		return -1;
	}
	*out = v;
	return 0;
}

int cp_endpoint_option(struct cp_endpoint_cfg *ep, int argc, char **argv)
{
	const char *k = argv[0];
	uint64_t v;

	if (strcmp(k, "netns") && strcmp(k, "netns-pid") && strcmp(k, "addr") &&
	    strcmp(k, "port") && strcmp(k, "cpu") && strcmp(k, "sockbuf"))
		return 0;
	if (need_arg(argc, argv))
		return -1;
	ep->present = true;
	if (!strcmp(k, "netns")) {
		if (ep->netns_fd >= 0)
			close(ep->netns_fd);
		ep->netns_fd = cp_netns_open(argv[1]);
		if (ep->netns_fd < 0)
			return -1;
	} else if (!strcmp(k, "netns-pid")) {
		if (!parse_uint(argv[1], UINT32_MAX, &v)) {
			cp_error("netns-pid: \"%s\" is not a pid", argv[1]);
			return -1;
		}
		ep->netns_pid = v;
	} else if (!strcmp(k, "addr")) {
		if (!parse_addr(argv[1], &ep->family, ep->addr)) {
			cp_error("addr: \"%s\" is not an IPv4 or IPv6 address", argv[1]);
			return -1;
		}
	} else if (!strcmp(k, "port")) {
		if (!parse_uint(argv[1], 65535, &v)) {
			cp_error("port: \"%s\" is not a port number", argv[1]);
			return -1;
		}
		ep->port = v;
	} else if (!strcmp(k, "cpu")) {
		if (take_u32("cpu", argv[1], false, &ep->cpu))
			return -1;
	} else if (take_u32("sockbuf", argv[1], true, &ep->sockbuf)) {
		return -1;
	}
	return 2;
}

int cp_config_option(struct cp_config *c, int argc, char **argv)
{
	const char *k = argv[0];
	uint64_t v;

	if (!strcmp(k, "nodelay")) {
		c->nodelay = true;
		return 1;
	}
	if (!strcmp(k, "zerocopy")) {
		c->zerocopy_send = true;
		return 1;
	}
	if (!strcmp(k, "nocopy")) {
		c->nocopy_recv = true;
		return 1;
	}
	if (!strcmp(k, "verify")) {
		c->verify = true;
		return 1;
	}
	if (!strcmp(k, "hops")) {
		if (c->hop_sample < 0)
			c->hop_sample = CP_DEFAULT_HOP_SAMPLE;
		return 1;
	}
	if (strcmp(k, "msg-size") && strcmp(k, "time") && strcmp(k, "bytes") &&
	    strcmp(k, "congestion") && strcmp(k, "kind") &&
	    strcmp(k, "req-size") && strcmp(k, "resp-size") && strcmp(k, "count") &&
	    strcmp(k, "interval") && strcmp(k, "flows") && strcmp(k, "threads") &&
	    strcmp(k, "hop-sample"))
		return 0;
	if (need_arg(argc, argv))
		return -1;
	if (!strcmp(k, "kind")) {
		if (!strcmp(argv[1], "stream")) {
			c->kind = CALPERF_KIND_STREAM;
		} else if (!strcmp(argv[1], "rr")) {
			c->kind = CALPERF_KIND_RR;
		} else {
			cp_error("kind: \"%s\" is not stream or rr", argv[1]);
			return -1;
		}
	} else if (!strcmp(k, "flows")) {
		if (take_u32("flows", argv[1], false, &c->flows))
			return -1;
	} else if (!strcmp(k, "hop-sample")) {
		if (take_u32("hop-sample", argv[1], false, &c->hop_sample))
			return -1;
	} else if (!strcmp(k, "threads")) {
		if (take_u32("threads", argv[1], false, &c->threads))
			return -1;
	} else if (!strcmp(k, "req-size")) {
		if (take_u32("req-size", argv[1], true, &c->req_size))
			return -1;
	} else if (!strcmp(k, "resp-size")) {
		if (take_u32("resp-size", argv[1], true, &c->resp_size))
			return -1;
	} else if (!strcmp(k, "count")) {
		if (!parse_uint(argv[1], UINT64_MAX, &v)) {
			cp_error("count: \"%s\" is not a number", argv[1]);
			return -1;
		}
		c->count = v;
		c->has_count = true;
	} else if (!strcmp(k, "msg-size")) {
		if (take_u32("msg-size", argv[1], true, &c->msg_size))
			return -1;
	} else if (!strcmp(k, "time")) {
		if (!parse_duration_ms(argv[1], &v) || v > UINT32_MAX) {
			cp_error("time: \"%s\" is not a duration (e.g. 10, 2.5s, 500ms)",
				 argv[1]);
			return -1;
		}
		c->duration_ms = v;
	} else if (!strcmp(k, "interval")) {
		if (!parse_duration_ms(argv[1], &v) || v > UINT32_MAX) {
			cp_error("interval: \"%s\" is not a duration (e.g. 1, 0.5s, 200ms)",
				 argv[1]);
			return -1;
		}
		c->interval_ms = v;
	} else if (!strcmp(k, "bytes")) {
		if (!parse_size(argv[1], &v)) {
			cp_error("bytes: \"%s\" is not a size", argv[1]);
			return -1;
		}
		c->bytes = v;
	} else {
		c->congestion = argv[1];
	}
	return 2;
}

static void put_endpoint(struct nl_msg *msg, int type,
			 const struct cp_endpoint_cfg *ep)
{
	struct nlattr *nest;

	if (!ep->present)
		return;
	nest = nla_nest_start(msg, type);
	if (ep->netns_fd >= 0)
		nla_put_u32(msg, CALPERF_A_ENDPOINT_NETNS_FD, ep->netns_fd);
	if (ep->netns_pid)
		nla_put_u32(msg, CALPERF_A_ENDPOINT_NETNS_PID, ep->netns_pid);
	if (ep->family == AF_INET)
		nla_put(msg, CALPERF_A_ENDPOINT_ADDR4, 4, ep->addr);
	else if (ep->family == AF_INET6)
		nla_put(msg, CALPERF_A_ENDPOINT_ADDR6, 16, ep->addr);
	if (ep->port >= 0)
		nla_put_u16(msg, CALPERF_A_ENDPOINT_PORT, ep->port);
	if (ep->cpu >= 0)
		nla_put_u32(msg, CALPERF_A_ENDPOINT_CPU, ep->cpu);
	if (ep->sockbuf >= 0)
		nla_put_u32(msg, CALPERF_A_ENDPOINT_SOCKBUF, ep->sockbuf);
	nla_nest_end(msg, nest);
}

struct nl_msg *cp_config_msg(struct cp_nl *nl, const struct cp_config *c)
{
	struct nl_msg *msg = cp_nl_msg(nl, CALPERF_CMD_SESSION_NEW, 0);

	if (!msg)
		return NULL;
	nla_put_u8(msg, CALPERF_A_SESSION_KIND, c->kind);
	if (c->msg_size >= 0)
		nla_put_u32(msg, CALPERF_A_SESSION_MSG_SIZE, c->msg_size);
	if (c->req_size >= 0)
		nla_put_u32(msg, CALPERF_A_SESSION_REQ_SIZE, c->req_size);
	if (c->resp_size >= 0)
		nla_put_u32(msg, CALPERF_A_SESSION_RESP_SIZE, c->resp_size);
	if (c->has_count)
		nla_put_u64(msg, CALPERF_A_SESSION_COUNT_LIMIT, c->count);
	if (c->duration_ms >= 0)
		nla_put_u32(msg, CALPERF_A_SESSION_DURATION_MS, c->duration_ms);
	if (c->interval_ms >= 0)
		nla_put_u32(msg, CALPERF_A_SESSION_INTERVAL_MS, c->interval_ms);
	if (c->bytes >= 0)
		nla_put_u64(msg, CALPERF_A_SESSION_BYTES_LIMIT, c->bytes);
	if (c->nodelay)
		nla_put_flag(msg, CALPERF_A_SESSION_NODELAY);
	if (c->zerocopy_send)
		nla_put_flag(msg, CALPERF_A_SESSION_ZEROCOPY_SEND);
	if (c->nocopy_recv)
		nla_put_flag(msg, CALPERF_A_SESSION_NOCOPY_RECV);
	if (c->verify)
		nla_put_flag(msg, CALPERF_A_SESSION_VERIFY);
	if (c->flows >= 0)
		nla_put_u32(msg, CALPERF_A_SESSION_FLOWS, c->flows);
	if (c->threads >= 0)
		nla_put_u32(msg, CALPERF_A_SESSION_THREADS, c->threads);
	if (c->hop_sample >= 0)
		nla_put_u32(msg, CALPERF_A_SESSION_HOP_SAMPLE, c->hop_sample);
	if (c->congestion)
		nla_put_string(msg, CALPERF_A_SESSION_CONGESTION, c->congestion);
	put_endpoint(msg, CALPERF_A_SESSION_SENDER, &c->sender);
	put_endpoint(msg, CALPERF_A_SESSION_RECEIVER, &c->receiver);
	return msg;
}
