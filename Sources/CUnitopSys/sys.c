#include "cunitopsys.h"
int unitop_sys_version(void) { return 1; }
