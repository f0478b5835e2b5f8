// SPDX-License-Identifier: GPL-2.0
/*
 * Versions and provenance. A figure in a report must say what produced
 * it: calperfctl's version, the module's (MODULE_VERSION, in sysfs), the
 * kernel, the host and when. Both versions come from one source
 * (scripts/version), so they differ only when the module loaded is not
 * the one built with this calperfctl: -V says so.
 */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "print.h"
#include "util.h"
#include "version.h"

#define MODULE_VERSION_FILE "/sys/module/calperf/version"

bool cp_module_version(char *buf, size_t len)
{
	FILE *f = fopen(MODULE_VERSION_FILE, "r");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, len, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

int cp_print_versions(void)
{
	char module[128];
	bool loaded = cp_module_version(module, sizeof(module));

	print_setup(opt_json, opt_pretty);
	print_open_object(PRINT_JSON, NULL);
	print_string(PRINT_ANY, "calperfctl_version", "calperfctl %s\n",
		     CALPERF_VERSION);
	print_string(print_when(true, loaded), "module_version",
		     "calperf module %s\n", loaded ? module : "not loaded");
	print_close_object(PRINT_JSON);
	print_end();
	if (loaded && strcmp(module, CALPERF_VERSION))
		fprintf(stderr, "Warning: calperfctl %s and the loaded calperf module %s differ.\n",
			CALPERF_VERSION, module);
	return 0;
}

void cp_provenance_print(void)
{
	char module[128], utc[32];
	struct utsname u;
	time_t now = time(NULL);
	struct tm tm;

	if (!print_json())
		return;
	print_open_object(PRINT_JSON, "provenance");
	print_string(PRINT_JSON, "calperfctl_version", NULL, CALPERF_VERSION);
	if (cp_module_version(module, sizeof(module)))
		print_string(PRINT_JSON, "module_version", NULL, module);
	if (!uname(&u)) {
		print_string(PRINT_JSON, "kernel", NULL, u.release);
		print_string(PRINT_JSON, "host", NULL, u.nodename);
	}
	if (gmtime_r(&now, &tm) &&
	    strftime(utc, sizeof(utc), "%Y-%m-%dT%H:%M:%SZ", &tm))
		print_string(PRINT_JSON, "utc", NULL, utc);
	print_close_object(PRINT_JSON);
}
