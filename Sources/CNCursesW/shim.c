#define _GNU_SOURCE 1
#include "cncursesw.h"
#include <sys/ioctl.h>
#include <unistd.h>
#include <fcntl.h>
#include <term.h>

int unitop_curses_lines(void) { return LINES; }
int unitop_curses_cols(void) { return COLS; }
WINDOW *unitop_curses_stdscr(void) { return stdscr; }
WINDOW *unitop_curses_curscr(void) { return curscr; }
int unitop_curses_colors(void) { return COLORS; }
int unitop_terminfo_colors(void) { return tigetnum("colors"); }
int unitop_has_cursor_addressing(void) {
    const char *cup = tigetstr("cup");
    return cup != NULL && cup != (char *)-1 && cup[0] != '\0';
}
int unitop_curses_color_pairs(void) { return COLOR_PAIRS; }
attr_t unitop_attr_normal(void) { return A_NORMAL; }
attr_t unitop_attr_bold(void) { return A_BOLD; }
attr_t unitop_attr_underline(void) { return A_UNDERLINE; }
attr_t unitop_attr_reverse(void) { return A_REVERSE; }
attr_t unitop_attr_dim(void) { return A_DIM; }
attr_t unitop_attr_italic(void) { return A_ITALIC; }
int unitop_key_f(int n) { return KEY_F(n); }
chtype unitop_acs(char c) { return NCURSES_ACS(c); }
int unitop_wcwidth(wchar_t c) { return wcwidth(c); }
int unitop_wake_pipe(int fds[2]) { return pipe2(fds, O_CLOEXEC | O_NONBLOCK); }
const char *unitop_codeset(void) { return nl_langinfo(CODESET); }

int unitop_put_run(WINDOW *win, int y, int x, const wchar_t *text, int n, attr_t attrs, int pair) {
    if (win == NULL) return ERR;
    wattr_set(win, attrs, (short)pair, NULL);
    int rc = mvwaddnwstr(win, y, x, text, n);
    wattr_set(win, A_NORMAL, 0, NULL);
    return rc;
}

int unitop_put_cell(WINDOW *win, int y, int x, const wchar_t *text, int n, attr_t attrs, int pair) {
    if (win == NULL || n <= 0) return ERR;
    wchar_t buf[CCHARW_MAX + 1];
    int m = n < CCHARW_MAX ? n : CCHARW_MAX;
    for (int i = 0; i < m; i++) buf[i] = text[i];
    buf[m] = L'\0';
    cchar_t cc;
    if (setcchar(&cc, buf, attrs, (short)pair, NULL) != OK) return ERR;
    return mvwadd_wch(win, y, x, &cc);
}

int unitop_init_pair(int pair, int fg, int bg) { return init_pair((short)pair, (short)fg, (short)bg); }

int unitop_get_wch(int *out) {
    wint_t w = 0;
    int rc = wget_wch(stdscr, &w);
    *out = (int)w;
    return rc;
}

int unitop_mouse_enable(int enable) {
    if (enable) {
        mmask_t want = BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED;
        mouseinterval(0);
        return mousemask(want, NULL) == 0 ? -1 : 0;
    }
    mousemask(0, NULL);
    return 0;
}

int unitop_getmouse(int *x, int *y, int *kind) {
    MEVENT ev;
    if (getmouse(&ev) != OK) return -1;
    *x = ev.x;
    *y = ev.y;
    if (ev.bstate & BUTTON4_PRESSED) *kind = 2;
    else if (ev.bstate & BUTTON5_PRESSED) *kind = 3;
    else if (ev.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)) *kind = 1;
    else *kind = 0;
    return 0;
}

int unitop_window_size(int fd, int *rows, int *cols) {
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0 || ws.ws_col == 0) return -1;
    *rows = ws.ws_row;
    *cols = ws.ws_col;
    return 0;
}
