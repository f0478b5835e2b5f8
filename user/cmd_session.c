// SPDX-License-Identifier: GPL-2.0
/* calperfctl session { add | start | stop | show | del } */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "config.h"
#include "nl.h"
#include "session.h"
#include "util.h"

static int usage(FILE *f)
{
	fprintf(f,
		"Usage: calperfctl session add [ kind { stream | rr } ] [ OPTIONS ]\n"
		"                              [ sender ENDPOINT ] [ receiver ENDPOINT ]\n"
		"       calperfctl session { start | stop | del } ID\n"
		"       calperfctl [ -s ] session show [ ID ]\n"
		"where  OPTIONS := [ time DURATION ] [ interval DURATION ]\n"
		"                  [ nodelay ] [ congestion NAME ]\n"
		"                  stream: [ msg-size SIZE ] [ bytes SIZE ]\n"
		"                          [ zerocopy ] [ nocopy ] [ verify ]\n"
		"                          [ flows N ] [ threads T ] [ hop-sample N ]\n"
		"                  rr: [ req-size SIZE ] [ resp-size SIZE ] [ count N ]\n"
		"       ENDPOINT := [ netns NETNS | netns-pid PID ] [ addr ADDR ] [ port PORT ]\n"
		"                   [ cpu CPU ] [ sockbuf SIZE ]\n"
		"\n"
		"A sender connects to its ADDR and PORT; a receiver listens on them\n"
		"(no ADDR: any). NETNS is a name under /run/netns, a path, pid:PID\n"
		"(that process's namespace) or container:NAME (its init process's,\n"
		"from podman, docker or crictl). SIZE takes K, M, G (powers of 1024);\n"
		"DURATION takes s (default) or ms. sockbuf defaults to msg-size (0:\n"
		"kernel autotuning).\n"
		"In an rr session the sender is the client, the receiver the server.\n"
		"-s shows the rr latency histogram's buckets. With interval, a running\n"
		"session reports its counters on the monitor group that often.\n");
	return f == stdout ? 0 : 1;
}

static void print_session(const struct cp_session *s,
			  const struct cp_buckets *rtt)
{
	cp_session_print(NULL, s, rtt);
	print_end();
}

static int session_add(struct cp_nl *nl, int argc, char **argv)
{
	struct cp_endpoint_cfg *ep = NULL;
	struct cp_session s;
	struct cp_config c;
	int n, err = -EINVAL;

	cp_config_init(&c);
	while (argc > 0) {
		if (!strcmp(argv[0], "sender") || !strcmp(argv[0], "receiver")) {
			ep = argv[0][0] == 's' ? &c.sender : &c.receiver;
			ep->present = true;
			n = 1;
		} else {
			n = ep ? cp_endpoint_option(ep, argc, argv) : 0;
			if (n == 0)
				n = cp_config_option(&c, argc, argv);
			if (n == 0)
				cp_error("unknown argument \"%s\"; try \"calperfctl session help\"",
					 argv[0]);
			if (n <= 0)
				goto out;
		}
		argc -= n, argv += n;
	}
	err = cp_session_create(nl, &c, &s);
	if (!err)
		print_session(&s, NULL);
out:
	cp_config_release(&c);
	return err;
}

static int parse_id(int argc, char **argv, uint32_t *id)
{
	uint64_t v;

	if (argc < 1) {
		cp_error("missing session ID");
		return -1;
	}
	if (argc > 1) {
		cp_error("unexpected argument \"%s\"", argv[1]);
		return -1;
	}
	if (!parse_uint(argv[0], UINT32_MAX, &v)) {
		cp_error("\"%s\" is not a session ID", argv[0]);
		return -1;
	}
	*id = v;
	return 0;
}

static int show_one(struct nlattr **tb, uint8_t cmd, void *arg)
{
	struct cp_session s;

	(void)cmd, (void)arg;
	if (cp_session_parse(tb, &s))
		return -EPROTO;
	cp_session_print(NULL, &s, NULL);
	return 0;
}

static int session_show(struct cp_nl *nl, int argc, char **argv)
{
	struct nl_msg *msg;
	struct cp_session s;
	uint32_t id;
	int err;

	if (argc > 0) {
		struct cp_buckets rtt = {};

		if (parse_id(argc, argv, &id))
			return -EINVAL;
		/* -s: whole histograms too. */
		err = opt_stats ? cp_session_get_buckets(nl, id, &s, &rtt) :
				  cp_session_get(nl, id, &s);
		if (!err)
			print_session(&s, opt_stats ? &rtt : NULL);
		free(rtt.b);
		return err;
	}
	msg = cp_nl_msg(nl, CALPERF_CMD_SESSION_GET, NLM_F_DUMP);
	if (!msg)
		return -ENOMEM;
	print_open_array(PRINT_JSON, NULL);
	err = cp_nl_request(nl, msg, show_one, NULL);
	print_close_array(PRINT_JSON);
	print_end();
	return err;
}

int cmd_session(int argc, char **argv)
{
	static const struct { const char *name; uint8_t cmd; } simple[] = {
		{ "start", CALPERF_CMD_SESSION_START },
		{ "stop", CALPERF_CMD_SESSION_STOP },
		{ "del", CALPERF_CMD_SESSION_DEL },
		{ "delete", CALPERF_CMD_SESSION_DEL },
	};
	struct cp_nl nl;
	uint32_t id;
	int err = -EINVAL;

	if (argc < 1)
		return usage(stderr);
	if (!strcmp(argv[0], "help"))
		return usage(stdout);
	if (cp_nl_open(&nl))
		return 1;
	if (!strcmp(argv[0], "add")) {
		err = session_add(&nl, argc - 1, argv + 1);
	} else if (!strcmp(argv[0], "show") || !strcmp(argv[0], "list")) {
		err = session_show(&nl, argc - 1, argv + 1);
	} else {
		size_t i;

		for (i = 0; i < sizeof(simple) / sizeof(simple[0]); i++)
			if (!strcmp(argv[0], simple[i].name))
				break;
		if (i == sizeof(simple) / sizeof(simple[0]))
			cp_error("unknown command \"%s\"; try \"calperfctl session help\"",
				 argv[0]);
		else if (!parse_id(argc - 1, argv + 1, &id))
			err = cp_session_cmd(&nl, simple[i].cmd, id);
	}
	cp_nl_close(&nl);
	return err ? 1 : 0;
}
