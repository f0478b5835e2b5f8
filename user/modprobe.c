// SPDX-License-Identifier: GPL-2.0
/*
 * Loading the module when the family is missing. The kernel has tried
 * already (the family's alias, net-pf-16-proto-16-family-calperf); this
 * runs modprobe for its words on why not, e.g. that the module is not
 * installed, or that a locked-down kernel refused an unsigned module.
 */
#include <stdio.h>
#include <string.h>

#include "modprobe.h"

static void strip_prefix(char *s)
{
	static const char *const prefixes[] = {
		"modprobe: FATAL: ", "modprobe: ERROR: ", "modprobe: ",
	};
	size_t i, n;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		n = strlen(prefixes[i]);
		if (!strncmp(s, prefixes[i], n)) {
			memmove(s, s + n, strlen(s + n) + 1);
			return;
		}
	}
}

/* "[integrity]" or "[confidentiality]" selected: unsigned modules refused. */
static int locked_down(void)
{
	FILE *f = fopen("/sys/kernel/security/lockdown", "r");
	char line[128] = "";

	if (!f)
		return 0;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	return strstr(line, "[integrity]") || strstr(line, "[confidentiality]");
}

int cp_modprobe(char *why, size_t len)
{
	FILE *p = popen("PATH=/usr/sbin:/sbin:/usr/bin:/bin modprobe calperf 2>&1", "r");
	char line[512];
	size_t n;
	int status;

	snprintf(why, len, "it failed");
	if (!p) {
		snprintf(why, len, "cannot run it");
		return -1;
	}
	while (fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0]) {
			strip_prefix(line);
			snprintf(why, len, "%s", line);
		}
	}
	status = pclose(p);
	if (status == 0)
		return 0;
	if (locked_down()) {
		n = strlen(why);
		snprintf(why + n, len - n,
			 "; the kernel is locked down (Secure Boot) and loads only modules signed with a key it trusts");
	}
	return -1;
}
