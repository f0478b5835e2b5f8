// SPDX-License-Identifier: GPL-2.0
/*
 * A measurement session: its lifetime, state machine and kthreads.
 *
 * CREATED --start--> RUNNING --all kthreads finished--> DONE
 *
 * A session belongs to the network namespace it was created in and dies
 * with it. Its endpoints may sit in other namespaces; when one of those
 * goes away, the session is halted and ends with -ENETDOWN.
 */

#include <linux/kthread.h>
#include <linux/net.h>
#include <linux/netdevice.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "calperf.h"

/* How long a stop waits for the ends to drain before forcing them. */
#define CALPERF_STOP_WAIT_MS	500

/* Guards calperf_sessions and every session's configuration and state. */
static DEFINE_MUTEX(calperf_lock);
static LIST_HEAD(calperf_sessions);
static bool calperf_unloading;		/* module unload has begun */
static unsigned int calperf_net_id __read_mostly;

struct calperf_pernet {
	u32 last_id;
	unsigned int count;		/* sessions */
	unsigned int flows;		/* their flows, all told */
};

static struct calperf_pernet *calperf_pernet(struct net *net)
{
	return net_generic(net, calperf_net_id);
}

/* Multicast a running session's counters, every interval_ms. */
static void calperf_session_interval(struct work_struct *work)
{
	struct calperf_session *s = container_of(to_delayed_work(work),
						 struct calperf_session,
						 interval_work);

	if (READ_ONCE(s->state) != CALPERF_STATE_RUNNING)
		return;
	calperf_nl_notify(s, CALPERF_CMD_SESSION_INTERVAL);
	schedule_delayed_work(&s->interval_work,
			      msecs_to_jiffies(s->interval_ms));
}

struct calperf_session *calperf_session_alloc(struct net *owner)
{
	struct calperf_session *s;

	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return NULL;
	INIT_LIST_HEAD(&s->list);
	refcount_set(&s->ref, 1);		/* the creator's */
	mutex_init(&s->lock);
	s->owner = owner;
	s->kind = CALPERF_KIND_STREAM;
	s->state = CALPERF_STATE_CREATED;
	s->msg_size = CALPERF_DEFAULT_MSG_SIZE;
	s->req_size = 1;
	s->resp_size = 1;
	s->nr_flows = 1;
	s->nr_threads = 1;
	s->sender.cpu = -1;
	s->receiver.cpu = -1;
	init_completion(&s->done);
	INIT_DELAYED_WORK(&s->interval_work, calperf_session_interval);
	return s;
}

/* Release the endpoint's sockets, if any are left. */
static void calperf_endpoint_release(struct calperf_session *s,
				     struct calperf_endpoint *ep)
{
	if (ep->listener) {
		sock_release(ep->listener);
		ep->listener = NULL;
	}
	for (u32 i = 0; ep->flows && i < s->nr_flows; i++)
		calperf_flow_release(&ep->flows[i]);
}

/* Undo what a start set up, but the kthreads. */
static void calperf_session_unprepare(struct calperf_session *s)
{
	struct calperf_endpoint *ep[] = { &s->sender, &s->receiver };

	for (int i = 0; i < ARRAY_SIZE(ep); i++) {
		calperf_endpoint_release(s, ep[i]);
		calperf_hist_free(&ep[i]->rtt);
		calperf_workers_free(s, ep[i]);
		calperf_payload_free(ep[i]);
	}
	calperf_cpu_acct_free(&s->cpu);
	calperf_hops_free(s->hops);
	s->hops = NULL;
}

/* Publish @s under a new id, if this namespace and the host have room. */
static int calperf_session_publish(struct calperf_session *s,
				   struct netlink_ext_ack *extack)
{
	struct calperf_pernet *pn = calperf_pernet(s->owner);
	int err;

