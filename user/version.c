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

#include "json.h"
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

	if (opt_json) {
		json_setup(opt_pretty);
		json_open(NULL, '{');
		json_str("calperfctl_version", CALPERF_VERSION);
		if (loaded)
			json_str("module_version", module);
		json_close();
		json_end();
	} else {
		printf("calperfctl %s\n", CALPERF_VERSION);
		printf("calperf module %s\n", loaded ? module : "not loaded");
	}
	if (loaded && strcmp(module, CALPERF_VERSION))
		fprintf(stderr, "Warning: calperfctl %s and the loaded calperf module %s differ.\n",
			CALPERF_VERSION, module);
	return 0;
}

void cp_provenance_json(void)
{
	char module[128], utc[32];
	struct utsname u;
	time_t now = time(NULL);
	struct tm tm;

	json_open("provenance", '{');
	json_str("calperfctl_version", CALPERF_VERSION);
	if (cp_module_version(module, sizeof(module)))
		json_str("module_version", module);
	if (!uname(&u)) {
		json_str("kernel", u.release);
		json_str("host", u.nodename);
	}
	if (gmtime_r(&now, &tm) &&
	    strftime(utc, sizeof(utc), "%Y-%m-%dT%H:%M:%SZ", &tm))
		json_str("utc", utc);
	json_close();
}
