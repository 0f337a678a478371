/// A key of the inverted index: a field and an exact value, or a lower-cased word of the message.
public struct Term: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The pseudo-field that message words are indexed under.
    public static let messageField = "_msg"
    /// Separates field from value in the stored key; it cannot appear in a field name we index.
    static let separator: UInt8 = 0x1F

    public let field: String
    public let value: String

    public init(field: String, value: String) {
        self.field = field
        self.value = value
    }

    public static func word(_ token: String) -> Term { Term(field: messageField, value: token) }

    /// The bytes stored in the term dictionary, which sorts them bytewise.
    var key: [UInt8] { Array(dictionaryKey.utf8) }

    /// The same key as the String a reader's term dictionary is keyed by.
    var dictionaryKey: String { field + String(UnicodeScalar(Term.separator)) + value }

    /// Values past the limit are not in the index: a query for one must scan and verify instead.
    public var isIndexable: Bool {
        field.utf8.count <= StorageLimits.maxIndexedValueBytes && value.utf8.count <= StorageLimits.maxIndexedValueBytes
    }

    init?(key: some Collection<UInt8>) {
        guard let split = key.firstIndex(of: Term.separator) else { return nil }
        field = String(decoding: key[..<split], as: UTF8.self)
        value = String(decoding: key[key.index(after: split)...], as: UTF8.self)
    }

    public static func < (lhs: Term, rhs: Term) -> Bool { lhs.key.lexicographicallyPrecedes(rhs.key) }

    public var description: String { "\(field):\(value)" }
}

extension LogRecord {
    /// Every term this record is found by: its fixed columns, its free fields and its message words.
    public func forEachTerm(_ body: (Term) -> Void) {
        forEachFieldTerm { body(Term(field: $0, value: $1)) }
        Tokenizer.forEachToken(in: message) { body(Term.word(String(decoding: $0, as: UTF8.self))) }
    }

    /// The field terms alone (columns and free fields), as field and value.
    func forEachFieldTerm(_ body: (String, String) -> Void) {
        func indexed(_ field: String, _ value: String) {
            if Term(field: field, value: value).isIndexable { body(field, value) }
        }
        if let level { body("level", level.description) }
        if !service.isEmpty { indexed("service", service) }
        if !host.isEmpty { indexed("host", host) }
        if !source.isEmpty { indexed("source", source) }
        // A free field named like the message pseudo-field would collide with message words in the index.
        for field in fields where field.name != Term.messageField { indexed(field.name, field.value.canonicalText) }
    }
}
