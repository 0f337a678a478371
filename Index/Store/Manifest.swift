import Foundation

/// The list of live segments and how far the WAL is covered by them, replaced atomically on every flush.
///
/// A segment file that is not in the manifest is the leftover of a flush that crashed before its manifest
/// update, and is deleted at start-up: its records are still in the WAL.
struct Manifest: Codable, Equatable {
    static let formatVersion = 1

    var formatVersion: Int = Manifest.formatVersion
    /// Every WAL generation up to and including this one is in segments.
    var flushedWALGeneration: UInt64 = 0
    var nextSegmentSequence: UInt64 = 1
    /// Paths relative to the data directory.
    var segments: [SegmentSummary] = []

    static func load(from path: String) throws(StorageError) -> Manifest {
        guard DurableFile.exists(path) else { return Manifest() }
        let bytes = try DurableFile.readAll(path)
        let manifest: Manifest
        do {
            manifest = try JSONDecoder().decode(Manifest.self, from: Data(bytes))
        } catch {
            throw .corruption(file: path, offset: 0, reason: "manifest is not valid JSON of the expected shape")
        }
        guard manifest.formatVersion <= Manifest.formatVersion else {
            throw .unsupportedVersion(file: path, version: UInt32(manifest.formatVersion))
        }
        return manifest
    }

    func save(to path: String) throws(StorageError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        // Encoding plain integers and strings cannot fail.
        let data = (try? encoder.encode(self)) ?? Data()
        try DurableFile.writeAtomically(Array(data), to: path)
    }
}

extension LogStore {
    /// Writes the manifest of a data directory rebuilt from backed-up segments (already in place under
    /// their relative paths): no WAL, and new segments numbered after the highest restored one.
    package static func writeRestoredManifest(directory: String, segments: [SegmentSummary]) throws(StorageError) {
        var manifest = Manifest()
        manifest.segments = segments
        let highest = segments.compactMap { UInt64($0.path.split(separator: "/").last?.prefix(12) ?? "") }.max() ?? 0
        manifest.nextSegmentSequence = highest + 1
        try DurableFile.createDirectories(directory + "/" + StoreFileNames.walDirectory)
        try manifest.save(to: directory + "/" + StoreFileNames.manifest)
    }
}
