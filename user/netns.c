// SPDX-License-Identifier: GPL-2.0
/*
 * calperfctl: an endpoint's network namespace from what the user names:
 * a name under /run/netns, a path, "pid:N" (process N's namespace) or
 * "container:NAME" (its init process's, which podman, docker or crictl,
 * whichever is on PATH, tells). Each is opened here as a file: the fd
 * pins the namespace until the kernel has taken it, where a pid passed
 * on (netns-pid) could be reused by another process meanwhile.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "netns.h"
#include "nl.h"
#include "util.h"

/* How long a container tool may take to answer. */
#define CP_RESOLVER_TIMEOUT_MS	10000

struct cp_output {
	char out[256], err[256];	/* stdout, stderr: as much as fits */
	size_t n_out, n_err;
	int status;			/* as waitpid() gives it */
	bool timed_out;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Whether @name is an executable on PATH. */
static bool on_path(const char *name)
{
	const char *path = getenv("PATH"), *p, *end;
	char file[PATH_MAX];

	for (p = path ?: ""; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		snprintf(file, sizeof(file), "%.*s/%s", (int)(end - p), p, name);
		if (end > p && access(file, X_OK) == 0)
			return true;
	}
	return false;
}

static void take(int fd, char *buf, size_t size, size_t *n, bool *open)
{
	char sink[512];
	ssize_t r;

	if (*n + 1 < size)
		r = read(fd, buf + *n, size - 1 - *n);
	else
		r = read(fd, sink, sizeof(sink));	/* the rest is dropped */
	if (r > 0 && *n + 1 < size)
		*n += r;
	else if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
		*open = false;
	buf[*n] = '\0';
}

/*
 * Run @argv (no shell; argv[0] looked up on PATH) with stdin from
 * /dev/null; collect its stdout and stderr, killing it after the
 * timeout. Returns 0 once it has exited or was killed, -1 if it could
 * not be started (errno set).
 */
static int run_capture(char *const argv[], struct cp_output *o)
{
	int out[2] = { -1, -1 }, err[2] = { -1, -1 }, null, e;
	bool out_open = true, err_open = true;
	int64_t deadline;
	pid_t pid;

	memset(o, 0, sizeof(*o));
	if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
		goto fail;
	pid = fork();
	if (pid < 0)
		goto fail;
	if (pid == 0) {
		null = open("/dev/null", O_RDONLY);
		if (null < 0 || dup2(null, 0) < 0 || dup2(out[1], 1) < 0 ||
		    dup2(err[1], 2) < 0)
			_exit(127);
		execvp(argv[0], argv);
		dprintf(2, "%s\n", strerror(errno));
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	deadline = now_ms() + CP_RESOLVER_TIMEOUT_MS;
	while (out_open || err_open) {
		struct pollfd p[2] = {
			{ .fd = out_open ? out[0] : -1, .events = POLLIN },
			{ .fd = err_open ? err[0] : -1, .events = POLLIN },
		};
		int64_t left = deadline - now_ms();

		if (left <= 0) {
			o->timed_out = true;
			kill(pid, SIGKILL);
			break;
		}
		if (poll(p, 2, left) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			take(out[0], o->out, sizeof(o->out), &o->n_out, &out_open);
		if (p[1].revents)
			take(err[0], o->err, sizeof(o->err), &o->n_err, &err_open);
	}
	close(out[0]);
	close(err[0]);
	while (waitpid(pid, &o->status, 0) < 0 && errno == EINTR)
		;
	return 0;
fail:
	e = errno;
	if (out[0] >= 0)
		close(out[0]), close(out[1]);
	if (err[0] >= 0)
		close(err[0]), close(err[1]);
	errno = e;
	return -1;
}

/* A pid in decimal, 1 to INT_MAX; 0 if @s is not one. */
static uint32_t parse_pid(const char *s)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return 0;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > INT_MAX)
		return 0;
	return v;
}

/* The first line of @s, without trailing blanks and full stops. */
static const char *first_line(char *s)
{
	size_t n = strcspn(s, "\n");

	while (n > 0 && strchr(" \t\r.", s[n - 1]))
		n--;
	s[n] = '\0';
	return s;
}

/*
 * Run one resolver step; its output, without trailing blanks, in @out.
 * Returns 0, or -1 having said why (@what names the step: "podman
 * inspect").
 */
static int resolver_step(const char *name, const char *what, char *const argv[],
			 char *out, size_t size)
{
	struct cp_output o;
	size_t n;

	if (run_capture(argv, &o)) {
		cp_error("container \"%s\": %s: %s", name, what, strerror(errno));
		return -1;
	}
	if (o.timed_out) {
		cp_error("container \"%s\": %s: no answer in %d s", name, what,
			 CP_RESOLVER_TIMEOUT_MS / 1000);
		return -1;
	}
	if (!WIFEXITED(o.status) || WEXITSTATUS(o.status)) {
		if (*first_line(o.err))
			cp_error("container \"%s\": %s: %s", name, what, o.err);
		else if (WIFEXITED(o.status))
			cp_error("container \"%s\": %s: exit status %d", name, what,
				 WEXITSTATUS(o.status));
		else
			cp_error("container \"%s\": %s: killed by signal %d", name,
				 what, WTERMSIG(o.status));
		return -1;
	}
	for (n = o.n_out; n > 0 && strchr(" \t\r\n", o.out[n - 1]); n--)
		;
	o.out[n] = '\0';
	snprintf(out, size, "%s", o.out);
	return 0;
}

/* The pid of container @name's init process; 0 after an error. */
static uint32_t container_pid(const char *name)
{
	char out[256], id[256], re[256];
	char *podman[] = { "podman", "inspect", "--type", "container", "--format",
			   "{{.State.Pid}}", (char *)name, NULL };
	char *docker[] = { "docker", "inspect", "--type", "container", "--format",
			   "{{.State.Pid}}", (char *)name, NULL };
	/* crictl inspects an id: first that of the running NAME. */
	char *crictl_ps[] = { "crictl", "ps", "-q", "--name", re, NULL };
	char *crictl[] = { "crictl", "inspect", "--output", "go-template",
			   "--template", "{{.info.pid}}", id, NULL };
	char **argv;
	const char *what;
	uint32_t pid;

	if (on_path("podman")) {
		argv = podman, what = "podman inspect";
	} else if (on_path("docker")) {
		argv = docker, what = "docker inspect";
	} else if (on_path("crictl")) {
		argv = crictl, what = "crictl inspect";
		snprintf(re, sizeof(re), "^%s$", name);	/* a regex to crictl */
		if (resolver_step(name, "crictl ps", crictl_ps, id, sizeof(id)))
			return 0;
		if (!*id) {
			cp_error("container \"%s\": crictl ps: no running container of that name",
				 name);
			return 0;
		}
		if (strchr(id, '\n')) {
			cp_error("container \"%s\": crictl ps: more than one running container of that name",
				 name);
			return 0;
		}
	} else {
		cp_error("container \"%s\": no podman, docker or crictl on PATH", name);
		return 0;
	}
	if (resolver_step(name, what, argv, out, sizeof(out)))
		return 0;
	pid = parse_pid(out);
	if (!pid && strcmp(out, "0")) {
		cp_error("container \"%s\": %s gave \"%s\", not a pid", name, what,
			 first_line(out));
		return 0;
	}
	if (!pid) {
		cp_error("container \"%s\": not running (%s gave pid 0)", name, what);
		return 0;
	}
	return pid;
}

/* Process @pid's network namespace; -1 after an error, said as @spec's. */
static int pid_netns_open(const char *spec, uint32_t pid)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/ns/net", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		cp_error("%s: no such process", spec);
	else if (fd < 0)
		cp_error("%s: %s", spec, strerror(errno));
	return fd;
}

int cp_netns_open(const char *spec)
{
	char what[PATH_MAX + 16];
	uint32_t pid;
	int fd;

	if (!strncmp(spec, "pid:", 4)) {
		snprintf(what, sizeof(what), "netns \"%s\"", spec);
		pid = parse_pid(spec + 4);
		if (!pid) {
			cp_error("%s: \"%s\" is not a pid", what, spec + 4);
			return -1;
		}
		return pid_netns_open(what, pid);
	}
	if (!strncmp(spec, "container:", 10)) {
		if (!spec[10]) {
			cp_error("netns \"%s\": no container name", spec);
			return -1;
		}
		pid = container_pid(spec + 10);
		if (!pid)
			return -1;
		snprintf(what, sizeof(what), "container \"%s\": pid %u", spec + 10, pid);
		return pid_netns_open(what, pid);
	}
	fd = netns_open(spec);
	if (fd < 0)
		cp_error("netns \"%s\": %s", spec, strerror(errno));
	return fd;
}
