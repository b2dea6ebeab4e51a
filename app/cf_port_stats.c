/* SPDX-License-Identifier: BSD-3-Clause */
#include <dirent.h>
#include <net/if.h>
#include <linux/if_packet.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_devargs.h>

#include "cf_config.h"
#include "cf_log.h"
#include "cf_port_stats.h"

#define KSOCK_MAX 16 /* sockets per port: the PMD opens one per queue pair */

static struct {
	int fd[KSOCK_MAX];
	unsigned int n;
	uint64_t drops;            /* kernel ring drops read so far */
} kport[RTE_MAX_ETHPORTS];
static pthread_mutex_t kport_lock = PTHREAD_MUTEX_INITIALIZER;

/* The iface= of an af_packet port's device arguments, into name; 0 or -1. */
static int
af_packet_iface(uint16_t port, char *name, size_t len)
{
	struct rte_eth_dev_info info;
	const struct rte_devargs *da;
	const char *a, *e;

	if (rte_eth_dev_info_get(port, &info) != 0 || info.driver_name == NULL ||
	    strcmp(info.driver_name, "net_af_packet") != 0 || info.device == NULL)
		return -1;
	da = rte_dev_devargs(info.device);
	if (da == NULL || da->args == NULL)
		return -1;
	for (a = da->args; (a = strstr(a, "iface=")) != NULL; a++) {
		if (a != da->args && a[-1] != ',')
			continue;
		a += strlen("iface=");
		e = strchr(a, ',');
		if (e == NULL)
			e = a + strlen(a);
		if ((size_t)(e - a) >= len)
			return -1;
		memcpy(name, a, (size_t)(e - a));
		name[e - a] = '\0';
		return 0;
	}
	return -1;
}

unsigned int
cf_port_stats_init(uint16_t port)
{
	char iface[IF_NAMESIZE + 1];
	unsigned int ifindex;
	struct dirent *d;
	DIR *dir;

	if (port >= RTE_MAX_ETHPORTS || af_packet_iface(port, iface, sizeof(iface)) != 0)
		return 0;
	ifindex = if_nametoindex(iface);
	dir = opendir("/proc/self/fd");
	if (ifindex == 0 || dir == NULL) {
		if (dir != NULL)
			closedir(dir);
		return 0;
	}
	/* Packet sockets bound to the port's interface: the PMD's (we open none of our own). */
	while ((d = readdir(dir)) != NULL && kport[port].n < KSOCK_MAX) {
		struct sockaddr_ll sll;
		socklen_t sl = sizeof(sll);
		int fd = atoi(d->d_name), dom = 0;
		socklen_t dl = sizeof(dom);

		if (d->d_name[0] < '0' || d->d_name[0] > '9' || fd == dirfd(dir))
			continue;
		if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &dl) != 0 || dom != AF_PACKET)
			continue;
		if (getsockname(fd, (struct sockaddr *)&sll, &sl) != 0 ||
		    sll.sll_ifindex != (int)ifindex)
			continue;
		kport[port].fd[kport[port].n++] = fd;
	}
	closedir(dir);
	if (kport[port].n == 0)
		CF_LOG(WARNING, "port %u (af_packet, %s): no kernel socket found; its ring drops "
		       "are not counted in imissed\n", port, iface);
	else
		CF_LOG(INFO, "port %u (af_packet, %s): %u kernel socket(s); their ring drops are "
		       "counted in imissed\n", port, iface, kport[port].n);
	return kport[port].n;
}

int
cf_port_stats_get(uint16_t port, struct rte_eth_stats *es)
{
	int rc = rte_eth_stats_get(port, es);
	unsigned int i;

	if (rc != 0 || port >= RTE_MAX_ETHPORTS || kport[port].n == 0)
		return rc;
	pthread_mutex_lock(&kport_lock);
	for (i = 0; i < kport[port].n; i++) {
		struct tpacket_stats_v3 st;
		socklen_t len = sizeof(st);

		memset(&st, 0, sizeof(st));
		if (getsockopt(kport[port].fd[i], SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
			kport[port].drops += st.tp_drops;
	}
	es->imissed += kport[port].drops;
	pthread_mutex_unlock(&kport_lock);
	return 0;
}
