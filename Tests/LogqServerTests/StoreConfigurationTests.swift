import Foundation
import LogqIndex
import Testing

@testable import LogqServer

@Suite struct StoreConfigurationTests {
    @Test func storeKeysAreReadAndMistakesNamed() throws {
        let directory = NSTemporaryDirectory() + "logq-store-config-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(ServerConfiguration().blockCacheMegabytes == 256)

        let good = directory + "/good.yaml"
        try "store:\n  flush_records: 1000\n  block_cache_mb: 512\n".write(
            toFile: good, atomically: true, encoding: .utf8)
        let configuration = try ServerConfiguration.load(file: good)
        #expect(configuration.flushRecordCount == 1000)
        #expect(configuration.blockCacheMegabytes == 512)

        let bad = directory + "/bad.yaml"
        try "store:\n  block_cache_mb: lots\n".write(toFile: bad, atomically: true, encoding: .utf8)
        #expect {
            _ = try ServerConfiguration.load(file: bad)
        } throws: { error in
            "\(error)".contains("store.block_cache_mb")
        }
    }
}
