#ifndef CNCURSESW_H
#define CNCURSESW_H
/* SwiftPM drops pkg-config -D flags: wide-character curses needs this before the include. */
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include <locale.h>
#include <wchar.h>
#include <ncursesw/curses.h>

/* Macros and globals reached through functions (Swift cannot import them safely). */
int unitop_curses_lines(void);
int unitop_curses_cols(void);
WINDOW *unitop_curses_stdscr(void);
attr_t unitop_attr_bold(void);
attr_t unitop_attr_underline(void);
attr_t unitop_attr_reverse(void);
attr_t unitop_attr_dim(void);
attr_t unitop_attr_italic(void);
int unitop_key_f(int n);
#endif
