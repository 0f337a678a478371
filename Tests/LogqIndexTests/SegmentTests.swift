import Foundation
import Testing

@testable import LogqIndex

@Suite struct SegmentTests {
    @Test(arguments: [CompressionCodec.zstd, .lz4, .none])
    func roundTripsEveryRecordAndTerm(codec: CompressionCodec) throws {
        var factory = RecordFactory(seed: 7)
        let records = factory.records(count: 5000)
        let path = temporaryDirectory() + "/a.seg"
        let summary = try SegmentWriter(options: .init(recordsPerBlock: 512, codec: codec)).write(records, to: path)
        #expect(summary.recordCount == 5000)

        let reader = try SegmentReader(path: path)
        #expect(reader.recordCount == records.count)
        #expect(reader.blocks.count == 10)
        #expect(reader.minTime == records.first!.timestamp)
        #expect(reader.maxTime == records.last!.timestamp)
        let decoded = try (0..<reader.blocks.count).flatMap { try reader.readBlock($0) }
        #expect(decoded == records)

        // Every term's postings equal a naive scan of the records.
        var expected: [Term: [UInt32]] = [:]
        for (ordinal, record) in records.enumerated() {
            record.forEachTerm { term in
                if expected[term]?.last != UInt32(ordinal) { expected[term, default: []].append(UInt32(ordinal)) }
            }
        }
        // Terms of two records or more have exact posting lists; a term of one record is in its block's filter.
        #expect(reader.termCount == expected.filter { $0.value.count > 1 }.count)
        for (term, postings) in expected {
            if postings.count > 1 {
                #expect(try reader.lookup(term) == .postings(postings), "\(term)")
            } else {
                guard case .blocks(let blocks) = try reader.lookup(term) else {
                    Issue.record("\(term) should be a rare term")
                    continue
                }
                #expect(blocks.contains(reader.blockIndex(containing: Int(postings[0]))), "\(term)")
                #expect(blocks.count <= 5, "\(term): the filters should rule out most blocks")
            }
        }
        #expect(try reader.postings(for: Term(field: "service", value: "absent")).isEmpty)
        var falsePositives = 0
        for probe in 0..<1000 {
            if case .blocks(let blocks) = try reader.lookup(Term.word("absent\(probe)")) {
                falsePositives += blocks.count
            }
        }
        #expect(falsePositives < 1000 * reader.blocks.count / 20, "Bloom filters far above their 1% design rate")
        try reader.verifyInvariants()
    }

    @Test func blockIndexFindsTheBlockOfEveryOrdinal() throws {
        var factory = RecordFactory(seed: 3)
        let path = temporaryDirectory() + "/b.seg"
        try SegmentWriter(options: .init(recordsPerBlock: 100)).write(factory.records(count: 1050), to: path)
        let reader = try SegmentReader(path: path)
        for ordinal in [0, 99, 100, 101, 999, 1000, 1049] {
            let block = reader.blocks[reader.blockIndex(containing: ordinal)]
            #expect(block.firstOrdinal <= ordinal && ordinal < block.firstOrdinal + block.recordCount)
        }
    }

    @Test func keepsUnusualContentExactly() throws {
        let records = [
            LogRecord(timestamp: -5, message: ""),
            LogRecord(
                timestamp: 0, level: .fatal, message: "tab\there\nnew line \u{0} nul", fields: [Field("", .string(""))]),
            LogRecord(
                timestamp: Int64.max, service: String(repeating: "s", count: 300), message: "big",
                fields: [
                    Field("n", .int(Int64.min)), Field("d", .double(-0.0)),
                    Field("long", .string(String(repeating: "x", count: 100_000))),
                ]),
        ]
        let path = temporaryDirectory() + "/c.seg"
        try SegmentWriter().write(records, to: path)
        let reader = try SegmentReader(path: path)
        #expect(try reader.readBlock(0) == records)
        // Over-long values are stored but not indexed.
        #expect(try reader.postings(for: Term(field: "service", value: String(repeating: "s", count: 300))).isEmpty)
    }
}

