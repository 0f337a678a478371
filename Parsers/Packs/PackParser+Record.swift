import LogqIndex

/// What a record gets when the line itself does not say: the input's configuration and the file path.
public struct RecordDefaults: Sendable {
    /// The input's `service` setting; it wins over what the pattern captures.
    public var service: String?
    /// A service name taken from the file path, used when nothing else names one.
    public var pathService: String?
    public var host: String
    public var source: String
    /// How many fields the caller appends to each record (a tailer's file path, id and offset): room is
    /// made for them up front rather than by growing the array again.
    public var fieldsAddedLater = 0

    public init(service: String? = nil, pathService: String? = nil, host: String = "", source: String = "") {
        self.service = service
        self.pathService = pathService
        self.host = host
        self.source = source
    }
}

extension PackParser {
    /// Parses one line (or joined event) into a record for storage. Nothing is dropped: an unmatched line
    /// is kept whole with `_parse_error` naming the pack.
    public mutating func record(
        from line: UnsafeRawBufferPointer, receivedAt: Int64, defaults: RecordDefaults = RecordDefaults()
    ) -> LogRecord {
        let pack = compiled.pack
        if case .jsonLines = pack.kind {
            let decoder = LineDecoder(
                defaultService: defaults.service ?? defaults.pathService ?? "", defaultHost: defaults.host,
                source: defaults.source)
            var record = decoder.decode(line, receivedAt: receivedAt)
            if line.first(where: { $0 != UInt8(ascii: " ") }) != UInt8(ascii: "{") {
                record.fields.append(Field("_parse_error", .string(pack.name)))
            }
            return record
        }
        let (bytes, sanitizeMarkers) = LineDecoder.sanitize(line)
        var markers = sanitizeMarkers
        switch pack.kind {
        case .jsonLines, .grok:
            break
        case .syslog:
            return syslogRecord(bytes, receivedAt: receivedAt, defaults: defaults, markers: markers)
        }
        let outcome = parse(bytes, reference: receivedAt)
        // A parsed line's message is the part the pattern captured: the whole line as text (a copy and a
        // UTF-8 check of every byte) is needed only when it is not, or to mark invalid UTF-8 (none in ASCII).
        var messageIsCaptured = false
        if case .parsed = outcome { messageIsCaptured = parsed.message != nil }
        let wholeLine = messageIsCaptured && Self.isASCII(bytes) ? "" : Self.text(bytes, markers: &markers)
        var record = LogRecord(
            timestamp: receivedAt, service: defaults.service ?? pack.service ?? defaults.pathService ?? "",
            host: defaults.host, source: defaults.source, message: wholeLine)
        switch outcome {
        case .unmatched:
            markers.append(Field("_parse_error", .string(pack.name)))
        case .limitExceeded:
            markers.append(Field("_parse_error", .string("\(pack.name): match limit exceeded")))
        case .parsed:
            fill(&record, from: bytes, defaults: defaults)
        }
        record.fields.append(contentsOf: markers)
        return record
    }

    public mutating func record(
        from line: String, receivedAt: Int64, defaults: RecordDefaults = RecordDefaults()
    ) -> LogRecord {
        var line = line
        return line.withUTF8 { bytes in
            record(from: UnsafeRawBufferPointer(bytes), receivedAt: receivedAt, defaults: defaults)
        }
    }

    private mutating func fill(_ record: inout LogRecord, from bytes: UnsafeRawBufferPointer, defaults: RecordDefaults)
    {
        // Rebased to a contiguous buffer: decoding a Slice would take String's generic, appending path.
        func string(_ range: Range<Int>) -> String {
            String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        }
        if let timestamp = parsed.timestamp { record.timestamp = timestamp }
        record.level = parsed.level
        if defaults.service == nil, let service = parsed.service { record.service = string(service) }
        if let host = parsed.host { record.host = string(host) }
        if let message = parsed.message { record.message = string(message) }
        var fields: [Field] = []
        fields.reserveCapacity(parsed.fields.count + 2 + defaults.fieldsAddedLater)
        for field in parsed.fields {
            let name = field.field >= 0 ? compiled.fieldNames[field.field] : string(field.nameRange)
            guard Self.isNew(name, among: fields) else { continue }
            switch field.value {
            case .text: fields.append(Field(name, .string(string(field.range))))
            case .int(let number): fields.append(Field(name, .int(number)))
            case .float(let number): fields.append(Field(name, .double(number)))
            }
        }
        if let (field, range) = parsed.unreadableTimestamp {
            fields.append(Field(compiled.fieldNames[field], .string(string(range))))
            fields.append(Field("_parse_error", .string("\(compiled.pack.name): unreadable timestamp")))
        }
        for enrichment in compiled.pack.enrichments {
            switch enrichment {
            case .keyValuePairs:
                continue
            case .sqlTables:
                let tables = SQLTables.names(in: record.message)
                if let first = tables.first, Self.isNew("table", among: fields) {
                    fields.append(Field("table", .string(first)))
                    fields.append(Field("tables", .string(tables.joined(separator: ","))))
                }
            case .javaException:
                if let exception = JavaException.firstName(in: record.message), Self.isNew("exception", among: fields) {
                    fields.append(Field("exception", .string(exception)))
                }
            }
        }
        record.fields = fields
    }