	lockdep_assert_held(&calperf_lock);
	if (calperf_unloading) {
		NL_SET_ERR_MSG(extack, "calperf is being unloaded");
		return -ESHUTDOWN;
	}
	if (pn->count >= CALPERF_MAX_SESSIONS_PER_NET) {
		NL_SET_ERR_MSG(extack,
			       "too many sessions in this network namespace");
		return -ENOSPC;
	}
	if (pn->flows + s->nr_flows > CALPERF_MAX_FLOWS_PER_NET) {
		NL_SET_ERR_MSG(extack,
			       "too many flows in this network namespace");
		return -ENOSPC;
	}
	/* Ids only grow, so a dump can resume after the last id it sent. */
	if (pn->last_id == U32_MAX) {
		NL_SET_ERR_MSG(extack, "session ids exhausted");
		return -ENOSPC;
	}
	err = calperf_limits_charge(s, extack);
	if (err)
		return err;
	s->id = ++pn->last_id;
	pn->count++;
	pn->flows += s->nr_flows;
	/* The owner's reference, dropped by whoever kills the session. */
	refcount_inc(&s->ref);
	list_add_tail(&s->list, &calperf_sessions);
	return 0;
}

/*
 * Give @s an id and publish it: from here on others may find, start or
 * delete it, so only the caller's own reference keeps it for the caller.
 */
int calperf_session_add(struct calperf_session *s,
			struct netlink_ext_ack *extack)
{
	int err;

	mutex_lock(&calperf_lock);
	err = calperf_session_publish(s, extack);
	mutex_unlock(&calperf_lock);
	return err;
}

/* The last reference is gone: no handler, reaper or kthread is left. */
void calperf_session_put(struct calperf_session *s)
{
	if (!refcount_dec_and_mutex_lock(&s->ref, &calperf_lock))
		return;
	list_del(&s->list);
	mutex_unlock(&calperf_lock);
	calperf_session_unprepare(s);
	mutex_destroy(&s->lock);
	kfree(s);
}

/*
 * The live session of @owner with id @id (@exact) or else the first one
 * above it, with a reference for the caller; NULL if there is none.
 */
static struct calperf_session *calperf_session_lookup(struct net *owner,
						      u32 id, bool exact)
{
	struct calperf_session *s, *found = NULL;

	mutex_lock(&calperf_lock);
	list_for_each_entry(s, &calperf_sessions, list) {
		if (s->dead || !net_eq(s->owner, owner))
			continue;
		if (exact ? s->id == id : s->id > id) {
			found = s;
			refcount_inc(&s->ref);
			break;
		}
	}
	mutex_unlock(&calperf_lock);
	return found;
}

struct calperf_session *calperf_session_get_by_id(struct net *owner, u32 id)
{
	return calperf_session_lookup(owner, id, true);
}

/* Sessions are added at the tail with growing ids: a dump's order. */
struct calperf_session *calperf_session_get_next(struct net *owner, u32 after)
{
	return calperf_session_lookup(owner, after, false);
}

/*
 * Make @s invisible and give back what it was lent; caller holds
 * calperf_lock. The caller inherits the owner's reference: it reaps the
 * session, then puts it. False if someone else killed it first.
 */
static bool calperf_session_kill(struct calperf_session *s)
{
	struct calperf_pernet *pn = calperf_pernet(s->owner);

	lockdep_assert_held(&calperf_lock);
	if (s->dead)
		return false;
	s->dead = true;
	pn->count--;
	pn->flows -= s->nr_flows;
	calperf_limits_uncharge(s);
	return true;
}

bool calperf_session_should_stop(const struct calperf_session *s)
{
	/* Pairs with the release in calperf_session_halt(). */
	return smp_load_acquire(&s->halting) || kthread_should_stop();
}

