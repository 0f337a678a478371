import Foundation

/// Where this checkout is: the tests' virtualenv is found from it.
enum Repository {
    /// …/Tests/IntegrationTests/Support/RepositoryPaths.swift, four levels down.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
}
