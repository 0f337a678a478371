import LogqIndex

extension Filter {
    /// The exact check every candidate passes through: the index only narrows the candidates.
    public func matches(_ record: LogRecord) -> Bool {
        switch self {
        case .fieldEquals(let field, let value):
            switch field {
            case "level": return record.level?.description == value
            case "service": return record.service == value
            case "host": return record.host == value
            case "source": return record.source == value
            default: return record.fields.contains { $0.name == field && $0.value.canonicalText == value }
            }
        case .messageWords(_, let tokens):
            return Tokenizer.containsSequence(tokens, in: record.message)
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
        }
    }

    /// True when holding the index terms is the same as matching, so counts need no decoding.
    var isDecidedByIndex: Bool {
        switch self {
        case .fieldEquals: return !indexTerms.isEmpty
        case .messageWords(_, let tokens): return tokens.count == 1
        }
    }
}

extension Filter {
    /// Word and phrase filters look at the message alone.
    var needsMessageOnly: Bool {
        if case .messageWords = self { return true }
        return false
    }
}

extension Query {
    public func matches(_ record: LogRecord) -> Bool { filters.allSatisfy { $0.matches(record) } }
}
