#ifndef CNCURSESW_H
#define CNCURSESW_H
/* SwiftPM drops pkg-config -D flags: wide-character curses needs this before the include. */
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include <locale.h>
#include <langinfo.h>
#include <wchar.h>
#include <stdio.h>
#include <ncursesw/curses.h>

/* ---- Macros and globals reached through functions (Swift cannot import them safely). ---- */
int unitop_curses_lines(void);
int unitop_curses_cols(void);
WINDOW *unitop_curses_stdscr(void);
WINDOW *unitop_curses_curscr(void);
int unitop_curses_colors(void);
/* The terminfo `colors` number (valid before start_color; -1/-2 when absent). */
int unitop_terminfo_colors(void);
/* 1 when the current terminal can address the cursor (terminfo `cup`), else 0 (e.g. TERM=dumb). */
int unitop_has_cursor_addressing(void);
int unitop_curses_color_pairs(void);
attr_t unitop_attr_normal(void);
attr_t unitop_attr_bold(void);
attr_t unitop_attr_underline(void);
attr_t unitop_attr_reverse(void);
attr_t unitop_attr_dim(void);
attr_t unitop_attr_italic(void);
int unitop_key_f(int n);
/* ACS line-drawing character for a VT100 ACS letter (e.g. 'q' horizontal line). */
chtype unitop_acs(char c);
/* Columns a character takes (libc wcwidth; -1 for non-printable). */
int unitop_wcwidth(wchar_t c);
/* A close-on-exec, non-blocking pipe (for waking the input thread); returns 0 on success. */
int unitop_wake_pipe(int fds[2]);
/* The locale's codeset name (nl_langinfo(CODESET)), after setlocale. */
const char *unitop_codeset(void);

/* ---- Drawing ---- */
/* Writes `n` wide characters at (y, x) with attributes and colour pair (no wrapping beyond the window). */
int unitop_put_run(WINDOW *win, int y, int x, const wchar_t *text, int n, attr_t attrs, int pair);
/* Writes one (possibly wide) character with up to 4 combining marks at (y, x) via setcchar + wadd_wch. */
int unitop_put_cell(WINDOW *win, int y, int x, const wchar_t *text, int n, attr_t attrs, int pair);
/* init_pair with int arguments. */
int unitop_init_pair(int pair, int fg, int bg);

/* ---- Input ---- */
/* get_wch on stdscr: returns OK (a character in *out), KEY_CODE_YES (a key code in *out) or ERR. */
int unitop_get_wch(int *out);
/* Mouse: enable press + wheel (1) or disable (0). Returns 0 on success. */
int unitop_mouse_enable(int enable);
/* Reads the pending mouse event: kind 1 press, 2 wheel up, 3 wheel down, 0 other. Returns 0 on success. */
int unitop_getmouse(int *x, int *y, int *kind);
/* The terminal size of `fd` via TIOCGWINSZ; returns 0 on success. */
int unitop_window_size(int fd, int *rows, int *cols);

/* ---- Terminal restore (async-signal-safe parts live in C) ---- */
/* Saves the tty modes of `in_fd` (call before newterm). */
void unitop_restore_save_modes(int in_fd);
/* Captures the restore sequences (rmcup, cnorm, sgr0, rmkx, op) from terminfo (call after newterm)
   and arms restore-on-exit for `out_fd`. */
void unitop_restore_arm(int out_fd);
/* Marks mouse reporting on/off (adds the mouse-off sequence to the restore sequence). */
void unitop_restore_set_mouse(int on);
/* Disarms: the terminal has been restored by endwin. */
void unitop_restore_disarm(void);
/* Writes the restore sequences and resets the tty modes if armed (async-signal-safe). */
void unitop_restore_now(void);
/* Installs signal handlers: fatal signals restore then re-raise; SIGTERM/SIGHUP/SIGINT set the pending
   termination signal, write 'T' to `wake_fd` and arm a fallback alarm of `grace_seconds` (restore and
   _exit(128+sig)); a second one exits at once. SIGWINCH writes 'W' to `wake_fd`. */
void unitop_signals_install(int wake_fd, unsigned grace_seconds);
/* Restores the signal dispositions saved by unitop_signals_install. */
void unitop_signals_uninstall(void);
/* Stops the process with SIGTSTP (default action, unblocked on this thread so it takes effect before
   returning); returns after SIGCONT. Restores the previous disposition and mask. */
void unitop_suspend_self(void);
/* The termination signal received (0 if none) */
int unitop_signals_pending_termination(void);
/* Cancels the fallback alarm (the app is quitting by itself). */
void unitop_signals_cancel_fallback(void);
#endif
