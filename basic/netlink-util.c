// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "cleanup.h"
#include "netlink-util.h"

int netlink_open_dump(int protocol, unsigned timeout_sec)
{
	const struct timeval tv = { .tv_sec = timeout_sec };
	_cleanup_close_ int fd = -EBADF;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return -errno;
	return TAKE_FD(fd);
}

ssize_t netlink_recv(int fd, void *buf, size_t size, int flags, bool *ret_from_kernel,
		     bool *ret_truncated)
{
	struct sockaddr_nl from = {};
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	struct msghdr mh = {
		.msg_name = &from,
		.msg_namelen = sizeof(from),
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	ssize_t n = recvmsg(fd, &mh, flags);

	if (n < 0)
		return -errno;
	/* The sender's port, not nlmsg_pid: notifications carry the port of whoever asked. */
	*ret_from_kernel = mh.msg_namelen >= sizeof(from) && from.nl_pid == 0;
	*ret_truncated = mh.msg_flags & MSG_TRUNC;
	return n;
}

int netlink_dump(int fd, const struct nlmsghdr *req, void *buf, size_t size, netlink_dump_fn fn,
		 void *userdata)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	bool interrupted = false;

	if (sendto(fd, req, req->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	for (;;) {
		/* Written by netlink_recv() on success; gcc's LTO cannot see it. */
		bool from_kernel = false, truncated = false;
		ssize_t n = netlink_recv(fd, buf, size, 0, &from_kernel, &truncated);

		if (n == -EINTR)
			continue;
		if (n < 0)
			return n == -EAGAIN ? -ETIMEDOUT : (int)n;
		if (truncated)
			return -EMSGSIZE;
		if (!from_kernel)
			continue;
		for (const struct nlmsghdr *h = buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			int r;

			if (h->nlmsg_seq != req->nlmsg_seq)
				continue;
			if (h->nlmsg_flags & NLM_F_DUMP_INTR)
				interrupted = true;
			if (h->nlmsg_type == NLMSG_DONE)
				return interrupted ? 1 : 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *err = NLMSG_DATA(h);

				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*err)))
					return -EPROTO;
				return err->error < 0 ? err->error : -EPROTO;
			}
			r = fn(h, userdata);
			if (r < 0)
				return r;
		}
		/* Bytes left over that do not make a message: the answer is malformed. */
		if (n > 0)
			return -EPROTO;
	}
}
