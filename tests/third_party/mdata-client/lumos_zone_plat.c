/*
 * SPDX-License-Identifier: MPL-2.0
 * mdata-client's platform layer for a zone on lumos: plat/sunos.c's non-global-zone path
 * (socket lookup, non-blocking connect, active reset) with plat/linux.c's epoll reads.
 */

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "dynstr.h"
#include "plat.h"
#include "plat/unix_common.h"

static const char *socket_paths[] = {
	"/.zonecontrol/metadata.sock",
	"/native/.zonecontrol/metadata.sock",
	"/var/run/smartdc/metadata.sock",
	NULL
};

struct mdata_plat {
	int mpl_epoll;
	int mpl_conn;
};

int
plat_send(mdata_plat_t *mpl, string_t *data)
{
	size_t len = dynstr_len(data);
	size_t nwritten = 0;

	while (nwritten < len) {
		ssize_t n = write(mpl->mpl_conn, dynstr_cstr(data) + nwritten,
		    len - nwritten);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return (-1);
		}
		nwritten += (size_t)n;
	}
	return (0);
}

int
plat_recv(mdata_plat_t *mpl, string_t *data, time_t timeout_ms)
{
	for (;;) {
		struct epoll_event event;
		int n = epoll_wait(mpl->mpl_epoll, &event, 1, (int)timeout_ms);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		if (n == 0) {
			fprintf(stderr, "plat_recv timeout\n");
			return (-1);
		}
		if (event.events & EPOLLIN) {
			char buf[2];
			ssize_t sz = read(mpl->mpl_conn, buf, 1);

			if (sz == 0)
				return (-1);
			if (sz > 0) {
				if (buf[0] == '\n')
					return (0);
				buf[1] = '\0';
				dynstr_append(data, buf);
				continue;
			}
			if (errno != EAGAIN && errno != EINTR)
				return (-1);
		}
		if (event.events & (EPOLLERR | EPOLLHUP))
			return (-1);
	}
}

void
plat_fini(mdata_plat_t *mpl)
{
	if (mpl != NULL) {
		if (mpl->mpl_epoll != -1)
			(void) close(mpl->mpl_epoll);
		if (mpl->mpl_conn != -1)
			(void) close(mpl->mpl_conn);
		free(mpl);
	}
}

int
plat_is_interactive(void)
{
	return (unix_is_interactive());
}

int
plat_init(mdata_plat_t **mplout, const char **errmsg, int *permfail)
{
	mdata_plat_t *mpl;
	const char *path = NULL;
	struct sockaddr_un ua;
	struct epoll_event event;
	string_t *str;
	int i;

	if ((mpl = calloc(1, sizeof (*mpl))) == NULL) {
		*errmsg = "Could not allocate memory.";
		*permfail = 1;
		return (-1);
	}
	mpl->mpl_epoll = -1;
	mpl->mpl_conn = -1;
	for (i = 0; socket_paths[i] != NULL; i++) {
		struct stat st;

		if (lstat(socket_paths[i], &st) == 0 && S_ISSOCK(st.st_mode)) {
			path = socket_paths[i];
			break;
		}
		if (geteuid() != 0 && (errno == EPERM || errno == EACCES))
			*permfail = 1;
	}
	if (path == NULL) {
		*errmsg = "Could not find metadata socket.";
		goto bail;
	}
	if ((mpl->mpl_conn = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		*errmsg = "Could not open metadata socket.";
		*permfail = 1;
		goto bail;
	}
	memset(&ua, 0, sizeof (ua));
	ua.sun_family = AF_UNIX;
	strncpy(ua.sun_path, path, sizeof (ua.sun_path) - 1);
	if (connect(mpl->mpl_conn, (struct sockaddr *)&ua, sizeof (ua)) == -1) {
		*errmsg = "Could not connect metadata socket.";
		goto bail;
	}
	if ((mpl->mpl_epoll = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		*errmsg = "Could not create epoll descriptor.";
		*permfail = 1;
		goto bail;
	}
	memset(&event, 0, sizeof (event));
	event.events = EPOLLIN | EPOLLERR | EPOLLHUP;
	event.data.fd = mpl->mpl_conn;
	if (epoll_ctl(mpl->mpl_epoll, EPOLL_CTL_ADD, mpl->mpl_conn, &event) == -1) {
		*errmsg = "Could not add to epoll.";
		*permfail = 1;
		goto bail;
	}

	/* The active reset, as plat/sunos.c does it on the zone's socket too. */
	str = dynstr_new();
	dynstr_append(str, "\n");
	if (plat_send(mpl, str) != 0) {
		dynstr_free(str);
		*errmsg = "Could not do active reset.";
		goto bail;
	}
	dynstr_reset(str);
	if (plat_recv(mpl, str, 2000) != 0 ||
	    strcmp(dynstr_cstr(str), "invalid command") != 0) {
		dynstr_free(str);
		*errmsg = "Could not do active reset.";
		goto bail;
	}
	dynstr_free(str);
	*mplout = mpl;
	return (0);

bail:
	plat_fini(mpl);
	return (-1);
}
