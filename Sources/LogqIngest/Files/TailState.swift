import Logging
import LogqIndex
import LogqParsers

#if canImport(Glibc)
import Glibc
#endif

/// One file being followed.
final class TrackedFile {
    let id: String
    let device: UInt64
    let inode: UInt64
    let fingerprint: UInt64
    let fingerprintLength: Int
    var path: String
    let descriptor: Int32
    /// Bytes read into complete lines.
    var readOffset: Int64
    /// Just past the last line whose event is in a batch being stored.
    var pendingOffset: Int64
    /// Just past the last line whose event is durable: where a restart resumes.
    var committedOffset: Int64
    var joiner: MultilineJoiner?
    var maker: LineRecordMaker
    /// End offset of the lines now held by the joiner.
    var lastLineEnd: Int64
    var gone = false
    /// When the file last gave new bytes (or was opened), ns since the epoch: `close_inactive` counts from it.
    var lastActivity: Int64 = 0

    init(
        id: String, device: UInt64, inode: UInt64, fingerprint: UInt64, fingerprintLength: Int, path: String,
        descriptor: Int32, offset: Int64, joiner: MultilineJoiner?, maker: LineRecordMaker
    ) {
        self.id = id
        self.device = device
        self.inode = inode
        self.fingerprint = fingerprint
        self.fingerprintLength = fingerprintLength
        self.path = path
        self.descriptor = descriptor
        readOffset = offset
        pendingOffset = offset
        committedOffset = offset
        lastLineEnd = offset
        self.joiner = joiner
        self.maker = maker
    }

    deinit { close(descriptor) }
}

struct TailBatch {
    var records: [LogRecord] = []
    var bytes = 0
    var changedCheckpoint = false
    /// The poll stopped at its budget, with bytes left to read.
    var usedWholeBudget = false
}

/// The tailer's files and what it has read of them. Not shared: the tailer's task owns it.
struct TailState {
    let input: FileInput
    let logger: Logger
    private var files: [TrackedFile] = []
    /// Checkpointed positions not yet matched to a file on disk (start-up).
    private var resumes: [String: Checkpoint.Entry]
    private let include: [PCRE2Matcher]
    private let exclude: [PCRE2Matcher]
    /// Reused by every read: a fresh megabyte per file per poll would be allocated and zeroed for nothing.
    private var readBuffer = [UInt8](repeating: 0, count: readChunk)
    static let readChunk = 1 << 20
    static let maxBytesPerPoll = 16 << 20
    /// A backlog is read in polls of 1, 2, 4… MiB up to `maxBytesPerPoll`: the first batch reaches the
    /// store (and the store's threads the other core) after one megabyte instead of sixteen.
    static let firstBytesPerPoll = 1 << 20
    private var pollBudget = firstBytesPerPoll

    init(input: FileInput, checkpoint: Checkpoint, logger: Logger) throws {
        self.input = input
        self.logger = logger
        resumes = checkpoint.files
        include = try input.includeLines.map { PCRE2Matcher(regex: try PCRE2Regex($0, utf: false)) }
        exclude = try input.excludeLines.map { PCRE2Matcher(regex: try PCRE2Regex($0, utf: false)) }
    }

    /// Moves each checkpoint past what the store already holds for that file.
    mutating func resolveResumes(_ storedOffset: (String, Int64) -> Int64?) {
        for (id, entry) in resumes {
            if let stored = storedOffset(id, entry.offset), stored > entry.offset { resumes[id]?.offset = stored }
        }
    }

