// SPDX-License-Identifier: GPL-2.0
/*
 * calperf-tapfwd: joins two tap devices, each in its own network
 * namespace, by copying every frame from one to the other in user
 * space, as a VM's user-space network backend would. It stands in for
 * that hop in calperf's tap topology.
 *
 *   calperf-tapfwd NETNS_A TAP_A NETNS_B TAP_B
 *
 * The taps are created (or attached) here and live while it runs; it
 * prints "ready" once both are open and stops on SIGINT or SIGTERM.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define FRAME_MAX 65536

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Open tap @name inside the namespace named @netns (as ip netns does). */
static int open_tap(const char *netns, const char *name)
{
	char path[256];
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int ns, fd;

	snprintf(path, sizeof(path), "%s%s", strchr(netns, '/') ? "" :
		 "/run/netns/", netns);
	ns = open(path, O_RDONLY | O_CLOEXEC);
	if (ns < 0 || setns(ns, CLONE_NEWNET)) {
		fprintf(stderr, "calperf-tapfwd: network namespace %s: %s\n",
			netns, strerror(errno));
		return -1;
	}
	close(ns);
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "calperf-tapfwd: /dev/net/tun: %s\n",
			strerror(errno));
		return -1;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		fprintf(stderr, "calperf-tapfwd: tap %s in %s: %s\n", name,
			netns, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Copy one frame from @from to @to; a full queue on @to drops it. */
static int forward(int from, int to, unsigned char *buf)
{
	ssize_t n = read(from, buf, FRAME_MAX);

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	if (write(to, buf, n) < 0 && errno != EINTR && errno != EAGAIN &&
	    errno != ENOBUFS && errno != EIO)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	static unsigned char buf[FRAME_MAX];
	struct sigaction sa = { .sa_handler = on_signal };
	struct pollfd pfd[2];

	if (argc != 5) {
		fprintf(stderr, "Usage: calperf-tapfwd NETNS_A TAP_A NETNS_B TAP_B\n");
		return 2;
	}
	pfd[0].fd = open_tap(argv[1], argv[2]);
	if (pfd[0].fd < 0)
		return 1;
	pfd[1].fd = open_tap(argv[3], argv[4]);
	if (pfd[1].fd < 0)
		return 1;
	pfd[0].events = pfd[1].events = POLLIN;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		if (poll(pfd, 2, 200) < 0) {
			if (errno == EINTR)
				continue;
			perror("calperf-tapfwd: poll");
			return 1;
		}
		for (int i = 0; i < 2; i++)
			if ((pfd[i].revents & POLLIN) &&
			    forward(pfd[i].fd, pfd[!i].fd, buf)) {
				perror("calperf-tapfwd: forward");
				return 1;
			}
	}
	return 0;
}
