import Foundation
import Testing

/// Every committed fuzz input (seeds, and the crash inputs kept as regressions) goes through its target in
/// the normal build too, so a decoder change that crashes on one fails here even without libFuzzer.
@Suite struct FuzzCorpusTests {
    @Test func everyCommittedInputPassesThroughItsTarget() throws {
        let root = Repository.root.appendingPathComponent("fixtures/fuzz").path
        let targets = try FileManager.default.contentsOfDirectory(atPath: root).filter { !$0.hasSuffix(".dict") }
            .sorted()
        #expect(targets.count == 10, "one folder per target: \(targets)")
        for target in targets {
            let folder = root + "/" + target
            let inputs = try FileManager.default.contentsOfDirectory(atPath: folder).sorted().map { folder + "/" + $0 }
            #expect(!inputs.isEmpty, "\(target) has seeds")
            let replay = try run(Binaries.path("logq-fuzz"), [target] + inputs)
            #expect(replay.status == 0, "\(target): \(replay.output)")
        }
    }
}
