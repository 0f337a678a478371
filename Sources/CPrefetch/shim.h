#pragma once
// A cache prefetch hint, which Swift has no spelling for: the index builder's hash table is far larger
// than the caches, and a hint (unlike a load) does not hold up the instructions after it while it misses.
static inline void cprefetch_for_write(const void *address) { __builtin_prefetch(address, 1, 3); }
