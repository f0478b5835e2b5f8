// SPDX-License-Identifier: GPL-2.0
/*
 * calperfctl's netlink layer on libnl-genl-3. libnl does not read
 * extended ACKs, so errors are parsed here: the kernel's message, and
 * the attribute it points at, named from the request we sent.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>

#include "attr-names.h"
#include "modprobe.h"
#include "nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

static void report(const char *what, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", what);
	vfprintf(stderr, fmt, ap);
	fputs(".\n", stderr);
}

void cp_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report("Error", fmt, ap);
	va_end(ap);
}

void cp_warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report("Warning", fmt, ap);
	va_end(ap);
}

int cp_nl_open(struct cp_nl *nl)
{
	int one = 1, fd;

	nl->overruns = 0;
	nl->sk = nl_socket_alloc();
	if (!nl->sk || genl_connect(nl->sk)) {
		cp_error("cannot open a generic netlink socket");
		return -1;
	}
	fd = nl_socket_get_fd(nl->sk);
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	nl->family = genl_ctrl_resolve(nl->sk, CALPERF_FAMILY_NAME);
	if (nl->family < 0) {
		char why[384];

		if (cp_modprobe(why, sizeof(why)))
			cp_error("the calperf module is not loaded and cannot be loaded (modprobe calperf: %s)",
				 why);
		else if ((nl->family = genl_ctrl_resolve(nl->sk, CALPERF_FAMILY_NAME)) < 0)
			cp_error("modprobe calperf loaded a module without the calperf family");
	}
	if (nl->family < 0) {
		nl_socket_free(nl->sk);
		nl->sk = NULL;
		return -1;
	}
	return 0;
}

void cp_nl_close(struct cp_nl *nl)
{
	if (nl->sk)
		nl_socket_free(nl->sk);
	nl->sk = NULL;
}

struct nl_msg *cp_nl_msg(struct cp_nl *nl, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (msg && !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
				flags, cmd, CALPERF_FAMILY_VERSION)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	if (!msg)
		cp_error("out of memory");
	return msg;
}

static const char *attr_name(const char *set, int type)
{
	return cp_attr_name(set, type) ?: "unknown";
}

/*
 * Name the attribute at byte @off of the request by the spec's names,
 * e.g. "sender.port", and return the set it holds if it is a nest.
 */
static const char *name_attr_at(const struct nlmsghdr *nlh,
				const struct nlattr *head, int rem,
				const char *set, uint32_t off, char *buf,
				size_t len)
{
	const struct nlattr *a;
	int r;

	if (len < 2)
		return NULL;
	nla_for_each_attr(a, head, rem, r) {
		uint32_t start = (const char *)a - (const char *)nlh;
		int type = nla_type(a);
		const char *nested = cp_attr_nested(set, type);
		const char *inner;
		size_t used;

		if (off < start || off >= start + a->nla_len)
			continue;
		snprintf(buf, len, "%s.", attr_name(set, type));
		used = strlen(buf);
		buf[used - 1] = '\0';
		if (off == start || !nested)
			return nested;
		inner = name_attr_at(nlh, nla_data(a), nla_len(a), nested, off,
				     buf + used, len - used);
		if (buf[used])
			buf[used - 1] = '.';
		return inner;
	}
	return NULL;
}

/* The attribute at byte @off of request @req, named into @buf. */
static const char *find_attr_at(struct nl_msg *req, uint32_t off, char *buf,
				size_t len)
{
	struct nlmsghdr *nlh = nlmsg_hdr(req);

	buf[0] = '\0';
	return name_attr_at(nlh, genlmsg_attrdata(nlmsg_data(nlh), 0),
			    genlmsg_attrlen(nlmsg_data(nlh), 0), "session",
			    off, buf, len);
}

struct cp_request {
	struct nl_msg *req;
	cp_msg_fn fn;
	void *arg;
	int err;
	bool done;
};

static void print_ext_ack(struct cp_request *r, struct nlmsgerr *e)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	const char *text = NULL;
	char where[64] = "";
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1] = {};
	int hlen = sizeof(*e);

	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		hlen += e->msg.nlmsg_len - NLMSG_HDRLEN;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS &&
	    (int)(nlh->nlmsg_len - NLMSG_HDRLEN) > hlen)
		nla_parse(tb, NLMSGERR_ATTR_MAX,
			  (struct nlattr *)((char *)e + NLMSG_ALIGN(hlen)),
			  nlh->nlmsg_len - NLMSG_HDRLEN - NLMSG_ALIGN(hlen),
			  NULL);
	if (tb[NLMSGERR_ATTR_MSG])
		text = nla_get_string(tb[NLMSGERR_ATTR_MSG]);
	if (tb[NLMSGERR_ATTR_OFFS]) {
		find_attr_at(r->req, nla_get_u32(tb[NLMSGERR_ATTR_OFFS]),
			     where, sizeof(where));
	} else if (tb[NLMSGERR_ATTR_MISS_TYPE]) {
		/* Missing inside a nest: the nest names the set. */
		const char *set = "session";
		char nest[64];

		if (tb[NLMSGERR_ATTR_MISS_NEST])
			set = find_attr_at(r->req,
					   nla_get_u32(tb[NLMSGERR_ATTR_MISS_NEST]),
					   nest, sizeof(nest));
		snprintf(where, sizeof(where), "%s",
			 attr_name(set, nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE])));
	}

	if (!text || !*text)
		cp_error("%s", strerror(-e->error));
	else if (where[0] && !strstr(text, where))
		cp_error("%s (attribute %s)", text, where);
	else if (r->req &&
		 genlmsg_hdr(nlmsg_hdr(r->req))->cmd == CALPERF_CMD_SESSION_START)
		/* What the system refused (bind, socket...): say why. */
		cp_error("%s: %s", text, strerror(-e->error));
	else
		cp_error("%s", text);
}

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct cp_request *r = arg;

	(void)who;
	r->err = e->error ?: -EIO;
	if (e->error)
		print_ext_ack(r, e);
	r->done = true;
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct cp_request *r = arg;

	(void)msg;
	r->done = true;
	return NL_STOP;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct cp_request *r = arg;
	struct nlattr *tb[CALPERF_A_SESSION_MAX + 1];
	struct genlmsghdr *g = nlmsg_data(nlmsg_hdr(msg));
	int err;

	if (!r->fn)
		return NL_OK;
	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, CALPERF_A_SESSION_MAX, NULL))
		return NL_SKIP;
	err = r->fn(tb, g->cmd, r->arg);
	if (err) {
		if (err < 0)
			cp_error("%s", err == -EPROTO ?
				 "the kernel's reply could not be parsed" :
				 strerror(-err));
		r->err = err;
		r->done = true;
		return NL_STOP;
	}
	return NL_OK;
}