/* All workers of @ep have finished: so has @ep, and maybe the session. */
void calperf_endpoint_finish(struct calperf_session *s,
			     struct calperf_endpoint *ep)
{
	/* Pairs with the acquire of readers of the results. */
	smp_store_release(&ep->finished, true);
	if (atomic_dec_and_test(&s->running)) {
		calperf_cpu_acct_end(&s->cpu);
		calperf_hops_end(s->hops);
		/* Readers of a done session's results pair with this. */
		smp_store_release(&s->state, CALPERF_STATE_DONE);
		calperf_nl_notify(s, CALPERF_CMD_SESSION_DONE);
		complete_all(&s->done);
	}
}

/* What ended @ep early: a worker's error, else the first flow's. */
int calperf_endpoint_error(const struct calperf_session *s,
			   const struct calperf_endpoint *ep)
{
	for (u32 i = 0; i < s->nr_threads; i++)
		if (ep->workers[i].error)
			return ep->workers[i].error;
	for (u32 i = 0; i < s->nr_flows; i++)
		if (ep->flows[i].error)
			return ep->flows[i].error;
	return 0;
}

/* Stop @ep's kthreads if any, then release whatever they left behind. */
static void calperf_endpoint_reap(struct calperf_session *s,
				  struct calperf_endpoint *ep)
{
	for (u32 i = 0; ep->workers && i < s->nr_threads; i++) {
		struct calperf_worker *w = &ep->workers[i];

		if (!w->task)
			continue;
		kthread_stop(w->task);
		put_task_struct(w->task);
		w->task = NULL;
		if (!w->finished)
			calperf_worker_finish(w, s->abort_error);
	}
	calperf_endpoint_release(s, ep);
}

static void calperf_session_reap(struct calperf_session *s)
{
	/* The report reads the session: it must not outlive it. */
	cancel_delayed_work_sync(&s->interval_work);
	calperf_endpoint_reap(s, &s->sender);
	calperf_endpoint_reap(s, &s->receiver);
}

static int calperf_endpoint_check(struct calperf_endpoint *ep,
				  struct netlink_ext_ack *extack)
{
	if (!ep->net) {
		NL_SET_ERR_MSG(extack, "an endpoint's network namespace is gone");
		return -ENETDOWN;
	}
	if (ep->cpu >= 0 && (ep->cpu >= nr_cpu_ids || !cpu_online(ep->cpu))) {
		NL_SET_ERR_MSG(extack, "an endpoint's CPU is not online");
		return -EINVAL;
	}
	return 0;
}

/*
 * What @ep's kthreads need besides sockets: its traffic, a sender's
 * pattern (its workers share it), the flows and the workers.
 */
static int calperf_endpoint_prepare(struct calperf_session *s,
				    struct calperf_endpoint *ep)
{
	bool rr = s->kind == CALPERF_KIND_RR;
	int err;

	if (!ep->present)
		return 0;
	if (ep == &s->sender) {
		ep->traffic = rr ? &calperf_rr_client : &calperf_stream_sender;
		err = calperf_payload_pattern(s, ep);
		if (err)
			return err;
	} else {
		ep->traffic = rr ? &calperf_rr_server : &calperf_stream_receiver;
	}
	return calperf_workers_alloc(s, ep);
}

/* Create @ep's kthreads, not yet woken. */
static int calperf_endpoint_spawn(struct calperf_session *s,
				  struct calperf_endpoint *ep)
{
	const char *role = ep->traffic->role;
	struct task_struct *task;

	for (u32 i = 0; i < s->nr_threads; i++) {
		struct calperf_worker *w = &ep->workers[i];

		if (s->nr_threads > 1)
			task = kthread_create(calperf_worker_run, w,
					      "calperf-%s/%u:%u", role, s->id,
					      i);
		else
			task = kthread_create(calperf_worker_run, w,
					      "calperf-%s/%u", role, s->id);
		if (IS_ERR(task))
			return PTR_ERR(task);
		if (w->cpu >= 0)
			kthread_bind(task, w->cpu);
		get_task_struct(task);
		w->task = task;
	}
	return 0;
}

