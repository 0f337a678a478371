import CPCRE2

/// A PCRE2 pattern compiled once (JIT where the platform has it) and shared between threads.
///
/// Matching needs scratch space: each worker makes its own `PCRE2Matcher`, so the hot path allocates
/// nothing per line.
public final class PCRE2Regex: @unchecked Sendable {
    // The compiled code is read-only after init; PCRE2 documents it as safe to share between threads.
    let code: OpaquePointer
    let pattern: String
    public let usesJIT: Bool
    /// Named groups and their numbers, from PCRE2's name table.
    public let groupNames: [(name: String, number: Int)]

    public struct Options: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let caseInsensitive = Options(rawValue: UInt32(PCRE2_CASELESS))
        public static let multiline = Options(rawValue: UInt32(PCRE2_MULTILINE))
        public static let dotMatchesNewline = Options(rawValue: UInt32(PCRE2_DOTALL))
    }

    /// `utf: false` matches bytes: three times faster under JIT for patterns that need no Unicode
    /// classes, and what the pattern packs use (captures are byte ranges either way).
    public init(_ pattern: String, options: Options = [], utf: Bool = true) throws(PatternError) {
        self.pattern = pattern
        var errorCode: Int32 = 0
        var errorOffset: Int = 0
        let compiled = pattern.withCString { text in
            pcre2_compile_8(
                UnsafeRawPointer(text).assumingMemoryBound(to: UInt8.self), pattern.utf8.count,
                options.rawValue | (utf ? UInt32(PCRE2_UTF) | UInt32(PCRE2_MATCH_INVALID_UTF) : 0), &errorCode,
                &errorOffset, nil)
        }
        guard let compiled else {
            throw PatternError(message: PCRE2Regex.message(for: errorCode), offset: errorOffset)
        }
        code = compiled
        usesJIT = pcre2_jit_compile_8(compiled, UInt32(PCRE2_JIT_COMPLETE)) == 0
        groupNames = PCRE2Regex.readNameTable(compiled)
    }

    deinit { pcre2_code_free_8(code) }

    static func message(for errorCode: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let length = pcre2_get_error_message_8(errorCode, &buffer, buffer.count)
        return length > 0 ? String(decoding: buffer[..<Int(length)], as: UTF8.self) : "PCRE2 error \(errorCode)"
    }

    /// The name table holds, per entry, a 2-byte big-endian group number followed by the NUL-padded name.
    private static func readNameTable(_ code: OpaquePointer) -> [(name: String, number: Int)] {
        var count: UInt32 = 0
        var entrySize: UInt32 = 0
        var table: UnsafePointer<UInt8>?
        pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_NAMECOUNT), &count)
        pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_NAMEENTRYSIZE), &entrySize)
        pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_NAMETABLE), &table)
        guard let table, count > 0 else { return [] }
        return (0..<Int(count)).map { index in
            let entry = table + index * Int(entrySize)
            let number = Int(entry[0]) << 8 | Int(entry[1])
            let name = String(cString: UnsafeRawPointer(entry + 2).assumingMemoryBound(to: CChar.self))
            return (name, number)
        }
    }
}

/// A pattern PCRE2 refused, with its reason and the byte offset in the pattern.
public struct PatternError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public let offset: Int
    public var description: String { "invalid regular expression at offset \(offset): \(message)" }
}
