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

/*
 * The help of "session" is its commands' together; "session CMD help"
 * prints that command's part.
 */
static const char add_syntax[] =
	"calperfctl session add [ kind { stream | rr } ] [ OPTIONS ]\n"
	"                              [ sender ENDPOINT ] [ receiver ENDPOINT ]\n";
static const char add_where[] =
	"where  OPTIONS := [ time DURATION ] [ interval DURATION ]\n"
	"                  [ nodelay ] [ congestion NAME ]\n"
	"                  stream: [ msg-size SIZE ] [ bytes SIZE ]\n"
	"                          [ zerocopy ] [ nocopy ] [ verify ]\n"
	"                          [ flows N ] [ threads T ] [ hop-sample N ]\n"
	"                  rr: [ req-size SIZE ] [ resp-size SIZE ] [ count N ]\n"
	"       ENDPOINT := [ netns NETNS | netns-pid PID ] [ addr ADDR ] [ port PORT ]\n"
	"                   [ cpu CPU ] [ sockbuf SIZE ]\n";
static const char add_text[] =
	"A sender connects to its ADDR and PORT; a receiver listens on them\n"
	"(no ADDR: any). NETNS is a name under /run/netns, a path, pid:PID\n"
	"(that process's namespace) or container:NAME (its init process's,\n"
	"from podman, docker or crictl). SIZE takes K, M, G (powers of 1024);\n"
	"DURATION takes s (default) or ms. sockbuf defaults to msg-size (0:\n"
	"kernel autotuning).\n"
	"In an rr session the sender is the client, the receiver the server.\n"
	"With interval, a running session reports its counters on the monitor\n"
	"group that often. add prints the new session, with its ID.\n";
static const char id_syntax[] = "calperfctl session { start | stop | del } ID\n";
static const char show_syntax[] = "calperfctl [ -s ] session show [ ID ]\n";
static const char show_text[] =
	"show: prints session ID, or lists every session of this network\n"
	"      namespace; -s adds the rr latency histogram's buckets.\n";

/* The commands that take a session ID alone. */
static const struct {
	const char *name;
	uint8_t cmd;
	const char *text;	/* what it does; NULL: an alias */
} id_cmds[] = {
	{ "start", CALPERF_CMD_SESSION_START,
	  "the receiver listens, the sender connects, both run to their limit" },
	{ "stop", CALPERF_CMD_SESSION_STOP,
	  "the sender half-closes, the receiver drains, within a second; the\n"
	  "      results stay" },
	{ "del", CALPERF_CMD_SESSION_DEL,
	  "halts the session if it runs, then deletes it and its results" },
	{ "delete", CALPERF_CMD_SESSION_DEL, NULL },
};

#define N_ID_CMDS (sizeof(id_cmds) / sizeof(id_cmds[0]))

static void id_text(FILE *f, const char *only)
{
	for (size_t i = 0; i < N_ID_CMDS; i++)
		if (id_cmds[i].text && (!only || !strcmp(only, id_cmds[i].name)))
			fprintf(f, "%s: %s.\n", id_cmds[i].name, id_cmds[i].text);
}

static int usage(FILE *f)
{
	fprintf(f, "Usage: %s       %s       %s%s\n%s", add_syntax, id_syntax,
		show_syntax, add_where, add_text);
	id_text(f, NULL);
	fputs(show_text, f);
	return f == stdout ? 0 : 1;
}

/* "session CMD help": that command's part of the help. */
static int command_usage(const char *cmd)
{
	if (!strcmp(cmd, "add")) {
		printf("Usage: %s%s\n%s", add_syntax, add_where, add_text);
	} else if (!strcmp(cmd, "show") || !strcmp(cmd, "list")) {
		printf("Usage: %s\n%s", show_syntax, show_text);
	} else {
		printf("Usage: calperfctl session %s ID\n\n", cmd);
		id_text(stdout, strcmp(cmd, "delete") ? cmd : "del");
	}
	return 0;
}

static bool is_help(int argc, char **argv)
{
	return argc > 0 && !strcmp(argv[0], "help");
}

static void print_session(const struct cp_session *s,
			  const struct cp_buckets *rtt)
{
	cp_session_print(NULL, s, rtt);
	print_end();
}

/* The arguments first (help anywhere a keyword goes), then the kernel. */
static int session_add(int argc, char **argv)
{
	struct cp_endpoint_cfg *ep = NULL;
	struct cp_session s;
	struct cp_config c;
	struct cp_nl nl;
	int n, err = -EINVAL;

	cp_config_init(&c);
	while (argc > 0) {
		if (is_help(argc, argv)) {
			err = command_usage("add");
			goto out;
		}
		if (!strcmp(argv[0], "sender") || !strcmp(argv[0], "receiver")) {
			ep = argv[0][0] == 's' ? &c.sender : &c.receiver;
			ep->present = true;
			n = 1;
		} else {
			n = ep ? cp_endpoint_option(ep, argc, argv) : 0;
			if (n == 0)
				n = cp_config_option(&c, argc, argv);
			if (n == 0)
				cp_error("unknown argument \"%s\"; try \"%s\"", argv[0],
					 "calperfctl session add help");
			if (n <= 0)
				goto out;
		}
		argc -= n, argv += n;
	}
	if (cp_nl_open(&nl))
		goto out;
	err = cp_session_create(&nl, &c, &s);
	if (!err)
		print_session(&s, NULL);
	cp_nl_close(&nl);
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
	bool show;
	struct cp_nl nl;
	uint32_t id = 0;
	size_t i = 0;
	int err;

	if (argc < 1)
		return usage(stderr);
	if (!strcmp(argv[0], "help"))
		return usage(stdout);
	if (!strcmp(argv[0], "add"))
		return session_add(argc - 1, argv + 1) ? 1 : 0;
	show = !strcmp(argv[0], "show") || !strcmp(argv[0], "list");
	if (!show) {
		while (i < N_ID_CMDS && strcmp(argv[0], id_cmds[i].name))
			i++;
		if (i == N_ID_CMDS) {
			cp_error("unknown command \"%s\"; try \"calperfctl session help\"",
				 argv[0]);
			return 1;
		}
	}
	if (is_help(argc - 1, argv + 1))
		return command_usage(argv[0]);
	/* The ID before the kernel: a wrong one needs no module to be told. */
	if (!show && parse_id(argc - 1, argv + 1, &id))
		return 1;
	if (cp_nl_open(&nl))
		return 1;
	if (show)
		err = session_show(&nl, argc - 1, argv + 1);
	else
		err = cp_session_cmd(&nl, id_cmds[i].cmd, id);
	cp_nl_close(&nl);
	return err ? 1 : 0;
}
