#pragma once
// zlib, for the Beats (Lumberjack v2) protocol's compressed frames.
#include <zlib.h>

// inflateInit is a macro over inflateInit_, which Swift cannot import.
static inline int czlib_inflate_init(z_stream *stream) { return inflateInit(stream); }
static inline int czlib_deflate_init(z_stream *stream, int level) { return deflateInit(stream, level); }