    mutating func poll(now: Int64, final: Bool) -> TailBatch {
        var batch = TailBatch()
        var seen: Set<ObjectIdentifier> = []
        for path in Self.glob(input.paths) {
            var info = stat()
            guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            let device = UInt64(info.st_dev)
            let inode = UInt64(info.st_ino)
            if let file = files.first(where: { $0.device == device && $0.inode == inode && !$0.gone }),
                Self.fingerprint(file.descriptor, length: file.fingerprintLength) == file.fingerprint
            {
                if file.path != path {
                    logger.info("followed a renamed file", metadata: ["from": "\(file.path)", "to": "\(path)"])
                    file.path = path
                }
                if Int64(info.st_size) < file.readOffset {
                    // copytruncate: the file was emptied in place. What it held was read; start over as new.
                    file.gone = true
                } else {
                    seen.insert(ObjectIdentifier(file))
                    continue
                }
            }
            // A file closed while inactive (or checkpointed and not yet reopened) stays closed until it grows.
            if let entry = resumes.values.first(where: { $0.device == device && $0.inode == inode }),
                Int64(info.st_size) == entry.offset, Self.hasFingerprint(path, entry)
            {
                continue
            }
            guard let file = open(path: path, device: device, inode: inode, size: Int64(info.st_size)) else {
                continue
            }
            file.lastActivity = now
            files.append(file)
            seen.insert(ObjectIdentifier(file))
            batch.changedCheckpoint = true
        }
        var budget = pollBudget
        for file in files {
            let present = seen.contains(ObjectIdentifier(file))
            if !present { file.gone = true }
            let offsetBefore = file.readOffset
            budget -= read(file, into: &batch, budget: max(budget, 0))
            if file.readOffset != offsetBefore { file.lastActivity = now }
            if let settings = file.joiner?.settings {
                let idle = now - (file.joiner?.lastLineAt ?? now) >= settings.flushTimeoutNanoseconds
                if file.gone || final || idle { flushJoiner(file, into: &batch, now: now) }
            }
        }
        // A file idle for close_inactive, with everything read from it durable, is closed; its place goes
        // where a checkpointed file's waits, so that it reopens (and resumes there) once it grows.
        for file in files where !file.gone && now - file.lastActivity >= input.closeInactiveNanoseconds {
            guard file.readOffset == file.committedOffset, file.pendingOffset == file.committedOffset,
                file.joiner?.hasPendingEvent != true
            else { continue }
            resumes[file.id] = Checkpoint.Entry(
                path: file.path, device: file.device, inode: file.inode, fingerprint: file.fingerprint,
                fingerprintLength: file.fingerprintLength, offset: file.committedOffset)
            file.gone = true
            logger.debug("closed an inactive file", metadata: ["path": "\(file.path)"])
        }
        batch.usedWholeBudget = budget <= 0
        pollBudget = batch.usedWholeBudget ? min(2 * pollBudget, Self.maxBytesPerPoll) : Self.firstBytesPerPoll
        // A file that is gone has been read to its end: let it go (its descriptor closes).
        let before = files.count
        files.removeAll { $0.gone && $0.readOffset == $0.pendingOffset && $0.joiner?.hasPendingEvent != true }
        if files.count != before { batch.changedCheckpoint = true }
        return batch
    }

    /// Each file's pending offset now, for `commit(_:)` once the batch just polled is durable. The files
    /// are held, not named, so that a file let go meanwhile is not mistaken for a new one.
    func pendingOffsets() -> [(file: TrackedFile, offset: Int64)] {
        files.map { ($0, $0.pendingOffset) }
    }

    /// The offsets a durable batch covers become the committed ones (of the files still followed).
    mutating func commit(_ offsets: [(file: TrackedFile, offset: Int64)]) {
        for (file, offset) in offsets { file.committedOffset = max(file.committedOffset, offset) }
    }

    func checkpoint() -> Checkpoint {
        var checkpoint = Checkpoint()
        for file in files {
            checkpoint.files[file.id] = Checkpoint.Entry(
                path: file.path, device: file.device, inode: file.inode, fingerprint: file.fingerprint,
                fingerprintLength: file.fingerprintLength, offset: file.committedOffset)
        }
        // Files not seen again since start-up keep their place, in case they come back.
        for (id, entry) in resumes where checkpoint.files[id] == nil { checkpoint.files[id] = entry }
        return checkpoint
    }

    mutating func closeAll() { files.removeAll() }

    /// Whether the file at `path` still starts with the bytes `entry` remembers (a reused inode does not).
    private static func hasFingerprint(_ path: String, _ entry: Checkpoint.Entry) -> Bool {
        let probe = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard probe >= 0 else { return false }
        defer { close(probe) }
        return fingerprint(probe, length: entry.fingerprintLength) == entry.fingerprint
    }

