import LogqIndex
import LogqParsers
import Testing

@Suite struct LineDecoderTests {
    let decoder = LineDecoder(source: "tcp")
    let now: Int64 = 1_795_424_400_000_000_000

    @Test func jsonObjectMapsWellKnownKeysAndKeepsTheRest() {
        let line =
            #"{"@timestamp":"2026-11-23T09:41:07.123Z","level":"ERROR","service":"order","host":"order-01","message":"Payment failed","status":500,"elapsed":1.5,"ok":true,"log":{"file":{"path":"/var/log/a.log"}},"tags":["a","b"],"none":null}"#
        let record = decoder.decode(line, receivedAt: now)
        #expect(record.timestamp == 1_795_426_867_123_000_000)
        #expect(record.level == .error)
        #expect(record.service == "order")
        #expect(record.host == "order-01")
        #expect(record.source == "tcp")
        #expect(record.message == "Payment failed")
        #expect(record.field(named: "status") == .int(500))
        #expect(record.field(named: "elapsed") == .double(1.5))
        #expect(record.field(named: "ok") == .string("true"))
        #expect(record.field(named: "log.file.path") == .string("/var/log/a.log"))
        #expect(record.field(named: "tags") == .string(#"["a","b"]"#))
        #expect(record.field(named: "none") == nil)
    }

    @Test(arguments: [
        (#"{"time":1795426867,"msg":"a"}"#, Int64(1_795_426_867_000_000_000)),
        (#"{"timestamp":1795426867123,"msg":"a"}"#, Int64(1_795_426_867_123_000_000)),
        (#"{"ts":"2026-11-23 17:41:07,5+08:00","msg":"a"}"#, Int64(1_795_426_867_500_000_000)),
        (#"{"time":"not a time","msg":"a"}"#, Int64(1_795_424_400_000_000_000)),
    ])
    func timestampsInTheirCommonSpellings(line: String, expected: Int64) {
        #expect(decoder.decode(line, receivedAt: now).timestamp == expected)
    }

    @Test func plainLineIsTheMessageAtReceiveTime() {
        let record = decoder.decode("2026-11-23 09:41:07 ERROR something broke\r\n", receivedAt: now)
        #expect(record.message == "2026-11-23 09:41:07 ERROR something broke")
        #expect(record.timestamp == now)
        #expect(record.fields.isEmpty)
    }

    @Test func brokenJSONIsKeptAndMarked() {
        let record = decoder.decode(#"{"level":"error","message":"#, receivedAt: now)
        #expect(record.message == #"{"level":"error","message":"#)
        #expect(record.field(named: "_parse_error") != nil)
    }

    @Test func invalidUTF8IsReplacedAndMarked() {
        let bytes: [UInt8] = Array("bad ".utf8) + [0xFF, 0xFE] + Array(" bytes".utf8)
        let record = bytes.withUnsafeBytes { decoder.decode($0, receivedAt: now) }
        #expect(record.message == "bad \u{FFFD}\u{FFFD} bytes")
        #expect(record.field(named: "_invalid_utf8") == .int(1))
    }

    @Test func overlongLineIsCutAndMarkedWithItsSize() {
        let line = String(repeating: "é", count: StorageLimits.maxMessageBytes)  // two bytes each
        let record = decoder.decode(line, receivedAt: now)
        #expect(record.message.utf8.count <= StorageLimits.maxMessageBytes)
        #expect(record.message.utf8.count >= StorageLimits.maxMessageBytes - 1)
        #expect(record.field(named: "_truncated") == .int(Int64(2 * StorageLimits.maxMessageBytes)))
        #expect(record.field(named: "_invalid_utf8") == nil)
    }

    @Test func levelSpellings() {
        #expect(LogLevel(parsing: "WARNING") == .warn)
        #expect(LogLevel(parsing: "err") == .error)
        #expect(LogLevel(parsing: "CRITICAL") == .fatal)
        #expect(LogLevel(parsing: "verbose") == .debug)
        #expect(LogLevel(parsing: "W") == .warn)
        #expect(LogLevel(parsing: "Informational") == .info)
        #expect(LogLevel(parsing: "nonsense") == nil)
        #expect(LogLevel(syslogSeverity: 3) == .error)
    }
}
