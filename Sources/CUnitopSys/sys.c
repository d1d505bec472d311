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

/* In the final child: set up and exec; on failure report errno through report_fd.
 * Descriptor i of the new program becomes fds[i] (i < nfds <= UNITOP_SPAWN_MAX_FDS); a
 * negative entry means /dev/null for 0-2 and "not open" above. Descriptor i is non-blocking
 * when bit i of nonblock_mask is set, blocking otherwise. */
static void exec_child(const char *file, char *const argv[], const int *fds, int nfds, int nonblock_mask,
                       int flags, pid_t parent, int report_fd) {
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
        int src[UNITOP_SPAWN_MAX_FDS];
        int null_fd = -1;
        if (nfds < 3 || nfds > UNITOP_SPAWN_MAX_FDS) { err = EINVAL; goto fail; }
        for (int i = 0; i < nfds; i++) {
            src[i] = fds[i];
            if (src[i] < 0) {
                if (i >= 3) continue;
                if (null_fd < 0) { null_fd = open("/dev/null", O_RDWR); if (null_fd < 0) { err = errno; goto fail; } }
                src[i] = null_fd;
            }
            /* Above every target number, so no dup2 below clobbers a source. */
            int d = fcntl(src[i], F_DUPFD, 16);
            if (d < 0) { err = errno; goto fail; }
            src[i] = d;
        }
        for (int i = 0; i < nfds; i++) {
            if (src[i] < 0) { close(i); continue; }
            if (dup2(src[i], i) < 0) { err = errno; goto fail; }
            int fl = fcntl(i, F_GETFL);
            if (fl >= 0) fcntl(i, F_SETFL, (nonblock_mask & (1 << i)) ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK));
        }
        /* close everything from nfds except report_fd */
        for (int fd = nfds; fd < report_fd; fd++) close(fd);
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

/* The classic four descriptors of unitop_spawn as an fd map (fd 3 only when extra_fd >= 0). */
static int std_fds(int out[4], int in_fd, int out_fd, int err_fd, int extra_fd) {
    out[0] = in_fd; out[1] = out_fd; out[2] = err_fd; out[3] = extra_fd;
    return extra_fd >= 0 ? 4 : 3;
}

int unitop_spawn(const char *file, char *const argv[], int in_fd, int out_fd, int err_fd,
                 int extra_fd, int flags, pid_t *pid_out) {
    int pfd[2];
    int fds[4];
    int nfds = std_fds(fds, in_fd, out_fd, err_fd, extra_fd);
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
            exec_child(file, argv, fds, nfds, 0, flags & ~UNITOP_SPAWN_PDEATHSIG, getppid(), pfd[1]);
        }
        exec_child(file, argv, fds, nfds, 0, flags, parent, pfd[1]);
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

/* Messages from the detached side of unitop_spawn_supervised to the caller. */
enum { MSG_SUPERVISOR_PID = 1, MSG_CHILD_PID, MSG_CHILD_FAILED, MSG_SUPERVISOR_FAILED };

static void send_msg(int fd, int kind, int value) {
    int m[2] = { kind, value };
    write_all(fd, m, sizeof m);
}

/* Decimal text of a non-negative number into buf (async-signal-safe). */
static void format_pid(char buf[16], pid_t pid) {
    char tmp[16];
    int n = 0;
    unsigned long v = (unsigned long)pid;
    do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v && n < 15);
    for (int i = 0; i < n; i++) buf[i] = tmp[n - 1 - i];
    buf[n] = 0;
}