    private mutating func open(path: String, device: UInt64, inode: UInt64, size: Int64) -> TrackedFile? {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            logger.warning("cannot open a file to tail", metadata: ["path": "\(path)", "errno": "\(errno)"])
            return nil
        }
        var offset: Int64 = 0
        var fingerprintLength = Int(min(size, Int64(FileIdentity.fingerprintBytes)))
        var fingerprint = Self.fingerprint(descriptor, length: fingerprintLength)
        if let (id, entry) = resumes.first(where: { $0.value.device == device && $0.value.inode == inode }),
            entry.fingerprint == Self.fingerprint(descriptor, length: entry.fingerprintLength), entry.offset <= size
        {
            offset = entry.offset
            fingerprintLength = entry.fingerprintLength
            fingerprint = entry.fingerprint
            resumes[id] = nil
        }
        // Whatever else was remembered for this inode is superseded by the file now open on it.
        for (id, entry) in resumes where entry.device == device && entry.inode == inode { resumes[id] = nil }
        let id = "\(device)-\(inode)-\(String(fingerprint, radix: 16))"
        var defaults = RecordDefaults(service: input.service, pathService: RecordDefaults.service(fromPath: path))
        defaults.source = path
        defaults.fieldsAddedLater = 3 + input.fields.count
        let maker =
            input.parser.map { LineRecordMaker(pack: $0, defaults: defaults) }
            ?? LineRecordMaker(
                decoder: LineDecoder(defaultService: defaults.service ?? defaults.pathService ?? "", source: path))
        let joiner = input.effectiveMultiline.flatMap { try? MultilineJoiner(settings: $0) }
        return TrackedFile(
            id: id, device: device, inode: inode, fingerprint: fingerprint, fingerprintLength: fingerprintLength,
            path: path, descriptor: descriptor, offset: offset, joiner: joiner, maker: maker)
    }

    /// Reads complete lines past `readOffset`; returns the bytes read.
    private mutating func read(_ file: TrackedFile, into batch: inout TailBatch, budget: Int) -> Int {
        var total = 0
        var buffer = [UInt8]()
        swap(&buffer, &readBuffer)
        defer { swap(&buffer, &readBuffer) }
        while total < budget {
            let count = buffer.withUnsafeMutableBytes {
                pread(file.descriptor, $0.baseAddress, $0.count, off_t(file.readOffset))
            }
            guard count > 0 else { break }
            let chunk = buffer[..<count]
            guard let lastNewline = chunk.lastIndex(of: UInt8(ascii: "\n")) else {
                // A line longer than the chunk, or one still being written: a gone file gives its tail as is.
                if file.gone || count == Self.readChunk { take(chunk[...], upTo: count, file: file, into: &batch) }
                total += count
                if count < Self.readChunk { break }
                continue
            }
            take(chunk[...], upTo: lastNewline + 1, file: file, into: &batch)
            total += lastNewline + 1
            if count < Self.readChunk { break }
        }
        return total
    }

    private func take(_ chunk: ArraySlice<UInt8>, upTo end: Int, file: TrackedFile, into batch: inout TailBatch) {
        let start = file.readOffset
        batch.bytes += end
        chunk.withUnsafeBytes { bytes in
            var lineStart = 0
            while lineStart < end {
                // memchr: the generic search went byte by byte (a tenth of the tailer's parsing in a profile).
                let lineEnd =
                    memchr(bytes.baseAddress! + lineStart, Int32(UInt8(ascii: "\n")), end - lineStart).map {
                        bytes.baseAddress!.distance(to: UnsafeRawPointer($0))
                    } ?? end
                var line = UnsafeRawBufferPointer(rebasing: bytes[lineStart..<lineEnd])
                if line.last == UInt8(ascii: "\r") { line = UnsafeRawBufferPointer(rebasing: line.dropLast()) }
                let after = start + Int64(min(lineEnd + 1, end))
                if keep(line) {
                    add(line, endingAt: after, file: file, into: &batch)
                } else if file.joiner?.hasPendingEvent != true {
                    file.pendingOffset = after
                }
                lineStart = lineEnd + 1
            }
        }
        file.readOffset = start + Int64(end)
    }

    private func keep(_ line: UnsafeRawBufferPointer) -> Bool {
        if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { return false }
        if !include.isEmpty, !include.contains(where: { $0.matches(line) }) { return false }
        return !exclude.contains { $0.matches(line) }
    }

    private func add(
        _ line: UnsafeRawBufferPointer, endingAt end: Int64, file: TrackedFile, into batch: inout TailBatch
    ) {
        guard var joiner = file.joiner else {
            batch.records.append(record(line, endingAt: end, file: file))
            file.pendingOffset = end
            return
        }
        let previous = file.lastLineEnd
        joiner.append(line, at: currentTimeNanoseconds()) { event in
            batch.records.append(record(event.bytes, endingAt: previous, file: file))
            file.pendingOffset = previous
        }
        file.joiner = joiner
        file.lastLineEnd = end
    }

    private func flushJoiner(_ file: TrackedFile, into batch: inout TailBatch, now: Int64) {
        guard var joiner = file.joiner, joiner.hasPendingEvent else { return }
        let end = file.lastLineEnd
        joiner.flush { event in
            batch.records.append(record(event.bytes, endingAt: end, file: file))
        }
        file.pendingOffset = end
        file.joiner = joiner
    }

    private func record(_ bytes: UnsafeRawBufferPointer, endingAt end: Int64, file: TrackedFile) -> LogRecord {
        var record = file.maker.record(bytes, receivedAt: currentTimeNanoseconds())
        record.fields.append(Field("log.file.path", .string(file.path)))
        record.fields.append(Field("log.file.id", .string(file.id)))
        record.fields.append(Field("log.offset", .int(end)))
        for (name, value) in input.fields { record.fields.append(Field(name, .string(value))) }
        return record
    }

    static func fingerprint(_ descriptor: Int32, length: Int) -> UInt64 {
        var bytes = [UInt8](repeating: 0, count: length)
        let count = length == 0 ? 0 : bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, length, 0) }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes.prefix(max(count, 0)) { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return count == length ? hash : 0
    }

    static func glob(_ patterns: [String]) -> [String] {
        var paths: [String] = []
        for pattern in patterns {
            var result = glob_t()
            defer { globfree(&result) }
            guard Glibc.glob(pattern, 0, nil, &result) == 0 else { continue }
            for index in 0..<Int(result.gl_pathc) {
                if let path = result.gl_pathv[index] { paths.append(String(cString: path)) }
            }
        }
        return Array(Set(paths)).sorted()
    }
}
