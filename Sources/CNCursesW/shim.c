#include "cncursesw.h"

int unitop_curses_lines(void) { return LINES; }
int unitop_curses_cols(void) { return COLS; }
WINDOW *unitop_curses_stdscr(void) { return stdscr; }
attr_t unitop_attr_bold(void) { return A_BOLD; }
attr_t unitop_attr_underline(void) { return A_UNDERLINE; }
attr_t unitop_attr_reverse(void) { return A_REVERSE; }
attr_t unitop_attr_dim(void) { return A_DIM; }
attr_t unitop_attr_italic(void) { return A_ITALIC; }
int unitop_key_f(int n) { return KEY_F(n); }
