// SPDX-License-Identifier: GPL-2.0
/* calperfctl monitor: print each session as it finishes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "nl.h"
#include "session.h"
#include "util.h"

static int on_event(struct nlattr **tb, uint8_t cmd, void *arg)
{
	struct cp_session s;

	(void)arg;
	if ((cmd != CALPERF_CMD_SESSION_DONE &&
	     cmd != CALPERF_CMD_SESSION_INTERVAL) || cp_session_parse(tb, &s))
		return 0;
	cp_session_print(NULL, &s, NULL);
	print_end();
	return 0;
}

int cmd_monitor(int argc, char **argv)
{
	struct cp_nl nl;
	int err;

	if (argc > 0) {
		bool help = !strcmp(argv[0], "help");

		fprintf(help ? stdout : stderr,
			"Usage: calperfctl monitor\n"
			"Prints every session of this network namespace as it finishes,\n"
			"and running sessions' interval reports (one JSON object per line\n"
			"with -j; \"state\" tells them apart).\n");
		return help ? 0 : 1;
	}
	/*
	 * Events carry host-wide figures: the kernel sends them only to
	 * namespaces of the initial user namespace, where joining takes
	 * the host's CAP_NET_ADMIN. Elsewhere a join would hear nothing.
	 */
	if (!in_initial_user_ns()) {
		cp_error("monitor needs CAP_NET_ADMIN in the initial user namespace: %s",
			 strerror(EPERM));
		return 1;
	}
	if (cp_nl_open(&nl))
		return 1;
	err = cp_nl_subscribe(&nl, CALPERF_MCGRP_MONITOR);
	if (!err)
		err = cp_nl_listen(&nl, on_event, NULL);
	cp_nl_close(&nl);
	return err ? 1 : 0;
}
