#include "cunitopsys.h"

/* The commit a build was made from: `make release` (and the .deb) pass it with
   -Xcc -DUNITOP_COMMIT='"<sha>"'; a plain `swift build` does not know it. */
#ifndef UNITOP_COMMIT
#define UNITOP_COMMIT "unknown"
#endif

const char *unitop_build_commit(void) { return UNITOP_COMMIT; }
