import Foundation
import LogqCorpus
import Testing

/// `logq fingerprint FILE -o json` gives the grouping that make bench scores, checked against Loghub's ground truth.
@Suite struct FingerprintCommandTests {
    @Test func printsEachLinesTemplateAndGroupForCheckingAgainstGroundTruth() throws {
        let folder = Repository.root.deletingLastPathComponent().appendingPathComponent("shared/loghub").path
        guard FileManager.default.fileExists(atPath: folder) else {
            print("skipped: \(folder) is absent")
            return
        }
        for (dataset, expected) in [("HDFS", 1.0), ("OpenSSH", 0.996)] {
            let (contents, templates) = try LoghubSample.load(dataset, from: folder)
            let input = temporaryPath("fingerprint-\(dataset)")
            try contents.joined(separator: "\n").write(toFile: input, atomically: true, encoding: .utf8)
            let result = try runLogq(["fingerprint", input, "-o", "json"], url: nil)
            #expect(result.status == 0, "\(result.stderr)")
            let rows = result.stdout.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String]
            }
            #expect(rows.count == contents.count)
            #expect(rows.map { $0["line"] ?? "" } == contents)
            let accuracy = LoghubSample.groupingAccuracy(predicted: rows.map { $0["id"] ?? "" }, truth: templates)
            #expect(abs(accuracy - expected) < 0.001, "\(dataset): GA \(accuracy)")
            #expect(rows.allSatisfy { ($0["template"] ?? "").isEmpty == false })
        }
        let text = try runLogq(["fingerprint", "/nonexistent/file"], url: nil)
        #expect(text.status != 0 && text.stderr.contains("cannot read /nonexistent/file"))
    }
}