/* Stop kthreads that were never woken: they end without running. */
static void calperf_endpoint_unspawn(struct calperf_session *s,
				     struct calperf_endpoint *ep)
{
	for (u32 i = 0; ep->workers && i < s->nr_threads; i++) {
		struct calperf_worker *w = &ep->workers[i];

		if (w->task) {
			kthread_stop(w->task);
			put_task_struct(w->task);
			w->task = NULL;
		}
	}
}

static void calperf_endpoint_wake(struct calperf_session *s,
				  struct calperf_endpoint *ep)
{
	for (u32 i = 0; ep->present && i < s->nr_threads; i++)
		wake_up_process(ep->workers[i].task);
}

int calperf_session_start(struct calperf_session *s,
			  struct netlink_ext_ack *extack)
{
	bool rr = s->kind == CALPERF_KIND_RR;
	int n = 0, err;

	lockdep_assert_held(&s->lock);
	if (s->dead) {
		/* Deleted, or its namespace or the module is going away. */
		NL_SET_ERR_MSG(extack, "no such session");
		return -ENOENT;
	}
	if (s->state != CALPERF_STATE_CREATED) {
		NL_SET_ERR_MSG(extack, "session has already been started");
		return -EBUSY;
	}
	if (s->sender.present) {
		err = calperf_endpoint_check(&s->sender, extack);
		if (err)
			return err;
	}
	if (s->receiver.present) {
		err = calperf_endpoint_check(&s->receiver, extack);
		if (err)
			return err;
	}

	if (rr && s->sender.present) {
		err = calperf_hist_init(&s->sender.rtt);
		if (err)
			goto err_release;
	}
	err = calperf_endpoint_prepare(s, &s->receiver);
	if (!err)
		err = calperf_endpoint_prepare(s, &s->sender);
	if (!err)
		err = calperf_sockets_prepare(s, extack);
	if (err)
		goto err_release;
	err = calperf_cpu_acct_start(&s->cpu);
	if (err) {
		NL_SET_ERR_MSG(extack, "cannot attach the CPU accounting probes");
		goto err_release;
	}
	if (s->hop_every) {
		err = calperf_hops_start(&s->hops, s);
		if (err) {
			NL_SET_ERR_MSG(extack, "cannot attach the hop probes");
			goto err_release;
		}
	}

	if (s->receiver.present) {
		err = calperf_endpoint_spawn(s, &s->receiver);
		if (err)
			goto err_spawn;
		n++;
	}
	if (s->sender.present) {
		err = calperf_endpoint_spawn(s, &s->sender);
		if (err)
			goto err_spawn;
		n++;
	}

	atomic_set(&s->running, n);
	s->state = CALPERF_STATE_RUNNING;
	if (s->interval_ms)
		schedule_delayed_work(&s->interval_work,
				      msecs_to_jiffies(s->interval_ms));
	calperf_endpoint_wake(s, &s->receiver);
	calperf_endpoint_wake(s, &s->sender);
	return 0;

err_spawn:
	NL_SET_ERR_MSG(extack, "cannot create the session's kthreads");
	calperf_endpoint_unspawn(s, &s->receiver);
	calperf_endpoint_unspawn(s, &s->sender);
err_release:
	calperf_session_unprepare(s);
	return err;
}

/*
 * Tell the kthreads to wind down; @err is what they report for ending
 * early (0 for a stop asked for by the user). The first halt's reason
 * stays. Needs no lock, so that every session a namespace exit or an
 * unload ends is halted before any of them is waited for.
 */
static void calperf_session_halt(struct calperf_session *s, int err)
{
	if (test_and_set_bit(0, &s->halted))
		return;
	s->abort_error = err;
	/* The kthreads read abort_error once they see halting. */
	smp_store_release(&s->halting, true);
}

/*
 * Ask both ends to finish: the sender closes its side, the receiver
 * drains what is in flight. Whatever has not ended after a short wait
 * is stopped, so a stalled peer cannot hold a stop for long.
 */
