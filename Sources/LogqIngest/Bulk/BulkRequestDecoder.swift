import LogqIndex
import LogqParsers

/// Decodes an Elasticsearch `_bulk` body, line by line as it streams in: each `index` or `create` action
/// with the document after it becomes a record (the document mapped as a JSON line is; `_index` kept as
/// a field). `delete` and `update` are answered with an error item, as logs are not edited.
///
/// Nothing is dropped: a document that is not a JSON object is stored whole with `_parse_error`, and so
/// is a line where an action was expected but none can be read.
public struct BulkRequestDecoder {
    /// One entry of the response's `items`, in request order.
    public struct Item: Sendable, Equatable {
        public let action: String
        public let index: String
        public let id: String
        /// 201 for a stored document; 400 for an action logq does not perform.
        public let status: Int
        public let error: String?
    }

    private let decoder: LineDecoder
    private let defaultIndex: String?
    private var pendingAction: BulkActionLine?
    private var skipNext = false
    public private(set) var items: [Item] = []
    private var sequence: UInt64

    public init(defaultIndex: String?, decoder: LineDecoder = LineDecoder(source: "bulk"), idSeed: UInt64) {
        self.defaultIndex = defaultIndex
        self.decoder = decoder
        sequence = idSeed
    }

    /// Takes one line of the body; returns the record it completes, if any.
    public mutating func line(
        _ bytes: UnsafeRawBufferPointer, originalLength: Int, receivedAt: Int64
    ) -> LogRecord? {
        if skipNext {
            skipNext = false
            return nil
        }
        guard let action = pendingAction else {
            guard let parsed = BulkActionLine(bytes) else {
                // Not an action line: keep it rather than lose it, and say so.
                var record = decoder.decode(bytes, receivedAt: receivedAt, originalLength: originalLength)
                record.fields.append(Field("_parse_error", .string("_bulk: expected an action line")))
                items.append(item("index", index: defaultIndex ?? "", status: 201, error: nil))
                return record
            }
            switch parsed.action {
            case .index, .create:
                pendingAction = parsed
            case .update:
                skipNext = true
                items.append(unsupported(parsed))
            case .delete:
                items.append(unsupported(parsed))
            }
            return nil
        }
        pendingAction = nil
        var record = decoder.decode(bytes, receivedAt: receivedAt, originalLength: originalLength)
        let index = action.index ?? defaultIndex ?? ""
        if !index.isEmpty { record.fields.append(Field("_index", .string(index))) }
        if bytes.first(where: { $0 != UInt8(ascii: " ") }) != UInt8(ascii: "{") {
            record.fields.append(Field("_parse_error", .string("_bulk: the document is not a JSON object")))
        }
        items.append(item(action.action.rawValue, index: index, id: action.id, status: 201, error: nil))
        return record
    }

    /// The body ended right after an action line: answer it with an error item.
    public mutating func finish() {
        if let action = pendingAction {
            items.append(
                item(
                    action.action.rawValue, index: action.index ?? defaultIndex ?? "", id: action.id, status: 400,
                    error: "the body ended after an action line, before its document"))
            pendingAction = nil
        }
    }

    private mutating func unsupported(_ action: BulkActionLine) -> Item {
        item(
            action.action.rawValue, index: action.index ?? defaultIndex ?? "", id: action.id, status: 400,
            error: "logq stores logs as they were written: \(action.action.rawValue) is not supported")
    }

    private mutating func item(_ action: String, index: String, id: String? = nil, status: Int, error: String?) -> Item
    {
        sequence &+= 1
        return Item(action: action, index: index, id: id ?? String(sequence, radix: 36), status: status, error: error)
    }
}
