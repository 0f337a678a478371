/// The action line of an Elasticsearch `_bulk` body: `{"index":{"_index":"logs","_id":"1"}}`.
public struct BulkActionLine: Sendable, Equatable {
    public enum Action: String, Sendable {
        case index, create, update, delete
    }

    public let action: Action
    public let index: String?
    public let id: String?

    /// Nil when the line is not a JSON object whose first key is a known action.
    public init?(_ bytes: UnsafeRawBufferPointer) {
        var position = 0
        func skipSpace() {
            while position < bytes.count,
                bytes[position] == UInt8(ascii: " ") || bytes[position] == UInt8(ascii: "\t")
                    || bytes[position] == UInt8(ascii: "\r")
            {
                position += 1
            }
        }
        skipSpace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "{") else { return nil }
        position += 1
        skipSpace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { return nil }
        let start = position + 1
        guard let end = bytes[start...].firstIndex(of: UInt8(ascii: "\"")),
            let action = Action(rawValue: String(decoding: bytes[start..<end], as: UTF8.self)),
            let pairs = JSONObjectScanner.parse(bytes)
        else { return nil }
        self.action = action
        func string(_ key: String) -> String? {
            guard case .string(let text)? = pairs.first(where: { $0.key == "\(action.rawValue).\(key)" })?.value else {
                return nil
            }
            return text
        }
        index = string("_index")
        id = string("_id")
    }
}
