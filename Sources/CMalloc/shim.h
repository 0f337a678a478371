#pragma once
// glibc's malloc tuning (mallopt), which Swift's Glibc module does not import: see Sources/logqd.
#include <malloc.h>

// M_ARENA_MAX is a macro; a function gives Swift its value whatever the C library defines.
static inline int cmalloc_limit_arenas(int count) { return mallopt(M_ARENA_MAX, count); }
