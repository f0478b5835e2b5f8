/* SPDX-License-Identifier: GPL-2.0 */
/* calperfctl: a session's configuration from the command line. */
#ifndef CALPERFCTL_CONFIG_H
#define CALPERFCTL_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "nl.h"

struct cp_endpoint_cfg {
	bool present;
	int netns_fd;			/* -1: the caller's */
	uint32_t netns_pid;		/* 0: none */
	int family;			/* AF_UNSPEC: no address */
	unsigned char addr[16];
	int port;			/* -1: not given */
	int64_t cpu;			/* -1: not given */
	int64_t sockbuf;		/* -1: not given (follows msg-size) */
};

/* hops: trace one message in this many unless hop-sample says otherwise. */
#define CP_DEFAULT_HOP_SAMPLE	16

struct cp_config {
	uint8_t kind;			/* enum calperf_kind */
	int64_t msg_size;		/* -1: kernel default */
	int64_t req_size;		/* -1: kernel default */
	int64_t resp_size;		/* -1: kernel default */
	bool has_count;
	uint64_t count;
	int64_t duration_ms;		/* -1: not given */
	int64_t interval_ms;		/* -1: no interval reports */
	int64_t bytes;			/* -1: not given */
	bool nodelay;
	bool zerocopy_send, nocopy_recv, verify;
	int64_t flows, threads;		/* -1: kernel default (1) */
	int64_t hop_sample;		/* -1: no hop tracing */
	const char *congestion;
	struct cp_endpoint_cfg sender, receiver;
};

void cp_config_init(struct cp_config *c);
void cp_endpoint_cfg_init(struct cp_endpoint_cfg *ep);
/*
 * Try to take one session option ("msg-size 64K", "time 10", ...) from
 * @argv; returns the number of words used, 0 if not one, -1 on error.
 */
int cp_config_option(struct cp_config *c, int argc, char **argv);
/* Same for an endpoint option ("netns a", "port 5201", "cpu 1"...). */
int cp_endpoint_option(struct cp_endpoint_cfg *ep, int argc, char **argv);
struct nl_msg *cp_config_msg(struct cp_nl *nl, const struct cp_config *c);
void cp_config_release(struct cp_config *c);

#endif
