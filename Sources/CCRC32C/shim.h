#pragma once
// CRC-32C with the processor's own instruction (SSE 4.2's crc32, the same polynomial as the software
// tables in Index/Codec/CRC32C.swift), which Swift has no spelling for. Header-only: compiler builtins and
// cpuid, nothing to link or install. Elsewhere than x86-64 the software tables are used.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>

static inline int ccrc32c_hardware_available(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    return (ecx & bit_SSE4_2) != 0;
}

// `crc` is the running value (already inverted at the start, as the caller does for the tables).
__attribute__((target("sse4.2")))
static inline uint32_t ccrc32c_hardware_update(uint32_t crc, const uint8_t *bytes, size_t count) {
    uint64_t wide = crc;
    while (count >= 8) {
        uint64_t word;
        memcpy(&word, bytes, 8);
        wide = __builtin_ia32_crc32di(wide, word);
        bytes += 8;
        count -= 8;
    }
    uint32_t narrow = (uint32_t)wide;
    while (count > 0) {
        narrow = __builtin_ia32_crc32qi(narrow, *bytes);
        bytes += 1;
        count -= 1;
    }
    return narrow;
}
#else
static inline int ccrc32c_hardware_available(void) { return 0; }
static inline uint32_t ccrc32c_hardware_update(uint32_t crc, const uint8_t *bytes, size_t count) {
    (void)bytes;
    (void)count;
    return crc;
}
#endif
