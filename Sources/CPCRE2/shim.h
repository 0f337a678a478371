#pragma once
// pcre2.h needs the code unit width before it is included, and a system-library target takes no -D.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

// Cast macros are not imported into Swift.
static inline PCRE2_SIZE cpcre2_unset(void) { return PCRE2_UNSET; }
static inline PCRE2_SIZE cpcre2_zero_terminated(void) { return PCRE2_ZERO_TERMINATED; }