    private func syslogRecord(
        _ bytes: UnsafeRawBufferPointer, receivedAt: Int64, defaults: RecordDefaults, markers: [Field]
    ) -> LogRecord {
        var markers = markers
        var record = LogRecord(
            timestamp: receivedAt, service: defaults.service ?? defaults.pathService ?? "", host: defaults.host,
            source: defaults.source, message: Self.text(bytes, markers: &markers))
        guard let message = SyslogParser.parse(bytes, zone: zone, reference: receivedAt) else {
            record.fields = markers + [Field("_parse_error", .string(compiled.pack.name))]
            return record
        }
        func string(_ range: Range<Int>) -> String {
            String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        }
        if let timestamp = message.timestamp { record.timestamp = timestamp }
        if let severity = message.severity { record.level = LogLevel(syslogSeverity: severity) }
        if defaults.service == nil, let app = message.appName { record.service = string(app) }
        if let host = message.hostname { record.host = string(host) }
        record.message = string(message.message)
        var fields: [Field] = []
        if let facility = message.facility { fields.append(Field("facility", .int(Int64(facility)))) }
        if let severity = message.severity { fields.append(Field("severity", .int(Int64(severity)))) }
        if let proc = message.procID {
            let value = NumberText.exactInteger(UnsafeRawBufferPointer(rebasing: bytes[proc]))
            fields.append(Field("pid", value.map { .int($0) } ?? .string(string(proc))))
        }
        if let msgID = message.msgID { fields.append(Field("msgid", .string(string(msgID)))) }
        for parameter in message.structuredData {
            let name = parameter.name.isEmpty ? parameter.element : "\(parameter.element).\(parameter.name)"
            fields.append(Field(name, .string(parameter.value)))
        }
        record.fields = fields + markers
        return record
    }

    static let columnNames = ["timestamp", "level", "service", "host", "message"]

    /// A handful of fields per line: a linear scan beats hashing every name into a Set. A parameter, not a
    /// nested function over the record's field array: capturing that array checked exclusivity on every call.
    private static func isNew(_ name: String, among fields: [Field]) -> Bool {
        !columnNames.contains { $0.isSameText(as: name) } && !fields.contains { $0.name.isSameText(as: name) }
    }

    /// Whether every byte is below 0x80, eight at a time.
    static func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        var highBits: UInt64 = 0
        while index + 8 <= bytes.count {
            highBits |= bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            index += 8
        }
        while index < bytes.count {
            highBits |= UInt64(bytes[index])
            index += 1
        }
        return highBits & 0x8080_8080_8080_8080 == 0
    }

    static func text(_ bytes: UnsafeRawBufferPointer, markers: inout [Field]) -> String {
        if let valid = String(validating: bytes, as: UTF8.self) { return valid }
        markers.append(Field("_invalid_utf8", .int(1)))
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension RecordDefaults {
    /// File names that say nothing of the service: the folder names it instead (`nginx/access.log`).
    static let genericNames: Set<String> = [
        "access", "error", "app", "application", "server", "out", "stdout", "stderr", "messages", "syslog",
        "catalina", "main", "log", "slow", "slow-query", "mysql-slow", "debug", "info", "current",
    ]

    /// The service a log file's path suggests: its name without rotation and compression suffixes or
    /// the extension (`/var/log/order/order-service.log.1.gz` → `order-service`), or its folder's
    /// name when the file's name is generic (`/var/log/nginx/access.log` → `nginx`).
    public static func service(fromPath path: String) -> String? {
        let components = path.split(separator: "/").map(String.init)
        guard var name = components.last else { return nil }
        var changed = true
        while changed {
            changed = false
            for suffix in [".gz", ".zst", ".bz2", ".xz", ".log", ".txt", ".jsonl", ".json", ".out"]
            where name.hasSuffix(suffix) && name.count > suffix.count {
                name.removeLast(suffix.count)
                changed = true
            }
            // Rotation: `.1`, `-20261123`, `.2026-11-23`.
            if let separator = name.lastIndex(where: { $0 == "." || $0 == "-" || $0 == "_" }),
                name[name.index(after: separator)...].allSatisfy({ $0.isNumber || $0 == "-" }),
                name.index(after: separator) < name.endIndex, separator > name.startIndex
            {
                name = String(name[..<separator])
                changed = true
            }
        }
        if Self.genericNames.contains(name.lowercased()) {
            return components.dropLast().last.flatMap { $0 == "log" || $0 == "logs" ? nil : $0 } ?? name
        }
        return name.isEmpty ? nil : name
    }
}
