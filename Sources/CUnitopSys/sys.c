#define _GNU_SOURCE
#include "cunitopsys.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <stddef.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/stat.h>

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

static void reset_signals(void) {
    sigset_t set;
    sigemptyset(&set);
    sigprocmask(SIG_SETMASK, &set, NULL);
    for (int s = 1; s < NSIG; s++) {
        if (s == SIGKILL || s == SIGSTOP) continue;
        signal(s, SIG_DFL);
    }
}

static void write_all(int fd, const void *buf, size_t n) {
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) { if (errno == EINTR) continue; return; }
        p += w; n -= (size_t)w;
    }
}

static int read_all(int fd, void *buf, size_t n) {
    char *p = buf;
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0) { if (errno == EINTR) continue; return -1; }
        if (r == 0) break;
        got += (size_t)r;
    }
    return (int)got;
}

/* In the final child: set up and exec; on failure report errno through report_fd. */
static void exec_child(const char *file, char *const argv[], int in_fd, int out_fd, int err_fd,
                       int extra_fd, int flags, pid_t parent, int report_fd) {
    int err = 0;
    if (flags & UNITOP_SPAWN_PDEATHSIG) {
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) { err = errno; goto fail; }
        if (getppid() != parent) { err = ESRCH; goto fail; }
    }
    reset_signals();
    /* report_fd is close-on-exec; keep it above the range we close. */
    int rfd = fcntl(report_fd, F_DUPFD_CLOEXEC, 64);
    if (rfd < 0) { err = errno; goto fail; }
    report_fd = rfd;
    {
        int src[4] = {in_fd, out_fd, err_fd, extra_fd};
        int null_fd = -1;
        for (int i = 0; i < 4; i++) {
            if (src[i] < 0) {
                if (i == 3) continue;
                if (null_fd < 0) { null_fd = open("/dev/null", O_RDWR); if (null_fd < 0) { err = errno; goto fail; } }
                src[i] = null_fd;
            }
            int d = fcntl(src[i], F_DUPFD, 10);
            if (d < 0) { err = errno; goto fail; }
            src[i] = d;
        }
        for (int i = 0; i < 4; i++) {
            if (src[i] < 0) continue;
            if (dup2(src[i], i) < 0) { err = errno; goto fail; }
            int fl = fcntl(i, F_GETFL);
            if (fl >= 0) fcntl(i, F_SETFL, fl & ~O_NONBLOCK);
        }
        int keep = src[3] >= 0 ? 4 : 3;
        /* close everything from keep except report_fd */
        for (int fd = keep; fd < report_fd; fd++) close(fd);
        if (syscall(SYS_close_range, (unsigned)report_fd + 1, ~0U, 0) != 0) {
            for (int fd = report_fd + 1; fd < 4096; fd++) close(fd);
        }
    }
    execvp(file, argv);
    err = errno;
fail:
    write_all(report_fd, &err, sizeof err);
    _exit(127);
}

int unitop_spawn(const char *file, char *const argv[], int in_fd, int out_fd, int err_fd,
                 int extra_fd, int flags, pid_t *pid_out) {
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) != 0) return errno;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) { int e = errno; close(pfd[0]); close(pfd[1]); return e; }
    if (pid == 0) {
        close(pfd[0]);
        if (flags & UNITOP_SPAWN_DETACH) {
            if (setsid() < 0) { int e = errno; write_all(pfd[1], &e, sizeof e); _exit(127); }
            pid_t g = fork();
            if (g < 0) { int e = errno; write_all(pfd[1], &e, sizeof e); _exit(127); }
            if (g > 0) {
                /* Tell the parent the grandchild's pid (as a negative number, to tell it apart
                 * from an errno), then leave it to init. */
                int neg = -(int)g;
                write_all(pfd[1], &neg, sizeof neg);
                _exit(0);
            }
            exec_child(file, argv, in_fd, out_fd, err_fd, extra_fd, flags & ~UNITOP_SPAWN_PDEATHSIG,
                       getppid(), pfd[1]);
        }
        exec_child(file, argv, in_fd, out_fd, err_fd, extra_fd, flags, parent, pfd[1]);
    }
    close(pfd[1]);
    int result = 0;
    pid_t child = pid;
    if (flags & UNITOP_SPAWN_DETACH) {
        int v = 0;
        int n = read_all(pfd[0], &v, sizeof v);
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
        if (n != sizeof v) { close(pfd[0]); return ECHILD; }
        if (v > 0) { close(pfd[0]); return v; }
        child = -v;
    }
    int e = 0;
    int n = read_all(pfd[0], &e, sizeof e);
    close(pfd[0]);
    if (n == sizeof e && e != 0) {
        result = e;
        if (!(flags & UNITOP_SPAWN_DETACH)) {
            int st;
            while (waitpid(child, &st, 0) < 0 && errno == EINTR) {}
        }
        return result;
    }
    *pid_out = child;
    return 0;
}

int unitop_unix_path_max(void) {
    struct sockaddr_un a;
    return (int)sizeof(a.sun_path) - 1;
}

static int fill_addr(struct sockaddr_un *a, const char *path) {
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    size_t n = strlen(path);
    if (n >= sizeof(a->sun_path)) return -ENAMETOOLONG;
    memcpy(a->sun_path, path, n + 1);
    return 0;
}

int unitop_unix_listen(const char *path, int backlog) {
    struct sockaddr_un a;
    int r = fill_addr(&a, path);
    if (r < 0) return r;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -errno;
    unlink(path);
    mode_t old = umask(0177);
    r = bind(fd, (struct sockaddr *)&a, sizeof a);
    int e = errno;
    umask(old);
    if (r != 0) { close(fd); return -e; }
    chmod(path, 0600);
    if (listen(fd, backlog) != 0) { e = errno; close(fd); return -e; }
    return fd;
}

int unitop_unix_connect(const char *path) {
    struct sockaddr_un a;
    int r = fill_addr(&a, path);
    if (r < 0) return r;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    while (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (errno == EINTR) continue;
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

int unitop_signalfd_open(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) return -EINVAL;
    signal(SIGPIPE, SIG_IGN);
    int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int unitop_signalfd_read(int fd) {
    struct signalfd_siginfo si;
    ssize_t n = read(fd, &si, sizeof si);
    if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
    if (n != sizeof si) return 0;
    return (int)si.ssi_signo;
}

void unitop_ignore_sigpipe(void) { signal(SIGPIPE, SIG_IGN); }

int unitop_socketpair(int sv[2]) {
    return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0 ? 0 : -errno;
}

int unitop_accept(int listen_fd) {
    int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

int unitop_pidfd_open(pid_t pid) {
    long fd = syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0) return -errno;
    fcntl((int)fd, F_SETFD, FD_CLOEXEC);
    return (int)fd;
}

int unitop_pipe(int fds[2]) {
    return pipe2(fds, O_CLOEXEC) == 0 ? 0 : -errno;
}
