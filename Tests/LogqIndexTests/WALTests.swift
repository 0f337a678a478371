import Foundation
import Testing

@testable import LogqIndex

@Suite struct WALTests {
    @Test func replaysEveryFrameInOrder() throws {
        let directory = temporaryDirectory()
        var factory = RecordFactory(seed: 5)
        let first = factory.records(count: 300)
        let second = factory.records(count: 7)
        let writer = try WALWriter(directory: directory, generation: 3)
        try writer.append(first)
        try writer.append(second)
        try writer.sync()
        let replay = try WALReader.replay(path: writer.path)
        #expect(replay.records == first + second)
        #expect(replay.discardedTailBytes == 0)
        #expect(replay.corruptionOffset == nil)
        #expect(WALWriter.generation(ofFileName: WALWriter.fileName(generation: 3)) == 3)
    }

    @Test func tornTailIsDiscardedNotReported() throws {
        let directory = temporaryDirectory()
        var factory = RecordFactory(seed: 6)
        let writer = try WALWriter(directory: directory, generation: 1)
        let kept = factory.records(count: 10)
        try writer.append(kept)
        try writer.append(factory.records(count: 10))
        try writer.sync()
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: writer.path)))
        let fullLength = bytes.count
        // Every cut inside the second frame loses only that frame.
        let firstFrameEnd = try bytes.withUnsafeBytes { raw in
            var reader = ByteReader(raw, offset: WALFormat.headerSize)
            let length = Int(try reader.readUInt32())
            return WALFormat.headerSize + WALFormat.frameHeaderSize + length
        }
        for cut in stride(from: firstFrameEnd + 1, to: fullLength, by: 37) {
            let replay = try bytes.prefix(cut).withUnsafeBytes { try WALReader.replay(bytes: $0, path: "w") }
            #expect(replay.records == kept)
            #expect(replay.corruptionOffset == nil)
        }
        bytes[firstFrameEnd - 3] ^= 1
        let replay = try bytes.withUnsafeBytes { try WALReader.replay(bytes: $0, path: "w") }
        #expect(replay.records.isEmpty)
        #expect(replay.corruptionOffset == WALFormat.headerSize)
    }
}
