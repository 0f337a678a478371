import LogqIndex

extension Filter {
    /// The exact check every candidate passes through: the index only narrows the candidates.
    public func matches(_ record: LogRecord) -> Bool {
        switch self {
        case .fieldEquals(let field, let value):
            return Self.anyValue(of: field, in: record) { $0 == value }
        case .messageWords(_, let tokens):
            return Tokenizer.containsSequence(tokens, in: record.message)
        case .fieldPrefix(let field, let prefix):
            if field == Term.messageField {
                var found = false
                let wanted = Array(prefix.utf8)
                Tokenizer.forEachToken(in: record.message) { token in
                    if !found && token.starts(with: wanted) { found = true }
                }
                return found
            }
            return Self.anyValue(of: field, in: record) { $0.hasPrefix(prefix) }
        case .fieldExists(let field):
            return field == Term.messageField
                ? !record.message.isEmpty : Self.anyValue(of: field, in: record) { _ in true }
        case .numericRange(let field, let range):
            return Self.anyNumber(of: field, in: record, as: range.unit, where: range.contains)
        case .timeRange(let from, let to):
            return record.timestamp >= (from ?? .min) && record.timestamp <= (to ?? .max)
        case .regex(let field, let regex):
            if field == Term.messageField { return regex.matches(record.message) }
            return Self.anyValue(of: field, in: record) { regex.matches($0) }
        }
    }

    /// True when one of the record's textual values for `field` (its column, or every free field of that
    /// name) satisfies `predicate`. Alert rules check every ingested record this way, so no array is built
    /// per check.
    @inline(__always)
    static func anyValue(of field: String, in record: LogRecord, where predicate: (String) -> Bool) -> Bool {
        switch field {
        case "level": return record.level.map { predicate($0.description) } ?? false
        case "service": return !record.service.isEmpty && predicate(record.service)
        case "host": return !record.host.isEmpty && predicate(record.host)
        case "source": return !record.source.isEmpty && predicate(record.source)
        default:
            for candidate in record.fields where candidate.name == field {
                if predicate(candidate.value.canonicalText) { return true }
            }
            return false
        }
    }

    /// The same for the numbers a field holds: numeric fields, and text fields that read as a number.
    /// Against a duration, numbers are in the unit the field's name says (`took_ms`; seconds without one)
    /// and text may carry its own (`1584ms`); against a size, numbers are bytes and text may say `10KiB`.
    static func anyNumber(
        of field: String, in record: LogRecord, as unit: NumericRange.Unit, where predicate: (Double) -> Bool
    ) -> Bool {
        var scale: Double?
        for candidate in record.fields where candidate.name == field {
            if scale == nil { scale = unit == .seconds ? Quantities.secondsPerUnit(ofField: field) : 1 }
            if let number = number(of: candidate.value, scale: scale!, unit: unit), predicate(number) { return true }
        }
        return false
    }

    private static func number(of value: FieldValue, scale: Double, unit: NumericRange.Unit) -> Double? {
        switch value {
        case .int(let number): return Double(number) * scale
        case .double(let number): return number * scale
        case .string(let text):
            if let number = Double(text) { return number * scale }
            switch unit {
            case .plain: return nil
            case .seconds: return Quantities.seconds(text)
            case .bytes: return Quantities.byteCount(text)
            }
        }
    }

    /// The index terms every matching record holds; empty when the index cannot narrow this filter.
    var indexTerms: [Term] {
        switch self {
        case .fieldEquals(let field, let value):
            let term = Term(field: field, value: value)
            return term.isIndexable ? [term] : []
        case .messageWords(_, let tokens):
            return tokens.map(Term.word)
        case .regex(let field, let regex) where field == Term.messageField:
            // Not deciding, only narrowing: each candidate is still checked against the regex.
            return regex.indexWords.map(Term.word)
        case .fieldPrefix, .fieldExists, .numericRange, .timeRange, .regex:
            return []
        }
    }

    /// True when holding the index terms is the same as matching, so counts need no decoding.
    var isDecidedByIndex: Bool {
        switch self {
        case .fieldEquals: return !indexTerms.isEmpty
        case .messageWords(_, let tokens): return tokens.count == 1
        case .fieldPrefix, .fieldExists, .numericRange, .timeRange, .regex: return false
        }
    }

