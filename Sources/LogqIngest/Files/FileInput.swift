import LogqParsers

/// One `inputs:` entry of `type: file`: which files to tail and how to read them.
public struct FileInput: Sendable {
    /// Glob patterns (`/var/log/order/*.log`).
    public var paths: [String]
    /// A fixed service for the records; otherwise the line's, the pack's, or the file path's.
    public var service: String?
    /// The pack that parses the lines (its multi-line settings apply); nil for JSON-or-text lines.
    public var parser: CompiledPack?
    /// Overrides the pack's multi-line settings.
    public var multiline: MultilineSettings?
    /// Only lines matching one of these are kept, when any are given (Filebeat's `include_lines`).
    public var includeLines: [String]
    /// Lines matching one of these are left out on purpose (Filebeat's `exclude_lines`).
    public var excludeLines: [String]
    /// Fields added to every record.
    public var fields: [(String, String)]
    /// A name for the checkpoint file: `DATA/inputs/<name>.json`.
    public var name: String
    /// A file that gives nothing new for this long is closed (its descriptor freed) and reopened once it
    /// grows (Filebeat's `close_inactive`).
    public var closeInactiveNanoseconds: Int64

    public init(
        name: String, paths: [String], service: String? = nil, parser: CompiledPack? = nil,
        multiline: MultilineSettings? = nil, includeLines: [String] = [], excludeLines: [String] = [],
        fields: [(String, String)] = [], closeInactiveNanoseconds: Int64 = 300_000_000_000
    ) {
        self.closeInactiveNanoseconds = closeInactiveNanoseconds
        self.name = name
        self.paths = paths
        self.service = service
        self.parser = parser
        self.multiline = multiline
        self.includeLines = includeLines
        self.excludeLines = excludeLines
        self.fields = fields
    }

    var effectiveMultiline: MultilineSettings? { multiline ?? parser?.pack.multiline }
}

/// A file's identity across renames: device and inode, plus a fingerprint of its first bytes so that a
/// reused inode is not mistaken for the old file.
public struct FileIdentity: Hashable, Sendable, CustomStringConvertible {
    public let device: UInt64
    public let inode: UInt64
    /// FNV-1a of the first `fingerprintBytes` bytes; 0 while the file is shorter.
    public let fingerprint: UInt64

    public static let fingerprintBytes = 256

    public var description: String { "\(device)-\(inode)-\(String(fingerprint, radix: 16))" }

    func sameFile(as other: FileIdentity) -> Bool {
        device == other.device && inode == other.inode
            && (fingerprint == 0 || other.fingerprint == 0 || fingerprint == other.fingerprint)
    }
}
