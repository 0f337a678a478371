import Foundation
import Testing

@testable import LogqIndex

/// Damaged files are reported as corruption naming the file, never decoded into wrong records or a crash.
@Suite struct CorruptionTests {
    func writeSegment() throws -> (path: String, bytes: [UInt8]) {
        var factory = RecordFactory(seed: 11)
        let path = temporaryDirectory() + "/s.seg"
        try SegmentWriter(options: .init(recordsPerBlock: 256)).write(factory.records(count: 1000), to: path)
        return (path, Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    func damaged(_ bytes: [UInt8], at path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    @Test func flippedByteInEveryRegionIsCaught() throws {
        let (path, original) = try writeSegment()
        // Flip one byte at many offsets: opening and reading every block must throw, or decode exactly.
        let reference = try SegmentReader(path: path)
        let expected = try (0..<reference.blocks.count).flatMap { try reference.readBlock($0) }
        for offset in stride(from: 0, to: original.count, by: max(1, original.count / 400)) {
            var bytes = original
            bytes[offset] ^= 0x5A
            try damaged(bytes, at: path)
            do {
                let reader = try SegmentReader(path: path)
                let decoded = try (0..<reader.blocks.count).flatMap { try reader.readBlock($0) }
                #expect(decoded == expected, "a flipped byte at \(offset) changed the records silently")
            } catch let error as StorageError {
                guard case .corruption(let file, _, _) = error else {
                    Issue.record("expected corruption, got \(error)")
                    continue
                }
                #expect(file == path)
            }
        }
    }

    @Test(arguments: [0, 10, 100, 97])
    func truncatedFileIsCorruption(keep: Int) throws {
        let (path, original) = try writeSegment()
        let length = keep == 97 ? original.count - 1 : keep
        try damaged(Array(original.prefix(length)), at: path)
        #expect(throws: StorageError.self) { try SegmentReader(path: path) }
    }

    @Test func corruptBlockNamesFileAndOffset() throws {
        let (path, original) = try writeSegment()
        let reader = try SegmentReader(path: path)
        var bytes = original
        bytes[reader.blocks[2].offset + 5] ^= 0xFF
        try damaged(bytes, at: path)
        let reopened = try SegmentReader(path: path)
        #expect(
            throws: StorageError.corruption(
                file: path, offset: reader.blocks[2].offset, reason: "block 2: checksum mismatch")
        ) {
            try reopened.readBlock(2)
        }
        #expect(try reopened.readBlock(1).count == 256)
        #expect(StorageError.corruption(file: path, offset: 1, reason: "x").description.contains(path))
    }
}