    /// Word, phrase and message-regex filters look at the message alone.
    var needsMessageOnly: Bool {
        switch self {
        case .messageWords: return true
        case .regex(let field, _): return field == Term.messageField
        default: return false
        }
    }

    /// Whether finding the filter's match in a message's first line is enough to know the message matches
    /// (words and phrases: the first line's words are the message's first words; a regex that looks at
    /// nothing past its match, see `QueryRegex.matchesInAPrefixHold`).
    var isFoundInFirstLineAlone: Bool {
        switch self {
        case .messageWords: return true
        case .regex(let field, let regex): return field == Term.messageField && regex.matchesInAPrefixHold
        default: return false
        }
    }

    /// The check of a message-only filter on the message's bytes in place.
    func messageMatcher() -> (@Sendable (UnsafeRawBufferPointer) -> Bool)? {
        switch self {
        case .messageWords(_, let tokens):
            let phrase = PhraseMatcher(tokens)
            return { phrase.matches($0) }
        case .regex(let field, let regex) where field == Term.messageField:
            return { regex.matches($0) }
        default:
            return nil
        }
    }
}

extension QueryNode {
    public func matches(_ record: LogRecord) -> Bool {
        switch self {
        case .all: return true
        case .filter(let filter): return filter.matches(record)
        case .and(let children): return children.allSatisfy { $0.matches(record) }
        case .or(let children): return children.contains { $0.matches(record) }
        case .not(let child): return !child.matches(record)
        }
    }

    /// The word and phrase filters of a node made only of them and AND, for byte-level verification.
    var messageOnlyFilters: [Filter]? {
        switch self {
        case .filter(let filter): return filter.needsMessageOnly ? [filter] : nil
        case .and(let children):
            var filters: [Filter] = []
            for child in children {
                guard let more = child.messageOnlyFilters else { return nil }
                filters += more
            }
            return filters
        default: return nil
        }
    }
}

extension QueryNode {
    /// The free-field names checking this node reads (columns and the message are always decoded).
    var referencedFields: Set<String> {
        switch self {
        case .all: return []
        case .filter(let filter):
            switch filter {
            case .fieldEquals(let field, _), .fieldPrefix(let field, _), .fieldExists(let field),
                .numericRange(let field, _), .regex(let field, _):
                return [field]
            case .messageWords, .timeRange: return []
            }
        case .and(let children), .or(let children):
            return children.reduce(into: Set<String>()) { $0.formUnion($1.referencedFields) }
        case .not(let child): return child.referencedFields
        }
    }

    /// Whether checking this node reads a record's message (words, phrases, message prefixes and regexes).
    var readsMessage: Bool {
        switch self {
        case .all: return false
        case .filter(let filter):
            switch filter {
            case .messageWords: return true
            case .fieldPrefix(let field, _), .fieldExists(let field), .regex(let field, _):
                return field == Term.messageField
            case .fieldEquals(let field, _): return field == Term.messageField
            case .numericRange, .timeRange: return false
            }
        case .and(let children), .or(let children): return children.contains { $0.readsMessage }
        case .not(let child): return child.readsMessage
        }
    }

    /// An AND of filters the index decides exactly and of message-only filters, split in the two: the
    /// first part's candidates need no check, the second is checked on message bytes in place.
    var indexedAndMessageParts: (indexed: QueryNode, message: [Filter])? {
        guard case .and(let children) = self else { return nil }
        var indexed: [QueryNode] = []
        var message: [Filter] = []
        for child in children {
            guard case .filter(let filter) = child else { return nil }
            if filter.needsMessageOnly {
                message.append(filter)
            } else if filter.isDecidedByIndex {
                indexed.append(child)
            } else {
                return nil
            }
        }
        guard !indexed.isEmpty, !message.isEmpty else { return nil }
        return (indexed.count == 1 ? indexed[0] : .and(indexed), message)
    }
}

extension Query {
    public func matches(_ record: LogRecord) -> Bool { root.matches(record) }
}
