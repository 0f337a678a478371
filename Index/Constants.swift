// On-disk names and limits in one place. Changing any value marked "format" means bumping the
// matching version (`SegmentFormat.version`, `WALFormat.version`) and keeping a reader for the old one.

enum SegmentFormat {
    /// "LOGQSEG1" read as a little-endian UInt64, at the start and end of every segment file. Format.
    static let magic: UInt64 = 0x3147_4553_5147_4F4C
    /// Bump when the layout in docs/segment-format.md changes. Format. Version 2 added per-block field
    /// ranges after the filters; version 3 stores each block as separately compressed streams; version 4
    /// splits a block's messages into groups by service and level; version 5 stores each group's first
    /// lines apart from the rest of its messages. Files of versions 1 to 4 are still read.
    static let version: UInt32 = 5
    static let headerSize = 16
    static let footerSize = 128
    static let directoryEntrySize = 48
    static let fileExtension = "seg"
}

enum WALFormat {
    /// "LOGQWAL1" read as a little-endian UInt64. Format.
    static let magic: UInt64 = 0x314C_4157_5147_4F4C
    static let version: UInt32 = 1
    static let headerSize = 16
    static let frameHeaderSize = 8
    static let fileExtension = "wal"
}

public enum StorageLimits {
    /// Words are cut to this many bytes before indexing and before lookup. Format (changes the index).
    public static let maxTokenBytes = 64
    /// Field values longer than this are stored but not indexed as terms. Format.
    public static let maxIndexedValueBytes = 256
    /// A message longer than this is cut, and the record gets a `_truncated` field with the original size.
    public static let maxMessageBytes = 1 << 20
    /// The largest WAL frame a reader accepts; a larger length is corruption, not an allocation request.
    static let maxWALFrameBytes = 256 << 20
}

enum StoreFileNames {
    static let manifest = "MANIFEST.json"
    static let walDirectory = "wal"
    static let segmentDirectory = "segments"
    static let quarantineDirectory = "quarantine"
    /// Locked (flock) by the process that has the store open.
    static let lock = "LOCK"
    static let temporarySuffix = ".tmp"
}

/// Retention classes name the folder between a segment's day and its file (`segments/DAY/CLASS/`):
/// lower-case letters, digits and `-`, at most 40 bytes. See docs/segment-format.md.
public enum RetentionClassName {
    /// Where records go when no retention rule names another class.
    public static let `default` = "c0"

    public static func isValid(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 40
            && name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
    }

    /// `name` when it is a valid class name, else the default (a classifier cannot escape the folder).
    static func validated(_ name: String?) -> String {
        guard let name, isValid(name) else { return Self.default }
        return name
    }
}
