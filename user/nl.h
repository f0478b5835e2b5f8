/* SPDX-License-Identifier: GPL-2.0 */
/* calperfctl: talking to the calperf generic netlink family. */
#ifndef CALPERFCTL_NL_H
#define CALPERFCTL_NL_H

#include <stdbool.h>
#include <stdint.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <linux/calperf.h>

struct cp_nl {
	struct nl_sock *sk;
	int family;
	/* Times the kernel dropped notifications for this socket. */
	unsigned int overruns;
};

/* Per-message callback: return 0 to go on, negative to stop with error. */
typedef int (*cp_msg_fn)(struct nlattr **tb, uint8_t cmd, void *arg);

int cp_nl_open(struct cp_nl *nl);
void cp_nl_close(struct cp_nl *nl);
struct nl_msg *cp_nl_msg(struct cp_nl *nl, uint8_t cmd, int flags);
/* Send @msg (consumed) and feed each reply to @fn; prints kernel errors. */
int cp_nl_request(struct cp_nl *nl, struct nl_msg *msg, cp_msg_fn fn,
		  void *arg);
int cp_nl_subscribe(struct cp_nl *nl, const char *group);
int cp_nl_listen(struct cp_nl *nl, cp_msg_fn fn, void *arg);
/*
 * Feed the notifications already queued to @fn, without waiting. Lost
 * ones (the socket overran) are counted in nl->overruns, not an error.
 */
int cp_nl_drain(struct cp_nl *nl, cp_msg_fn fn, void *arg);

/* Print "Error: <fmt>." on stderr. */
void cp_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "Warning: <fmt>." on stderr. */
void cp_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
