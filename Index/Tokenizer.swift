#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits messages into the lower-cased words that the inverted index stores and bare query words match.
///
/// A word is a run of ASCII letters, digits and `_`, or of any non-ASCII bytes (so UTF-8 words in other
/// scripts stay whole). Only ASCII is lower-cased. Words longer than `StorageLimits.maxTokenBytes` are
/// cut there, the same way at ingest and at query time.
public enum Tokenizer {
    /// Whether `byte` belongs to a word (splitting at any other byte is what makes a word).
    @inline(__always)
    public static func isWordByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"):
            return true
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return true
        case 0x80...: return true
        default: return false
        }
    }

    @inline(__always)
    static func lower(_ byte: UInt8) -> UInt8 {
        (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) ? byte | 0x20 : byte
    }

    /// Calls `body` with each word's lower-cased bytes, in order.
    public static func forEachToken(in text: String, _ body: (ArraySlice<UInt8>) -> Void) {
        var text = text
        text.withUTF8 { forEachToken(in: UnsafeRawBufferPointer($0), body) }
    }

    /// The same over UTF-8 bytes, so a query can check messages in a decompressed block without Strings.
    public static func forEachToken(in utf8: UnsafeRawBufferPointer, _ body: (ArraySlice<UInt8>) -> Void) {
        var token: [UInt8] = []
        token.reserveCapacity(32)
        for byte in utf8 {
            if isWordByte(byte) {
                if token.count < StorageLimits.maxTokenBytes { token.append(lower(byte)) }
            } else if !token.isEmpty {
                body(token[...])
                token.removeAll(keepingCapacity: true)
            }
        }
        if !token.isEmpty { body(token[...]) }
    }

    /// Whether `token` (a word as `forEachToken` gives it: lower-cased ASCII) occurs in `bytes` as a
    /// substring, ASCII compared case-insensitively. Every message holding the word holds this substring,
    /// so a buffer of messages without it holds no match: one pass over a whole stream can rule out all
    /// of its messages before any is split into words.
    public static func mayHoldWord(_ token: [UInt8], in bytes: UnsafeRawBufferPointer) -> Bool {
        guard !token.isEmpty else { return true }
        guard let base = bytes.baseAddress, bytes.count >= token.count else { return false }
        // Candidates are found by `memchr` (vectorised in the C library) for the token's rarest byte, in
        // both cases when it is a letter, and checked in place: a byte-by-byte loop was most of the time of
        // a lookup for a word that no record holds.
        let anchor = token.indices.min { Self.commonness(token[$0]) < Self.commonness(token[$1]) }!
        let lowerAnchor = token[anchor]
        let upperAnchor =
            lowerAnchor >= UInt8(ascii: "a") && lowerAnchor <= UInt8(ascii: "z") ? lowerAnchor - 0x20 : lowerAnchor
        return token.withUnsafeBufferPointer { token in
            for wanted in lowerAnchor == upperAnchor ? [lowerAnchor] : [lowerAnchor, upperAnchor] {
                var from = anchor
                let end = bytes.count - (token.count - anchor - 1)
                while from < end {
                    guard let found = memchr(base + from, Int32(wanted), end - from) else { break }
                    let at = UnsafeRawPointer(found) - base
                    let start = at - anchor
                    var matched = 0
                    while matched < token.count && lower(bytes[start + matched]) == token[matched] { matched += 1 }
                    if matched == token.count { return true }
                    from = at + 1
                }
            }
            return false
        }
    }

    /// A rough rank of how often a lower-cased byte occurs in log text (higher: more often), to pick the
    /// byte a search looks for first.
    private static func commonness(_ byte: UInt8) -> Int {
        switch byte {
        case UInt8(ascii: "e"), UInt8(ascii: "t"), UInt8(ascii: "a"), UInt8(ascii: "o"), UInt8(ascii: "i"),
            UInt8(ascii: "n"), UInt8(ascii: "s"), UInt8(ascii: "r"):
            return 4
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "l"), UInt8(ascii: "c"), UInt8(ascii: "d"),
            UInt8(ascii: "u"), UInt8(ascii: "h"), UInt8(ascii: "m"), UInt8(ascii: "p"):
            return 3
        case UInt8(ascii: "f"), UInt8(ascii: "g"), UInt8(ascii: "b"), UInt8(ascii: "y"), UInt8(ascii: "w"),
            UInt8(ascii: "_"):
            return 2
        default:
            return 1
        }
    }

    public static func tokens(in text: String) -> [String] {
        var result: [String] = []
        forEachToken(in: text) { result.append(String(decoding: $0, as: UTF8.self)) }
        return result
    }

    /// True when `words` (already tokens) occur one after another in `text`'s words: how a bare word or a
    /// phrase matches a message. Knuth–Morris–Pratt over words, so no word is copied.
    public static func containsSequence(_ words: [String], in text: String) -> Bool {
        var text = text
        return text.withUTF8 { PhraseMatcher(words).matches(UnsafeRawBufferPointer($0)) }
    }
}

/// A phrase prepared once (its words' bytes and their KMP failure table) for many messages.
public struct PhraseMatcher: Sendable {
    let wanted: [[UInt8]]
    let failure: [Int]

    public init(_ words: [String]) {
        let wanted = words.map { Array($0.utf8) }
        // failure[i]: the length of the longest proper prefix of wanted[0...i] that is also its suffix.
        var failure = [Int](repeating: 0, count: wanted.count)
        var length = 0
        for index in 1..<max(1, wanted.count) {
            while length > 0 && wanted[index] != wanted[length] { length = failure[length - 1] }
            if wanted[index] == wanted[length] { length += 1 }
            failure[index] = length
        }
        self.wanted = wanted
        self.failure = failure
    }

    /// True when the words occur one after another among `utf8`'s words. Each word is compared in place,
    /// lower-cased byte by byte, rather than copied out first (the copy was a third of a phrase count).
    public func matches(_ utf8: UnsafeRawBufferPointer) -> Bool {
        guard !wanted.isEmpty else { return true }
        var matched = 0
        var index = 0
        let count = utf8.count
        while index < count {
            while index < count && !Tokenizer.isWordByte(utf8[index]) { index += 1 }
            guard index < count else { break }
            let start = index
            while index < count && Tokenizer.isWordByte(utf8[index]) { index += 1 }
            // Words are cut at the same length as at ingest.
            let token = UnsafeRawBufferPointer(rebasing: utf8[start..<min(index, start + StorageLimits.maxTokenBytes)])
            while matched > 0 && !Self.equalsLowered(token, wanted[matched]) { matched = failure[matched - 1] }
            if Self.equalsLowered(token, wanted[matched]) { matched += 1 }
            if matched == wanted.count { return true }
        }
        return false
    }

    @inline(__always)
    private static func equalsLowered(_ token: UnsafeRawBufferPointer, _ word: [UInt8]) -> Bool {
        guard token.count == word.count else { return false }
        for index in 0..<token.count where Tokenizer.lower(token[index]) != word[index] { return false }
        return true
    }
}
