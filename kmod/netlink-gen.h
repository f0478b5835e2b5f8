/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/calperf.yaml */
/* YNL-GEN kernel header */

#ifndef _LINUX_CALPERF_GEN_H
#define _LINUX_CALPERF_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <uapi/linux/calperf.h>

/* Common nested types */
extern const struct nla_policy calperf_endpoint_request_nl_policy[CALPERF_A_ENDPOINT_SOCKBUF + 1];

extern const struct nla_policy calperf_session_new_nl_policy[CALPERF_A_SESSION_HOP_SAMPLE + 1];

extern const struct nla_policy calperf_session_start_nl_policy[CALPERF_A_SESSION_ID + 1];

extern const struct nla_policy calperf_session_stop_nl_policy[CALPERF_A_SESSION_ID + 1];

extern const struct nla_policy calperf_session_get_nl_policy[CALPERF_A_SESSION_HIST_BUCKETS + 1];

extern const struct nla_policy calperf_session_del_nl_policy[CALPERF_A_SESSION_ID + 1];

/* Ops table for calperf */
extern const struct genl_ops calperf_nl_ops[5];

int calperf_nl_session_new_doit(struct sk_buff *skb, struct genl_info *info);
int calperf_nl_session_start_doit(struct sk_buff *skb, struct genl_info *info);
int calperf_nl_session_stop_doit(struct sk_buff *skb, struct genl_info *info);
int calperf_nl_session_get_doit(struct sk_buff *skb, struct genl_info *info);
int calperf_nl_session_get_dumpit(struct sk_buff *skb,
				  struct netlink_callback *cb);
int calperf_nl_session_del_doit(struct sk_buff *skb, struct genl_info *info);

#endif /* _LINUX_CALPERF_GEN_H */
