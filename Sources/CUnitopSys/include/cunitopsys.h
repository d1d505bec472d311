#ifndef CUNITOPSYS_H
#define CUNITOPSYS_H
#include <sys/types.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/file.h>
#include <signal.h>
#include <poll.h>

/* Process and socket helpers for the QEMU backend and its per-instance monitor.
 * Everything between fork() and exec() is async-signal-safe. */

/** Child process setup flags for unitop_spawn. */
enum {
    /** Child gets SIGKILL when the spawning thread's process dies (prctl PR_SET_PDEATHSIG). */
    UNITOP_SPAWN_PDEATHSIG = 1,
    /** Child runs in its own session, detached by a double fork (never becomes our zombie). */
    UNITOP_SPAWN_DETACH = 2,
};

/**
 * Starts `file` (PATH searched when it has no '/') with `argv` (NULL-terminated).
 * The child's stdin/stdout/stderr become in_fd/out_fd/err_fd (-1: /dev/null) and, when
 * extra_fd >= 0, fd 3 becomes extra_fd; every other descriptor is closed, signal
 * dispositions and mask are reset. On success returns 0 and stores the process id in
 * *pid_out (for DETACH: the detached grandchild's pid). On failure returns an errno value
 * (exec failures in the child are reported too).
 */
int unitop_spawn(const char *file, char *const argv[], int in_fd, int out_fd, int err_fd,
                 int extra_fd, int flags, pid_t *pid_out);

/** Most descriptors a process started by unitop_spawn_supervised gets (0 .. n-1). */
#define UNITOP_SPAWN_MAX_FDS 8
/** Most arguments of the supervisor in unitop_spawn_supervised. */
#define UNITOP_SPAWN_MAX_ARGS 63

/**
 * Starts a detached supervisor together with the child it supervises, without waiting for the
 * supervisor program to load: a double fork (new session, umask 077, never our zombie) makes
 * the supervisor-to-be, which first starts `child_file` as its own child (PR_SET_PDEATHSIG
 * SIGKILL, so it dies with the supervisor) and then replaces itself with `sup_file`.
 * `sup_argv[pid_arg]` is replaced by the child's pid in decimal. Descriptor i of each program
 * is `*_fds[i]` (3 <= nfds <= UNITOP_SPAWN_MAX_FDS; -1: /dev/null for 0-2, closed above);
 * everything else is closed and signals are reset. The child's descriptor i is non-blocking
 * when bit i of child_nonblock_mask is set, blocking otherwise (the supervisor's: blocking).
 * Returns 0 with both pids, or an errno value with *failed_out = 1 when the child could not be
 * started (its exec failed) or 2 when the supervisor could not.
 */
int unitop_spawn_supervised(const char *sup_file, char *const sup_argv[], const int *sup_fds, int sup_nfds,
                            int pid_arg, const char *child_file, char *const child_argv[],
                            const int *child_fds, int child_nfds, int child_nonblock_mask,
                            pid_t *sup_pid_out, pid_t *child_pid_out, int *failed_out);

/** A listening Unix stream socket at path (mode 0600, unlinking a stale file first).
 *  Returns the fd (non-blocking, close-on-exec) or -errno (-ENAMETOOLONG for long paths). */
int unitop_unix_listen(const char *path, int backlog);

/** Connects a Unix stream socket to path (blocking, close-on-exec). Returns fd or -errno. */
int unitop_unix_connect(const char *path);

/** The longest Unix socket path accepted (sun_path size minus the terminating NUL). */
int unitop_unix_path_max(void);

/** Blocks SIGCHLD, SIGTERM, SIGINT and SIGHUP in this thread and returns a signalfd for them
 *  (non-blocking, close-on-exec), or -errno. SIGPIPE is ignored. */
int unitop_signalfd_open(void);

/** Reads one pending signal number from a signalfd; 0 when none, -errno on error. */
int unitop_signalfd_read(int fd);

/** Ignores SIGPIPE (writes to closed sockets return EPIPE instead). */
void unitop_ignore_sigpipe(void);

/** A connected AF_UNIX stream socket pair, both ends close-on-exec, with 1 MiB buffers
 *  where the system allows. Returns 0 or -errno. */
int unitop_socketpair(int sv[2]);

/** Accepts a connection (non-blocking, close-on-exec). Returns fd or -errno. */
int unitop_accept(int listen_fd);

/** A pidfd for pid (readable once the process has exited), close-on-exec; -errno on failure. */
int unitop_pidfd_open(pid_t pid);

/** A pipe with both ends close-on-exec; 0 or -errno. */
int unitop_pipe(int fds[2]);

/** A pipe for a guest's serial output (both ends close-on-exec) with a 1 MiB buffer where the
 *  system allows. Unlike a socket, a pipe packs one-byte writes into its pages, so the buffer
 *  holds that many bytes however QEMU writes them. 0 or -errno. */
int unitop_serial_pipe(int fds[2]);

/** The git commit this binary was built from ("unknown" unless the build passed UNITOP_COMMIT). */
const char *unitop_build_commit(void);

#endif
