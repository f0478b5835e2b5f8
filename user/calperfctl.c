// SPDX-License-Identifier: GPL-2.0
/*
 * calperfctl: configure and run calperf measurements.
 *
 *   calperfctl [ OPTIONS ] OBJECT { COMMAND | help }
 *
 * iproute2-like: -j JSON, -p pretty JSON, -s more statistics.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "nl.h"
#include "print.h"
#include "util.h"
#include "version.h"

static int usage(FILE *f)
{
	fprintf(f,
		"Usage: calperfctl [ OPTIONS ] OBJECT { COMMAND | help }\n"
		"where  OBJECT := { stream | rr | session | monitor }\n"
		"       OPTIONS := { -j[son] | -p[retty] | -s[tats] | -V[ersion] | -h[elp] }\n"
		"\n"
		"  stream    run one TCP stream measurement and print its results\n"
		"  rr        run one TCP request/response (latency) measurement\n"
		"  session   create, start, stop, show and delete sessions\n"
		"  monitor   print each session as it finishes\n"
		"\n"
		"'calperfctl OBJECT help' describes each object, 'calperfctl session\n"
		"COMMAND help' each command; help in place of any keyword prints\n"
		"that level's usage.\n");
	return f == stdout ? 0 : 1;
}

static bool is_option(const char *arg, const char *shortopt, const char *longopt)
{
	if (arg[0] != '-')
		return false;
	arg += arg[1] == '-' ? 2 : 1;
	return !strcmp(arg, shortopt) || !strcmp(arg, longopt);
}

int main(int argc, char **argv)
{
	argc--, argv++;
	while (argc > 0 && argv[0][0] == '-') {
		if (is_option(argv[0], "j", "json")) {
			opt_json = true;
		} else if (is_option(argv[0], "p", "pretty")) {
			opt_json = opt_pretty = true;
		} else if (is_option(argv[0], "s", "stats")) {
			opt_stats = true;
		} else if (is_option(argv[0], "V", "version")) {
			return cp_print_versions();
		} else if (is_option(argv[0], "h", "help")) {
			return usage(stdout);
		} else {
			cp_error("unknown option \"%s\"; try \"calperfctl help\"",
				 argv[0]);
			return 1;
		}
		argc--, argv++;
	}
	print_setup(opt_json, opt_pretty);
	if (argc == 0)
		return usage(stderr);
	if (!strcmp(argv[0], "help"))
		return usage(stdout);
	if (!strcmp(argv[0], "session"))
		return cmd_session(argc - 1, argv + 1);
	if (!strcmp(argv[0], "stream"))
		return cmd_stream(argc - 1, argv + 1);
	if (!strcmp(argv[0], "rr"))
		return cmd_rr(argc - 1, argv + 1);
	if (!strcmp(argv[0], "monitor"))
		return cmd_monitor(argc - 1, argv + 1);
	cp_error("unknown object \"%s\"; try \"calperfctl help\"", argv[0]);
	return 1;
}
