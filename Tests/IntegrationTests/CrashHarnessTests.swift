import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// kill -9 at random instants while batches are being acknowledged and segments flushed: after every
/// crash, each acknowledged record is found exactly once, and no record is ever duplicated.
@Suite(.serialized) struct CrashHarnessTests {
    static let rounds = 50

    @Test func everyAcknowledgedRecordExactlyOnceAcrossFiftyCrashes() async throws {
        let work = temporaryPath("crash")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        // Small memtables, so that crashes also land in the middle of flushes.
        let config = work + "/logqd.yaml"
        try "store:\n  flush_records: 300\n  flush_age_seconds: 1\n".write(
            toFile: config, atomically: true, encoding: .utf8)
        let server = ServerProcess(dataDirectory: work + "/data")
        defer { server.stop(signal: SIGKILL) }

        var acknowledged = Set<String>()
        var sent = 0
        var generator = SystemRandomNumberGenerator()
        for round in 0..<Self.rounds {
            try server.start(extraArguments: ["--config", config])
            let pid = server.process!.processIdentifier
            let delay = Double.random(in: 0.02...0.5, using: &generator)
            DispatchQueue.global().asyncAfter(deadline: .now() + delay) { kill(pid, SIGKILL) }
            batches: for batch in 0..<200 {
                let ids = (0..<40).map { "r\(round)b\(batch)i\($0)" }
                let body = ids.map { #"{"message":"crash harness record","rid":"\#($0)"}"# }.joined(separator: "\n")
                var request = URLRequest(url: URL(string: server.baseURL + "/api/v1/ingest")!)
                request.httpMethod = "POST"
                request.timeoutInterval = 10
                sent += ids.count
                do {
                    let (_, response) = try await URLSession.shared.upload(for: request, from: Data(body.utf8))
                    guard (response as? HTTPURLResponse)?.statusCode == 200 else { break batches }
                    acknowledged.formUnion(ids)
                } catch {
                    break batches
                }
            }
            server.process?.waitUntilExit()
            server.stop(signal: SIGKILL)
        }
        print("crash harness: \(Self.rounds) crashes, \(acknowledged.count) of \(sent) records acknowledged")
        #expect(acknowledged.count > 1000, "too few batches acknowledged to mean anything")

        try server.start(extraArguments: ["--config", config])
        let result = try runLogq(["-o", "json", "-l", "1000000", "harness"], url: server.baseURL)
        #expect(result.status == 0, "\(result.stderr)")
        var seen: [String: Int] = [:]
        for line in result.stdout.split(separator: "\n") {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            if let id = object?["rid"] as? String { seen[id, default: 0] += 1 }
        }
        let missing = acknowledged.filter { seen[$0] == nil }
        let duplicated = seen.filter { $0.value > 1 }
        #expect(missing.isEmpty, "\(missing.count) acknowledged records lost, e.g. \(missing.prefix(5))")
        #expect(duplicated.isEmpty, "\(duplicated.count) records duplicated, e.g. \(duplicated.prefix(5))")
        #expect(seen.count <= sent)
    }
}
