/// Filebeat's `multiline` settings: which lines continue an event, and whether they attach to the line
/// before or after them.
///
/// With `negate: false`, lines that match `pattern` are continuations; with `negate: true`, lines that do
/// not match are. `match: after` appends continuations to the event before them (a Java stack trace after
/// its log line); `match: before` prepends them to the line after them.
public struct MultilineSettings: Sendable, Equatable {
    public enum Attach: String, Sendable { case after, before }

    public var pattern: String
    public var negate: Bool
    public var match: Attach
    /// An event longer than this is emitted and a new one started, marked `_multiline_split` (Filebeat
    /// drops the extra lines; logq keeps them).
    public var maxLines: Int
    /// A partial event is emitted when no line has arrived for this long.
    public var flushTimeoutNanoseconds: Int64
    /// logq's extension for logs whose entries begin with an optional header line (MySQL's `# Time:`):
    /// while an event holds only lines matching `leadPattern`, the next line joins it whatever it is.
    public var leadPattern: String?

    public init(
        pattern: String, negate: Bool, match: Attach, maxLines: Int = 500,
        flushTimeoutNanoseconds: Int64 = 5_000_000_000, leadPattern: String? = nil
    ) {
        self.pattern = pattern
        self.negate = negate
        self.match = match
        self.maxLines = maxLines
        self.flushTimeoutNanoseconds = flushTimeoutNanoseconds
        self.leadPattern = leadPattern
    }
}
