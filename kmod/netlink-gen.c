// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/calperf.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "netlink-gen.h"

#include <uapi/linux/calperf.h>

/* Integer value ranges */
static const struct netlink_range_validation calperf_a_session_msg_size_range = {
	.min	= 1ULL,
	.max	= 4194304ULL,
};

static const struct netlink_range_validation calperf_a_session_duration_ms_range = {
	.min	= 1ULL,
	.max	= 86400000ULL,
};

static const struct netlink_range_validation calperf_a_session_req_size_range = {
	.min	= 1ULL,
	.max	= 1048576ULL,
};

static const struct netlink_range_validation calperf_a_session_resp_size_range = {
	.min	= 1ULL,
	.max	= 1048576ULL,
};

static const struct netlink_range_validation calperf_a_session_interval_ms_range = {
	.min	= 10ULL,
	.max	= 3600000ULL,
};

static const struct netlink_range_validation calperf_a_session_hop_sample_range = {
	.min	= 1ULL,
	.max	= 1000000ULL,
};

static const struct netlink_range_validation calperf_a_endpoint_sockbuf_range = {
	.max	= 268435456ULL,
};

/* Common nested types */
const struct nla_policy calperf_endpoint_request_nl_policy[CALPERF_A_ENDPOINT_SOCKBUF + 1] = {
	[CALPERF_A_ENDPOINT_NETNS_FD] = NLA_POLICY_MIN(NLA_S32, 0),
	[CALPERF_A_ENDPOINT_NETNS_PID] = NLA_POLICY_MIN(NLA_U32, 1),
	[CALPERF_A_ENDPOINT_ADDR4] = { .type = NLA_U32, },
	[CALPERF_A_ENDPOINT_ADDR6] = NLA_POLICY_EXACT_LEN(16),
	[CALPERF_A_ENDPOINT_PORT] = NLA_POLICY_MIN(NLA_U16, 1),
	[CALPERF_A_ENDPOINT_CPU] = NLA_POLICY_MAX(NLA_U32, 8191),
	[CALPERF_A_ENDPOINT_SOCKBUF] = NLA_POLICY_FULL_RANGE(NLA_U32, &calperf_a_endpoint_sockbuf_range),
};

/* CALPERF_CMD_SESSION_NEW - do */
const struct nla_policy calperf_session_new_nl_policy[CALPERF_A_SESSION_HOP_SAMPLE + 1] = {
	[CALPERF_A_SESSION_KIND] = NLA_POLICY_RANGE(NLA_U8, 1, 2),
	[CALPERF_A_SESSION_MSG_SIZE] = NLA_POLICY_FULL_RANGE(NLA_U32, &calperf_a_session_msg_size_range),
	[CALPERF_A_SESSION_DURATION_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &calperf_a_session_duration_ms_range),
	[CALPERF_A_SESSION_BYTES_LIMIT] = NLA_POLICY_MIN(NLA_U64, 1),
	[CALPERF_A_SESSION_NODELAY] = { .type = NLA_FLAG, },
	[CALPERF_A_SESSION_CONGESTION] = { .type = NLA_NUL_STRING, .len = 15, },
	[CALPERF_A_SESSION_SENDER] = NLA_POLICY_NESTED(calperf_endpoint_request_nl_policy),
	[CALPERF_A_SESSION_RECEIVER] = NLA_POLICY_NESTED(calperf_endpoint_request_nl_policy),
	[CALPERF_A_SESSION_REQ_SIZE] = NLA_POLICY_FULL_RANGE(NLA_U32, &calperf_a_session_req_size_range),
	[CALPERF_A_SESSION_RESP_SIZE] = NLA_POLICY_FULL_RANGE(NLA_U32, &calperf_a_session_resp_size_range),
	[CALPERF_A_SESSION_COUNT_LIMIT] = NLA_POLICY_MIN(NLA_U64, 1),
	[CALPERF_A_SESSION_INTERVAL_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &calperf_a_session_interval_ms_range),
	[CALPERF_A_SESSION_ZEROCOPY_SEND] = { .type = NLA_FLAG, },
	[CALPERF_A_SESSION_NOCOPY_RECV] = { .type = NLA_FLAG, },
	[CALPERF_A_SESSION_VERIFY] = { .type = NLA_FLAG, },
	[CALPERF_A_SESSION_FLOWS] = NLA_POLICY_RANGE(NLA_U32, 1, 64),
	[CALPERF_A_SESSION_THREADS] = NLA_POLICY_RANGE(NLA_U32, 1, 64),
	[CALPERF_A_SESSION_HOP_SAMPLE] = NLA_POLICY_FULL_RANGE(NLA_U32, &calperf_a_session_hop_sample_range),
};

/* CALPERF_CMD_SESSION_START - do */
const struct nla_policy calperf_session_start_nl_policy[CALPERF_A_SESSION_ID + 1] = {
	[CALPERF_A_SESSION_ID] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* CALPERF_CMD_SESSION_STOP - do */
const struct nla_policy calperf_session_stop_nl_policy[CALPERF_A_SESSION_ID + 1] = {
	[CALPERF_A_SESSION_ID] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* CALPERF_CMD_SESSION_GET - do */
const struct nla_policy calperf_session_get_nl_policy[CALPERF_A_SESSION_HIST_BUCKETS + 1] = {
	[CALPERF_A_SESSION_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[CALPERF_A_SESSION_HIST_BUCKETS] = { .type = NLA_FLAG, },
};

/* CALPERF_CMD_SESSION_DEL - do */
const struct nla_policy calperf_session_del_nl_policy[CALPERF_A_SESSION_ID + 1] = {
	[CALPERF_A_SESSION_ID] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* Ops table for calperf */
const struct genl_ops calperf_nl_ops[5] = {
	{
		.cmd		= CALPERF_CMD_SESSION_NEW,
		.doit		= calperf_nl_session_new_doit,
		.policy		= calperf_session_new_nl_policy,
		.maxattr	= CALPERF_A_SESSION_HOP_SAMPLE,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= CALPERF_CMD_SESSION_START,
		.doit		= calperf_nl_session_start_doit,
		.policy		= calperf_session_start_nl_policy,
		.maxattr	= CALPERF_A_SESSION_ID,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= CALPERF_CMD_SESSION_STOP,
		.doit		= calperf_nl_session_stop_doit,
		.policy		= calperf_session_stop_nl_policy,
		.maxattr	= CALPERF_A_SESSION_ID,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= CALPERF_CMD_SESSION_GET,
		.doit		= calperf_nl_session_get_doit,
		.dumpit		= calperf_nl_session_get_dumpit,
		.policy		= calperf_session_get_nl_policy,
		.maxattr	= CALPERF_A_SESSION_HIST_BUCKETS,
	},
	{
		.cmd		= CALPERF_CMD_SESSION_DEL,
		.doit		= calperf_nl_session_del_doit,
		.policy		= calperf_session_del_nl_policy,
		.maxattr	= CALPERF_A_SESSION_ID,
		.flags		= GENL_ADMIN_PERM,
	},
};
