/* SPDX-License-Identifier: GPL-2.0 */
/* calperfctl: a session as the kernel reports it, and how it is shown. */
#ifndef CALPERFCTL_SESSION_H
#define CALPERFCTL_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <netlink/attr.h>

struct cp_stats {
	bool done;
	uint64_t bytes, calls, elapsed_ns, bps, cpu_ns;
	int32_t error;
	uint32_t rtt_us, rttvar_us, cwnd, retrans, mss;
};

struct cp_endpoint {
	bool present;
	int family;			/* AF_UNSPEC: no address */
	unsigned char addr[16];
	uint16_t port;
	int cpu;			/* -1: not pinned */
	uint32_t sockbuf;
	struct cp_stats stats;
};

struct cp_session {
	uint32_t id;
	uint8_t kind, state;
	uint32_t msg_size, duration_ms;
	uint64_t bytes_limit;
	bool nodelay;
	char congestion[32];
	bool has_error;
	int32_t error;
	struct cp_endpoint sender, receiver;
};

int cp_session_parse(struct nlattr **tb, struct cp_session *s);
const char *cp_state_name(uint8_t state);
/* "session show": text, or a JSON object (@key: NULL at top level). */
void cp_session_show(const struct cp_session *s);
void cp_session_json(const char *key, const struct cp_session *s);

struct cp_nl;
struct cp_config;
/* Requests; each prints the kernel's error and returns -errno. */
int cp_session_create(struct cp_nl *nl, const struct cp_config *c,
		      struct cp_session *out);
int cp_session_get(struct cp_nl *nl, uint32_t id, struct cp_session *out);
int cp_session_cmd(struct cp_nl *nl, uint8_t cmd, uint32_t id);

#endif