static struct nl_cb *cp_callbacks(struct cp_request *r)
{
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);

	if (!cb) {
		cp_error("out of memory");
		return NULL;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, r);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, r);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_ack, r);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, r);
	return cb;
}

int cp_nl_request(struct cp_nl *nl, struct nl_msg *msg, cp_msg_fn fn,
		  void *arg)
{
	struct cp_request r = { .req = msg, .fn = fn, .arg = arg };
	struct nl_cb *cb = cp_callbacks(&r);
	int err;

	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	err = nl_send_auto(nl->sk, msg);
	if (err < 0) {
		cp_error("cannot send to the kernel: %s", nl_geterror(err));
		r.err = -EIO;
		goto out;
	}
	while (!r.done) {
		err = nl_recvmsgs(nl->sk, cb);
		if (err < 0 && !r.err) {
			cp_error("netlink: %s", nl_geterror(err));
			r.err = -EIO;
		}
		if (err < 0)
			break;
	}
out:
	nl_cb_put(cb);
	nlmsg_free(msg);
	return r.err;
}

int cp_nl_subscribe(struct cp_nl *nl, const char *group)
{
	int grp = genl_ctrl_resolve_grp(nl->sk, CALPERF_FAMILY_NAME, group);

	if (grp < 0 || nl_socket_add_membership(nl->sk, grp)) {
		cp_error("cannot join the calperf \"%s\" group", group);
		return -1;
	}
	return 0;
}

static int no_seq_check(struct nl_msg *msg, void *arg)
{
	(void)msg, (void)arg;
	return NL_OK;
}

/*
 * Read what is queued on a multicast socket. When the kernel dropped
 * notifications for it (its receive queue was full, or copying one for
 * it failed under memory pressure), the next read fails once with
 * ENOBUFS, which libnl reports as NLE_NOMEM, and the socket stays
 * usable: count it in nl->overruns and return 1. Several in a row are
 * something else (libnl itself out of memory): the error.
 */
static int recv_notifications(struct cp_nl *nl, struct nl_cb *cb,
			      int *in_a_row)
{
	int err = nl_recvmsgs(nl->sk, cb);

	if (err != -NLE_NOMEM) {
		*in_a_row = 0;
		return err;
	}
	if (++*in_a_row > 3)
		return err;
	nl->overruns++;
	return 1;
}

int cp_nl_drain(struct cp_nl *nl, cp_msg_fn fn, void *arg)
{
	struct cp_request r = { .fn = fn, .arg = arg };
	struct nl_cb *cb = cp_callbacks(&r);
	int err, in_a_row = 0;

	if (!cb)
		return -ENOMEM;
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, no_seq_check, NULL);
	nl_socket_set_nonblocking(nl->sk);
	do
		err = recv_notifications(nl, cb, &in_a_row);
	while (err >= 0 && !r.done);
	nl_cb_put(cb);
	if (err < 0 && err != -NLE_AGAIN) {
		cp_error("netlink: %s", nl_geterror(err));
		return -EIO;
	}
	return r.err;
}

/* Feed notifications to @fn until it returns non-zero. */
int cp_nl_listen(struct cp_nl *nl, cp_msg_fn fn, void *arg)
{
	struct cp_request r = { .fn = fn, .arg = arg };
	struct nl_cb *cb = cp_callbacks(&r);
	int err = 0, in_a_row = 0;

	if (!cb)
		return -ENOMEM;
	/* Notifications carry sequence number 0. */
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, no_seq_check, NULL);
	while (!r.done) {
		err = recv_notifications(nl, cb, &in_a_row);
		if (err == 1)
			cp_warning("the kernel dropped events for this listener (its socket overran)");
		if (err < 0) {
			cp_error("netlink: %s", nl_geterror(err));
			break;
		}
	}
	nl_cb_put(cb);
	if (err < 0)
		return -EIO;
	return r.err > 0 ? 0 : r.err;
}
