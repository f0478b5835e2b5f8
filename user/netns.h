/* SPDX-License-Identifier: GPL-2.0 */
/* calperfctl: an endpoint's network namespace, opened from its spec. */
#ifndef CALPERFCTL_NETNS_H
#define CALPERFCTL_NETNS_H

/*
 * Open the network namespace @spec names: NAME (under /run/netns), a
 * path, "pid:N" or "container:NAME" (its pid from podman, docker or
 * crictl, the first on PATH). Returns an fd, or -1 having printed why.
 */
int cp_netns_open(const char *spec);

#endif