/* In the detached process: start the child, then become the supervisor. Never returns. */
static void run_supervised(const char *sup_file, char *const sup_argv[], const int *sup_fds, int sup_nfds,
                           int pid_arg, const char *child_file, char *const child_argv[],
                           const int *child_fds, int child_nfds, int child_nonblock_mask, int report_fd) {
    char *argv[UNITOP_SPAWN_MAX_ARGS + 1];
    char pid_text[16];
    int argc = 0;
    while (sup_argv[argc]) {
        if (argc >= UNITOP_SPAWN_MAX_ARGS) { send_msg(report_fd, MSG_SUPERVISOR_FAILED, E2BIG); _exit(127); }
        argv[argc] = sup_argv[argc];
        argc++;
    }
    argv[argc] = NULL;
    if (pid_arg < 0 || pid_arg >= argc) { send_msg(report_fd, MSG_SUPERVISOR_FAILED, EINVAL); _exit(127); }

    int cpfd[2];
    if (pipe2(cpfd, O_CLOEXEC) != 0) { send_msg(report_fd, MSG_SUPERVISOR_FAILED, errno); _exit(127); }
    pid_t self = getpid();
    pid_t child = fork();
    if (child < 0) { send_msg(report_fd, MSG_CHILD_FAILED, errno); _exit(127); }
    if (child == 0) {
        close(cpfd[0]);
        exec_child(child_file, child_argv, child_fds, child_nfds, child_nonblock_mask, UNITOP_SPAWN_PDEATHSIG, self, cpfd[1]);
    }
    close(cpfd[1]);
    int e = 0;
    int n = read_all(cpfd[0], &e, sizeof e);
    close(cpfd[0]);
    if (n == sizeof e && e != 0) {
        int st;
        while (waitpid(child, &st, 0) < 0 && errno == EINTR) {}
        send_msg(report_fd, MSG_CHILD_FAILED, e);
        _exit(127);
    }
    send_msg(report_fd, MSG_CHILD_PID, (int)child);
    format_pid(pid_text, child);
    argv[pid_arg] = pid_text;
    /* exec_child reports a failure as a bare errno: send the kind first, so the caller reads
     * it with the errno that may follow (end of file right after it: the exec worked). */
    int kind = MSG_SUPERVISOR_FAILED;
    write_all(report_fd, &kind, sizeof kind);
    exec_child(sup_file, argv, sup_fds, sup_nfds, 0, 0, 0, report_fd);
}

int unitop_spawn_supervised(const char *sup_file, char *const sup_argv[], const int *sup_fds, int sup_nfds,
                            int pid_arg, const char *child_file, char *const child_argv[],
                            const int *child_fds, int child_nfds, int child_nonblock_mask,
                            pid_t *sup_pid_out, pid_t *child_pid_out, int *failed_out) {
    *failed_out = 0;
    if (sup_nfds < 3 || sup_nfds > UNITOP_SPAWN_MAX_FDS || child_nfds < 3 || child_nfds > UNITOP_SPAWN_MAX_FDS)
        return EINVAL;
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) != 0) return errno;
    pid_t pid = fork();
    if (pid < 0) { int e = errno; close(pfd[0]); close(pfd[1]); return e; }
    if (pid == 0) {
        close(pfd[0]);
        umask(077);
        if (setsid() < 0) { send_msg(pfd[1], MSG_SUPERVISOR_FAILED, errno); _exit(127); }
        pid_t g = fork();
        if (g < 0) { send_msg(pfd[1], MSG_SUPERVISOR_FAILED, errno); _exit(127); }
        if (g > 0) _exit(0);
        /* Every message comes from this process, in order. */
        send_msg(pfd[1], MSG_SUPERVISOR_PID, (int)getpid());
        run_supervised(sup_file, sup_argv, sup_fds, sup_nfds, pid_arg, child_file, child_argv,
                       child_fds, child_nfds, child_nonblock_mask, pfd[1]);
    }
    close(pfd[1]);
    int st;
    pid_t sup = 0, child = 0;
    int result = ECHILD;
    for (;;) {
        int kind = 0;
        if (read_all(pfd[0], &kind, sizeof kind) != sizeof kind) break;
        int value = 0;
        int n = read_all(pfd[0], &value, sizeof value);
        if (kind == MSG_SUPERVISOR_PID && n == sizeof value) { sup = value; continue; }
        if (kind == MSG_CHILD_PID && n == sizeof value) { child = value; continue; }
        if (kind == MSG_CHILD_FAILED) { *failed_out = 1; result = n == sizeof value ? value : ECHILD; break; }
        if (kind == MSG_SUPERVISOR_FAILED) {
            /* n == 0: EOF right after the marker, i.e. the supervisor's exec succeeded. */
            if (n == 0 && sup > 0 && child > 0) { result = 0; break; }
            *failed_out = 2;
            result = n == sizeof value ? value : ECHILD;
            break;
        }
    }
    close(pfd[0]);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    if (result != 0) return result;
    *sup_pid_out = sup;
    *child_pid_out = child;
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
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return -errno;
    /* Room for a few seconds of UART output, so a monitor that is briefly not scheduled
     * never makes the guest wait on its serial port (best effort: capped by wmem_max). */
    int size = 1 << 20;
    for (int i = 0; i < 2; i++) {
        (void)setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
        (void)setsockopt(sv[i], SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    }
    return 0;
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

int unitop_serial_pipe(int fds[2]) {
    if (pipe2(fds, O_CLOEXEC) != 0) return -errno;
    /* Best effort: capped by /proc/sys/fs/pipe-max-size (1 MiB by default). */
    (void)fcntl(fds[0], F_SETPIPE_SZ, 1 << 20);
    return 0;
}