@Suite struct TokenizerTests {
    /// Only ASCII letters are lower-cased: "ÜBER" keeps its Ü.
    @Test func wordsAreLowerCasedRunsOfLettersDigitsAndUnderscore() {
        #expect(
            Tokenizer.tokens(in: "Order created orderId=O22633920 item=flat_white ÜBER-straße")
                == [
                    "order", "created", "orderid", "o22633920", "item", "flat_white", "Über", "straße",
                ])
    }

    @Test(arguments: [
        (["lock", "wait"], "Lock wait timeout", true),
        (["wait", "lock"], "Lock wait timeout", false),
        (["a", "a", "b"], "a a a b", true),
        (["a", "b", "a", "c"], "a b a b a c", true),
        (["timeout"], "timeouts happen", false),
        (["x"], "", false),
    ])
    func sequencesMatchWholeWordsInOrder(words: [String], text: String, expected: Bool) {
        #expect(Tokenizer.containsSequence(words, in: text) == expected)
    }

    /// The stream-wide check may say yes when no word matches, never no when one does: every word of
    /// random texts is found, at every place a text can start in a buffer, in either case.
    @Test func aStreamHoldingAWordAlwaysMayHoldIt() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcXYZ09_ =/.-\nÜé".utf8)
        for _ in 0..<300 {
            let length = Int.random(in: 0...60, using: &generator)
            let text = (0..<length).map { _ in alphabet.randomElement(using: &generator)! }
            let padded = Array("Prefix ".utf8) + text
            padded.withUnsafeBytes { bytes in
                Tokenizer.forEachToken(in: bytes) { token in
                    #expect(Tokenizer.mayHoldWord(Array(token), in: bytes))
                }
            }
        }
        let message = Array("Payment FAILED orderId=O71684790".utf8)
        message.withUnsafeBytes { bytes in
            #expect(Tokenizer.mayHoldWord(Array("failed".utf8), in: bytes))
            #expect(Tokenizer.mayHoldWord(Array("o71684790".utf8), in: bytes))
            #expect(!Tokenizer.mayHoldWord(Array("zqxjvbwkpl".utf8), in: bytes))
            #expect(!Tokenizer.mayHoldWord(Array("o716847900".utf8), in: bytes))
        }
        #expect(!Tokenizer.mayHoldWord(Array("a".utf8), in: UnsafeRawBufferPointer(start: nil, count: 0)))
    }
}

/// Terms that always occur together share one stored posting list (format 3), across index chunks too.
@Suite struct SharedPostingListTests {
    @Test func termsWithTheSameRecordsAreFoundThroughOneStoredList() throws {
        // Each pair of words `kN` and `zN` is held by the same two records; `k…` and `z…` sort far apart,
        // so most `z` terms refer to a list in an earlier chunk.
        let records = (0..<6000).map { index in
            LogRecord(
                timestamp: 1_795_424_400_000_000_000 + Int64(index), level: .info, service: "order", host: "h",
                source: "s", message: "k\(index / 2)x z\(index / 2)x common", fields: [])
        }
        let path = temporaryDirectory() + "/shared.seg"
        try SegmentWriter().write(records, to: path)
        let reader = try SegmentReader(path: path)
        for pair in stride(from: 0, to: 3000, by: 7) {
            let expected = [UInt32(pair * 2), UInt32(pair * 2 + 1)]
            #expect(try reader.lookup(.word("k\(pair)x")) == .postings(expected))
            #expect(try reader.lookup(.word("z\(pair)x")) == .postings(expected))
        }
        #expect(try reader.postings(for: .word("common")).count == 6000)
        #expect(try reader.postings(for: Term(field: "service", value: "order")).count == 6000)
        try reader.verifyInvariants()
    }
}
