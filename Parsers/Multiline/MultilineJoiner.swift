import LogqIndex

/// Joins physical lines into events per `MultilineSettings`, one joiner per stream (file, connection).
///
/// Lines are copied once into a reusable buffer; events are handed to the caller as a borrowed buffer,
/// newline-separated, valid until the next call.
public struct MultilineJoiner {
    public struct Event {
        public let bytes: UnsafeRawBufferPointer
        public let lineCount: Int
        /// The event was cut at `maxLines` or at the size limit; the rest follows as the next event.
        public let split: Bool
    }

    public let settings: MultilineSettings
    private let matcher: PCRE2Matcher
    private let leadMatcher: PCRE2Matcher?
    private var buffer: [UInt8] = []
    private var lines = 0
    private var onlyLeadLines = false
    private var continuesSplit = false
    public private(set) var lastLineAt: Int64 = 0
    private let maxBytes: Int

    public init(settings: MultilineSettings, maxBytes: Int = StorageLimits.maxMessageBytes) throws(PatternError) {
        self.settings = settings
        matcher = PCRE2Matcher(regex: try PCRE2Regex(settings.pattern, utf: false))
        leadMatcher = try settings.leadPattern.map { pattern throws(PatternError) in
            PCRE2Matcher(regex: try PCRE2Regex(pattern, utf: false))
        }
        self.maxBytes = maxBytes
        buffer.reserveCapacity(4096)
    }

    public var hasPendingEvent: Bool { lines > 0 }

    /// Adds one line (without its newline). Calls `emit` for each event this line completes.
    public mutating func append(
        _ line: UnsafeRawBufferPointer, at now: Int64 = 0, emit: (Event) throws -> Void
    ) rethrows {
        lastLineAt = now
        let continuation = matcher.matches(line) != settings.negate
        switch settings.match {
        case .after:
            let joinsLead = onlyLeadLines && lines > 0
            if lines > 0, !(continuation || joinsLead) { try flush(emit: emit) }
            try add(line, emit: emit)
            onlyLeadLines = (lines == 1 || onlyLeadLines) && (leadMatcher?.matches(line) ?? false)
        case .before:
            try add(line, emit: emit)
            if !continuation { try flush(emit: emit) }
        }
    }

    /// Emits the pending event, if any: at end of stream, or when `flushTimeout` has passed.
    public mutating func flush(emit: (Event) throws -> Void) rethrows {
        guard lines > 0 else { return }
        let (count, split) = (lines, continuesSplit)
        try buffer.withUnsafeBytes { try emit(Event(bytes: $0, lineCount: count, split: split)) }
        buffer.removeAll(keepingCapacity: true)
        lines = 0
        onlyLeadLines = false
        continuesSplit = false
    }

    /// Flushes when the pending event has waited longer than the timeout since its last line.
    public mutating func flushIfIdle(now: Int64, emit: (Event) throws -> Void) rethrows {
        if lines > 0, now - lastLineAt >= settings.flushTimeoutNanoseconds { try flush(emit: emit) }
    }

    private mutating func add(_ line: UnsafeRawBufferPointer, emit: (Event) throws -> Void) rethrows {
        if lines > 0, lines >= settings.maxLines || buffer.count + 1 + line.count > maxBytes {
            let count = lines
            try buffer.withUnsafeBytes { try emit(Event(bytes: $0, lineCount: count, split: true)) }
            buffer.removeAll(keepingCapacity: true)
            lines = 0
            continuesSplit = true
        }
        if lines > 0 { buffer.append(UInt8(ascii: "\n")) }
        buffer.append(contentsOf: line)
        lines += 1
    }
}