void calperf_session_stop(struct calperf_session *s)
{
	lockdep_assert_held(&s->lock);
	if (s->state == CALPERF_STATE_RUNNING) {
		WRITE_ONCE(s->stop_ns, ktime_get_ns());
		calperf_session_halt(s, 0);
		wait_for_completion_timeout(&s->done,
					    msecs_to_jiffies(CALPERF_STOP_WAIT_MS));
	}
	calperf_session_reap(s);
}

/* Kill, halt, reap and put the session @id of @owner. */
int calperf_session_delete(struct net *owner, u32 id)
{
	struct calperf_session *s;
	bool killed = false;

	s = calperf_session_get_by_id(owner, id);
	if (!s)
		return -ENOENT;
	mutex_lock(&calperf_lock);
	killed = calperf_session_kill(s);
	mutex_unlock(&calperf_lock);
	if (killed) {
		calperf_session_halt(s, 0);
		mutex_lock(&s->lock);
		calperf_session_reap(s);
		mutex_unlock(&s->lock);
		calperf_session_put(s);		/* the owner's */
	}
	calperf_session_put(s);			/* the lookup's */
	return killed ? 0 : -ENOENT;
}

/*
 * @net is going away. Sessions it owns go with it; sessions with an end
 * inside it are halted, keep their results and report -ENETDOWN. All
 * are halted first, then reaped, so their kthreads wind down together;
 * sessions that do not touch @net are never waited for. Namespace exits
 * run one at a time (one cleanup work), so exit_node has one user.
 */
void calperf_sessions_net_exit(struct net *net)
{
	struct calperf_session *s, *tmp;
	LIST_HEAD(reap);

	mutex_lock(&calperf_lock);
	list_for_each_entry(s, &calperf_sessions, list) {
		bool owned = net_eq(s->owner, net);

		if (!owned && s->sender.net != net && s->receiver.net != net)
			continue;
		/* Owned: the owner's reference becomes ours; else take one. */
		if (!owned || !calperf_session_kill(s))
			refcount_inc(&s->ref);
		calperf_session_halt(s, -ENETDOWN);
		list_add_tail(&s->exit_node, &reap);
	}
	mutex_unlock(&calperf_lock);

	list_for_each_entry_safe(s, tmp, &reap, exit_node) {
		mutex_lock(&s->lock);
		/* The end inside @net first, so it is the one that reports it. */
		if (s->receiver.net == net)
			calperf_endpoint_reap(s, &s->receiver);
		calperf_session_reap(s);
		if (s->sender.net == net)
			s->sender.net = NULL;
		if (s->receiver.net == net)
			s->receiver.net = NULL;
		mutex_unlock(&s->lock);
		calperf_session_put(s);
	}
}

/* Module unload: refuse new sessions, end all of them together. */
void calperf_sessions_unload(void)
{
	struct calperf_session *s, *tmp;
	LIST_HEAD(reap);

	mutex_lock(&calperf_lock);
	calperf_unloading = true;
	list_for_each_entry(s, &calperf_sessions, list) {
		if (!calperf_session_kill(s))
			refcount_inc(&s->ref);
		calperf_session_halt(s, -ESHUTDOWN);
		list_add_tail(&s->unload_node, &reap);
	}
	mutex_unlock(&calperf_lock);

	list_for_each_entry_safe(s, tmp, &reap, unload_node) {
		mutex_lock(&s->lock);
		calperf_session_reap(s);
		mutex_unlock(&s->lock);
		calperf_session_put(s);
	}
}

static void __net_exit calperf_net_pre_exit(struct net *net)
{
	calperf_sessions_net_exit(net);
}

static struct pernet_operations calperf_net_ops = {
	.pre_exit = calperf_net_pre_exit,
	.id = &calperf_net_id,
	.size = sizeof(struct calperf_pernet),
};

int calperf_pernet_init(void)
{
	return register_pernet_subsys(&calperf_net_ops);
}

void calperf_pernet_exit(void)
{
	unregister_pernet_subsys(&calperf_net_ops);
}
