/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cg-sockrelay: the multicast relay that socket-based tools are, as a
 * reference for scripts/bench.d/veth. It joins one group on one interface,
 * takes datagrams in batches with recvmmsg(2) and sends them to another group
 * out of another interface with sendmmsg(2): the kernel's UDP stack on both
 * sides, one copy in and one copy out per datagram. It prints what it
 * relayed as one JSON line when SIGTERM/SIGINT stops it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#define MAX_BATCH 1024
#define DEFAULT_BATCH 64
/* Largest UDP payload over IPv4: nothing is truncated. */
#define BUF_SIZE 65507
#define SOCK_BUF (16 * 1024 * 1024)

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const char usage[] =
"Usage: cg-sockrelay --in GROUP:PORT --in-iface IF --out GROUP:PORT --out-iface IF\n"
"                    [--ttl N] [--batch N]\n"
"\n"
"Relays UDP datagrams from one multicast group to another through kernel\n"
"sockets: recvmmsg(2) batches in, sendmmsg(2) out (a benchmark reference).\n"
"  --in GROUP:PORT    group to join and port to bind\n"
"  --in-iface IF      interface to join on\n"
"  --out GROUP:PORT   destination group and port\n"
"  --out-iface IF     interface to send out of (its address is the source)\n"
"  --ttl N            TTL of what it sends, 1..255 (default 8)\n"
"  --batch N          datagrams per call, 1..1024 (default 64)\n"
"Stops on SIGTERM or SIGINT and prints {\"received\", \"sent\", \"send_errors\"}.\n";

static int
parse_addr(const char *opt, const char *s, struct sockaddr_in *sa)
{
	char host[INET_ADDRSTRLEN];
	const char *colon = strrchr(s, ':');
	char *end;
	unsigned long port;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (colon != NULL && (size_t)(colon - s) < sizeof(host)) {
		memcpy(host, s, colon - s);
		host[colon - s] = '\0';
		port = strtoul(colon + 1, &end, 10);
		if (inet_pton(AF_INET, host, &sa->sin_addr) == 1 && *end == '\0' &&
		    end != colon + 1 && port >= 1 && port <= 65535 &&
		    IN_MULTICAST(ntohl(sa->sin_addr.s_addr))) {
			sa->sin_port = htons((uint16_t)port);
			return 0;
		}
	}
	fprintf(stderr, "cg-sockrelay: %s: '%s' is not GROUP:PORT with a multicast group\n",
		opt, s);
	return -1;
}

static int
ifindex_of(const char *opt, const char *name)
{
	unsigned int i = if_nametoindex(name);

	if (i == 0)
		fprintf(stderr, "cg-sockrelay: %s: interface '%s': %s\n", opt, name,
			strerror(errno));
	return (int)i;
}

static int
check(int rc, const char *what)
{
	if (rc != 0)
		fprintf(stderr, "cg-sockrelay: %s: %s\n", what, strerror(errno));
	return rc;
}

static int
open_in(const struct sockaddr_in *g, int ifindex)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), on = 1, off = 0, buf = SOCK_BUF;
	struct ip_mreqn mr = { .imr_multiaddr = g->sin_addr, .imr_ifindex = ifindex };

	if (fd < 0)
		return check(-1, "socket");
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (check(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)), "SO_REUSEADDR") ||
	    check(setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, &off, sizeof(off)),
		  "IP_MULTICAST_ALL") ||
	    check(bind(fd, (const struct sockaddr *)g, sizeof(*g)), "bind --in") ||
	    check(setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)),
		  "IP_ADD_MEMBERSHIP")) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
