/* Terminal restore on exit and on signals. Everything reachable from a signal handler here is
   async-signal-safe: write(2), tcsetattr(3), alarm(2), sigaction(2), raise(3), _exit(2). */
#include "cncursesw.h"
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <term.h>

#define RESTORE_MAX 512

static char restore_seq[RESTORE_MAX];
static volatile sig_atomic_t restore_len = 0;
static volatile sig_atomic_t restore_armed = 0;
static volatile sig_atomic_t restore_mouse = 0;
static int restore_out_fd = -1;
static int restore_in_fd = -1;
static struct termios saved_modes;
static volatile sig_atomic_t saved_modes_valid = 0;
static int atexit_registered = 0;

static const char mouse_off[] = "\033[?1000l\033[?1002l\033[?1003l\033[?1006l";

/* Appends a terminfo string without its padding specifications ($<..>). */
static void append_cap(const char *cap) {
    if (cap == NULL || cap == (char *)-1) return;
    size_t len = (size_t)restore_len;
    for (const char *p = cap; *p != '\0' && len < RESTORE_MAX - 1; p++) {
        if (p[0] == '$' && p[1] == '<') {
            const char *end = strchr(p, '>');
            if (end != NULL) { p = end; continue; }
        }
        restore_seq[len++] = *p;
    }
    restore_len = (sig_atomic_t)len;
}

static void write_all(int fd, const char *buf, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0) { if (errno == EINTR) continue; return; }
        buf += w; n -= (size_t)w;
    }
}

void unitop_restore_now(void) {
    if (!restore_armed) return;
    restore_armed = 0;
    if (restore_out_fd >= 0) {
        if (restore_mouse) write_all(restore_out_fd, mouse_off, sizeof(mouse_off) - 1);
        write_all(restore_out_fd, restore_seq, (size_t)restore_len);
    }
    if (saved_modes_valid && restore_in_fd >= 0) tcsetattr(restore_in_fd, TCSANOW, &saved_modes);
}

static void restore_at_exit(void) { unitop_restore_now(); }

void unitop_restore_save_modes(int in_fd) {
    restore_in_fd = in_fd;
    if (tcgetattr(in_fd, &saved_modes) == 0) saved_modes_valid = 1;
}

void unitop_restore_arm(int out_fd) {
    restore_out_fd = out_fd;
    restore_len = 0;
    /* Same order as endwin: attributes and colours off, cursor visible, keypad off, main screen. */
    append_cap(tigetstr("sgr0"));
    append_cap(tigetstr("op"));
    append_cap(tigetstr("cnorm"));
    append_cap(tigetstr("rmkx"));
    append_cap(tigetstr("rmcup"));
    restore_armed = 1;
    if (!atexit_registered) { atexit(restore_at_exit); atexit_registered = 1; }
}

void unitop_restore_set_mouse(int on) { restore_mouse = on ? 1 : 0; }
void unitop_restore_disarm(void) { restore_armed = 0; }

/* ---- Signals ---- */

static int wake_fd = -1;
static unsigned grace = 3;
static volatile sig_atomic_t pending_termination = 0;
static const int fatal_signals[] = { SIGSEGV, SIGABRT, SIGBUS, SIGILL, SIGFPE };
static const int term_signals[] = { SIGTERM, SIGHUP, SIGINT };
#define NFATAL (sizeof(fatal_signals) / sizeof(fatal_signals[0]))
#define NTERM (sizeof(term_signals) / sizeof(term_signals[0]))
static struct sigaction old_fatal[NFATAL];
static struct sigaction old_term[NTERM];
static struct sigaction old_winch, old_alarm;
static int installed = 0;

static void wake(char c) {
    if (wake_fd >= 0) { int saved = errno; ssize_t r = write(wake_fd, &c, 1); (void)r; errno = saved; }
}

static void on_fatal(int sig, siginfo_t *info, void *ctx) {
    (void)ctx;
    unitop_restore_now();
    /* Hand the signal to whoever had it before (the Swift backtracer or the default action). */
    for (size_t i = 0; i < NFATAL; i++) {
        if (fatal_signals[i] == sig) { sigaction(sig, &old_fatal[i], NULL); break; }
    }
    /* A hardware fault re-occurs when the handler returns; anything else is raised again. */
    if (info == NULL || info->si_code <= 0 || sig == SIGABRT) raise(sig);
}

static void on_termination(int sig) {
    if (pending_termination) {
        /* Second request: leave now. */
        unitop_restore_now();
        _exit(128 + sig);
    }
    pending_termination = sig;
    if (grace > 0) alarm(grace);
    wake('T');
}

static void on_alarm(int sig) {
    (void)sig;
    if (pending_termination) {
        unitop_restore_now();
        _exit(128 + pending_termination);
    }
}

static void on_winch(int sig) {
    (void)sig;
    wake('W');
}

void unitop_signals_install(int fd, unsigned grace_seconds) {
    wake_fd = fd;
    grace = grace_seconds;
    if (installed) return;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_sigaction = on_fatal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    for (size_t i = 0; i < NFATAL; i++) sigaction(fatal_signals[i], &sa, &old_fatal[i]);

    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_termination;
    sa.sa_flags = SA_RESTART;
    for (size_t i = 0; i < NTERM; i++) sigaction(term_signals[i], &sa, &old_term[i]);

    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, &old_alarm);
    sa.sa_handler = on_winch;
    sigaction(SIGWINCH, &sa, &old_winch);
    /* A parent may have started us with these blocked (the mask survives exec): unblock them. */
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < NFATAL; i++) sigaddset(&set, fatal_signals[i]);
    for (size_t i = 0; i < NTERM; i++) sigaddset(&set, term_signals[i]);
    sigaddset(&set, SIGALRM);
    sigaddset(&set, SIGWINCH);
    sigaddset(&set, SIGTSTP);
    sigaddset(&set, SIGCONT);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    installed = 1;
}

void unitop_signals_uninstall(void) {
    if (!installed) return;
    for (size_t i = 0; i < NFATAL; i++) sigaction(fatal_signals[i], &old_fatal[i], NULL);
    for (size_t i = 0; i < NTERM; i++) sigaction(term_signals[i], &old_term[i], NULL);
    sigaction(SIGALRM, &old_alarm, NULL);
    sigaction(SIGWINCH, &old_winch, NULL);
    wake_fd = -1;
    installed = 0;
}

int unitop_signals_pending_termination(void) { return (int)pending_termination; }
void unitop_signals_cancel_fallback(void) { alarm(0); }

void unitop_suspend_self(void) {
    struct sigaction dfl, old;
    memset(&dfl, 0, sizeof(dfl));
    sigemptyset(&dfl.sa_mask);
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGTSTP, &dfl, &old);
    sigset_t set, oldmask;
    sigemptyset(&set);
    sigaddset(&set, SIGTSTP);
    pthread_sigmask(SIG_UNBLOCK, &set, &oldmask);
    raise(SIGTSTP);
    pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
    sigaction(SIGTSTP, &old, NULL);
}
