/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels calperf supports (Debian 12's 6.1
 * and 6.12 lines) lives here, so the rest of the module reads as one
 * kernel's code.
 */
#ifndef _CALPERF_COMPAT_H
#define _CALPERF_COMPAT_H

#include <linux/bvec.h>
#include <linux/net.h>
#include <linux/socket.h>
#include <linux/uio.h>
#include <linux/version.h>

/*
 * Policy range pointers became const in 6.4; the generated policies
 * (netlink-gen.c, which includes this header first) declare their ranges
 * const, which 6.1's policy struct takes without the qualifier. The
 * kernel only reads them.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 4, 0)
#include <net/netlink.h>
#undef NLA_POLICY_FULL_RANGE
#define NLA_POLICY_FULL_RANGE(tp, _range) {				\
	.type = NLA_ENSURE_UINT_OR_BINARY_TYPE(tp),			\
	.validation_type = NLA_VALIDATE_RANGE_PTR,			\
	.range = (struct netlink_range_validation *)(_range),		\
}
#endif

/*
 * Send @len bytes from offset @off of the pages in @bvec by reference,
 * not copied (@flags: MSG_DONTWAIT or 0): MSG_SPLICE_PAGES since 6.5, ->sendpage() before (one call
 * a page). Returns the bytes sent, or an error if none were.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
static inline int calperf_send_pages(struct socket *sock,
				     struct bio_vec *bvec, unsigned int nr,
				     size_t off, size_t len, int flags)
{
	struct msghdr msg = {
		.msg_flags = MSG_SPLICE_PAGES | MSG_NOSIGNAL | flags,
	};

	iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, bvec, nr, off + len);
	iov_iter_advance(&msg.msg_iter, off);
	return sock_sendmsg(sock, &msg);
}
#else
static inline int calperf_send_pages(struct socket *sock,
				     struct bio_vec *bvec, unsigned int nr,
				     size_t off, size_t len, int msg_flags)
{
	unsigned int i = off / PAGE_SIZE;
	size_t poff = off % PAGE_SIZE;
	size_t done = 0;

	while (done < len && i < nr) {
		size_t n = min_t(size_t, bvec[i].bv_len - poff, len - done);
		int flags = MSG_NOSIGNAL | msg_flags;
		int ret;

		if (done + n < len)
			flags |= MSG_MORE | MSG_SENDPAGE_NOTLAST;
		ret = kernel_sendpage(sock, bvec[i].bv_page, poff, n, flags);
		if (ret <= 0)
			return done ? done : ret;
		done += ret;
		if (ret < n)
			break;
		i++;
		poff = 0;
	}
	return done;
}
#endif

#endif /* _CALPERF_COMPAT_H */