open_out(const struct sockaddr_in *g, int ifindex, int ttl)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), off = 0, buf = SOCK_BUF;
	struct ip_mreqn mr = { .imr_ifindex = ifindex };

	if (fd < 0)
		return check(-1, "socket");
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	if (check(setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr)),
		  "IP_MULTICAST_IF") ||
	    check(setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)),
		  "IP_MULTICAST_TTL") ||
	    check(setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &off, sizeof(off)),
		  "IP_MULTICAST_LOOP") ||
	    check(connect(fd, (const struct sockaddr *)g, sizeof(*g)), "connect --out")) {
		close(fd);
		return -1;
	}
	return fd;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "in", required_argument, NULL, 'i' },
		{ "in-iface", required_argument, NULL, 'I' },
		{ "out", required_argument, NULL, 'o' },
		{ "out-iface", required_argument, NULL, 'O' },
		{ "ttl", required_argument, NULL, 't' },
		{ "batch", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sockaddr_in in = { 0 }, out = { 0 };
	int in_if = 0, out_if = 0, ttl = 8, batch = DEFAULT_BATCH, c, fin, fout;
	unsigned long long received = 0, sent = 0, errors = 0;
	struct mmsghdr *rx, *tx;
	struct iovec *iov, *oiov;
	struct sigaction sa = { .sa_handler = on_signal };
	uint8_t *bufs;
	char *end;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'i': if (parse_addr("--in", optarg, &in) != 0) return 2; break;
		case 'o': if (parse_addr("--out", optarg, &out) != 0) return 2; break;
		case 'I': if ((in_if = ifindex_of("--in-iface", optarg)) == 0) return 2; break;
		case 'O': if ((out_if = ifindex_of("--out-iface", optarg)) == 0) return 2; break;
		case 't':
		case 'b': {
			long v = strtol(optarg, &end, 10);
			long max = c == 't' ? 255 : MAX_BATCH;

			if (*end != '\0' || end == optarg || v < 1 || v > max) {
				fprintf(stderr, "cg-sockrelay: %s: '%s' is not 1..%ld\n",
					c == 't' ? "--ttl" : "--batch", optarg, max);
				return 2;
			}
			*(c == 't' ? &ttl : &batch) = (int)v;
			break;
		}
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (optind < argc || in.sin_port == 0 || out.sin_port == 0 || in_if == 0 || out_if == 0) {
		fprintf(stderr, "cg-sockrelay: --in, --in-iface, --out and --out-iface are "
			"required\n%s", usage);
		return 2;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	fin = open_in(&in, in_if);
	fout = fin < 0 ? -1 : open_out(&out, out_if, ttl);
	bufs = malloc((size_t)batch * BUF_SIZE);
	rx = calloc(batch, sizeof(*rx));
	tx = calloc(batch, sizeof(*tx));
	iov = calloc(batch, sizeof(*iov));
	oiov = calloc(batch, sizeof(*oiov));
	if (fout < 0 || !bufs || !rx || !tx || !iov || !oiov) {
		if (fout >= 0)
			fprintf(stderr, "cg-sockrelay: out of memory\n");
		return 1;
	}
	for (int i = 0; i < batch; i++) {
		iov[i].iov_base = bufs + (size_t)i * BUF_SIZE;
		iov[i].iov_len = BUF_SIZE;
		rx[i].msg_hdr.msg_iov = &iov[i];
		rx[i].msg_hdr.msg_iovlen = 1;
		oiov[i].iov_base = iov[i].iov_base;
		tx[i].msg_hdr.msg_iov = &oiov[i];
		tx[i].msg_hdr.msg_iovlen = 1;
	}
	fprintf(stderr, "cg-sockrelay: ready\n");
	while (!stop) {
		/* Blocks for the first datagram, then takes what is queued. */
		int n = recvmmsg(fin, rx, batch, MSG_WAITFORONE, NULL), done = 0;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("cg-sockrelay: recvmmsg");
			return 1;
		}
		received += n;
		for (int i = 0; i < n; i++)
			oiov[i].iov_len = rx[i].msg_len;
		while (done < n) {
			int r = sendmmsg(fout, tx + done, n - done, 0);

			if (r < 0) {
				/* No room in the device queue: drop the rest, as a relay does. */
				errors++;
				break;
			}
			done += r;
		}
		sent += done;
	}
	printf("{\"received\": %llu, \"sent\": %llu, \"send_errors\": %llu}\n", received, sent,
	       errors);
	close(fin);
	close(fout);
	return 0;
}
