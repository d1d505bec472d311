#ifndef CUNITOPSYS_H
#define CUNITOPSYS_H
#include <sys/types.h>

/* Placeholder; the QEMU backend adds its process helpers here. */
int unitop_sys_version(void);
#endif
