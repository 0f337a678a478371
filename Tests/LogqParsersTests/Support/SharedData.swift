import Foundation

/// Public test data under `../shared` (Loghub, Logstash's grok vectors), read in place, never copied.
enum SharedData {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static let fixtures = repositoryRoot.appendingPathComponent("fixtures")

    /// The folder, or nil (with a message saying the test is skipped) when this checkout has none.
    static func folder(_ name: String) -> URL? {
        let url = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/\(name)")
        guard FileManager.default.fileExists(atPath: url.path) else {
            print("skipped: \(url.path) is absent")
            return nil
        }
        return url
    }
}
