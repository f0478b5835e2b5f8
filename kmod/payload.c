// SPDX-License-Identifier: GPL-2.0
/*
 * The payload: each endpoint's buffer, the byte pattern a sender puts on
 * the wire and the check a receiver makes of it.
 *
 * Byte n of a stream is (n mod S) * 7 + 1, truncated to 8 bits, where S
 * is the buffer size: a sender always sends from buffer offset n mod S,
 * so the pattern survives short sends and needs no state to check.
 *
 * A zero-copy sender's buffer is vmalloc()ed so that its pages are
 * ordinary refcounted pages that TCP may hold on to (a slab page may not
 * be spliced); the skbs' page references keep them alive after a free.
 */

#include <linux/bvec.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "calperf.h"

static u8 calperf_payload_byte(u32 pos)
{
	return pos * 7 + 1;
}

static int calperf_payload_pages(struct calperf_endpoint *ep, u32 size)
{
	unsigned int nr = DIV_ROUND_UP(size, PAGE_SIZE);

	ep->buf = __vmalloc(size, CALPERF_GFP);
	if (!ep->buf)
		return -ENOMEM;
	ep->bvec = kvmalloc_array(nr, sizeof(*ep->bvec), CALPERF_GFP);
	if (!ep->bvec)
		return -ENOMEM;
	for (unsigned int i = 0; i < nr; i++) {
		struct bio_vec *bv = &ep->bvec[i];

		bv->bv_page = vmalloc_to_page(ep->buf + i * PAGE_SIZE);
		bv->bv_offset = 0;
		bv->bv_len = min_t(u32, PAGE_SIZE, size - i * PAGE_SIZE);
	}
	ep->nr_bvec = nr;
	return 0;
}

/*
 * The sender's buffer, shared by its kthreads: the pattern, in pages it
 * can hand to TCP for a zero-copy session. On error the caller frees
 * what was allocated with calperf_payload_free().
 */
int calperf_payload_pattern(struct calperf_session *s,
			    struct calperf_endpoint *ep)
{
	u32 size = calperf_session_buf_size(s);
	int err;

	if (s->zerocopy_send) {
		err = calperf_payload_pages(ep, size);
		if (err)
			return err;
	} else {
		ep->buf = kvmalloc(size, CALPERF_GFP);
		if (!ep->buf)
			return -ENOMEM;
	}
	for (u32 i = 0; i < size; i++)
		((u8 *)ep->buf)[i] = calperf_payload_byte(i);
	return 0;
}

/* A receiving kthread's own buffer, to copy data out into. */
void *calperf_payload_buf(struct calperf_session *s)
{
	return kvmalloc(calperf_session_buf_size(s), CALPERF_GFP);
}

void calperf_payload_free(struct calperf_endpoint *ep)
{
	kvfree(ep->bvec);
	ep->bvec = NULL;
	ep->nr_bvec = 0;
	kvfree(ep->buf);
	ep->buf = NULL;
}

/*
 * How many of the @len bytes at @p, found at stream offset @off, are
 * intact: @len, or the index of the first wrong byte.
 */
size_t calperf_payload_check(const void *p, size_t len, u64 off, u32 size)
{
	const u8 *b = p;
	u32 pos;
	size_t i;

	div_u64_rem(off, size, &pos);
	for (i = 0; i < len; i++) {
		if (b[i] != calperf_payload_byte(pos))
			break;
		if (++pos == size)
			pos = 0;
	}
	return i;
}

/*
 * As calperf_payload_check() for @len bytes of @skb from @offset, read in
 * place: fragments are mapped, never copied.
 */
size_t calperf_payload_check_skb(struct sk_buff *skb, unsigned int offset,
				 size_t len, u64 off, u32 size)
{
	struct skb_seq_state st;
	unsigned int done = 0, n, good;
	const u8 *data;

	skb_prepare_seq_read(skb, offset, offset + len, &st);
	while ((n = skb_seq_read(done, &data, &st)) != 0) {
		good = calperf_payload_check(data, n, off + done, size);
		done += good;
		if (good < n) {
			skb_abort_seq_read(&st);
			break;
		}
	}
	return done;
}
