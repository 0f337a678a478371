import LogqIngest
import Testing

@Suite struct SyslogFramerTests {
    /// Feeds `stream` cut at `cuts` and returns the messages with their reported lengths.
    static func frame(
        _ stream: [UInt8], cuts: [Int] = [], framer: SyslogFramer = SyslogFramer()
    ) throws -> [(
        String, Int
    )] {
        var framer = framer
        var messages: [(String, Int)] = []
        var start = 0
        for end in cuts + [stream.count] where end >= start {
            try Array(stream[start..<end]).withUnsafeBytes { chunk in
                try framer.feed(chunk) { messages.append((String(decoding: $0, as: UTF8.self), $1)) }
            }
            start = end
        }
        framer.finish { messages.append((String(decoding: $0, as: UTF8.self), $1)) }
        return messages
    }

    static func octet(_ message: String) -> String { "\(message.utf8.count) \(message)" }

    @Test func octetCountedAndLineFramedMixInOneStream() throws {
        // rsyslog and syslog-ng count a trailing LF inside the frame; it stays with the message here and
        // the line decoder drops it.
        let first = "<34>1 2026-11-23T09:41:07Z host app - - - one\n"
        let stream = Array((Self.octet(first) + "<13>Nov 23 09:41:07 host app: two\n" + Self.octet("<13>three")).utf8)
        let expected = [first, "<13>Nov 23 09:41:07 host app: two", "<13>three"]
        #expect(try Self.frame(stream).map(\.0) == expected)
        // The same at every cut point: frames never depend on how the bytes arrive.
        for cut in 1..<stream.count {
            #expect(try Self.frame(stream, cuts: [cut]).map(\.0) == expected, "cut at \(cut)")
        }
    }

    @Test func linesThatStartWithDigitsAreNotFrameLengths() throws {
        let stream = Array("2026-11-23 09:41:07 plain\n12 apples\n".utf8)
        #expect(try Self.frame(stream).map(\.0) == ["2026-11-23 09:41:07 plain", "12 apples"])
    }

    @Test func overLongFrameIsCutAndTheNextOneStillFramed() throws {
        let framer = SyslogFramer(maxMessageBytes: 8)
        let stream = Array((Self.octet("<13>0123456789abcdef") + Self.octet("<13>ok")).utf8)
        let messages = try Self.frame(stream, cuts: [5, 11, 20], framer: framer)
        #expect(messages.map(\.0) == ["<13>0123", "<13>ok"])
        #expect(messages.map(\.1) == [20, 6])
    }

    @Test func absurdLengthClosesTheConnection() {
        var framer = SyslogFramer()
        #expect(throws: FramingError.frameTooLarge(declared: 999_999_999, limit: 64 << 20)) {
            try Array("999999999 <13>x".utf8).withUnsafeBytes { try framer.feed($0) { _, _ in } }
        }
    }

    @Test func halfWrittenFrameIsKeptAndMarkedAsCut() throws {
        let messages = try Self.frame(Array("40 <13>only part of it".utf8))
        #expect(messages.map(\.0) == ["<13>only part of it"])
        #expect(messages[0].1 == 40)
    }
}
