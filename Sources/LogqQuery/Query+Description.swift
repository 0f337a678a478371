extension Query: CustomStringConvertible {
    /// Canonical syntax: parsing it gives back an equal query.
    public var description: String {
        filters.isEmpty ? "*" : filters.map(\.description).joined(separator: " ")
    }
}

extension Filter: CustomStringConvertible {
    public var description: String {
        switch self {
        case .fieldEquals(let field, let value):
            return "\(field):\(Self.quotedIfNeeded(value))"
        case .messageWords(let text, let tokens):
            return tokens.count == 1 && text == tokens[0] ? text : Self.quoted(text)
        }
    }

    static func quotedIfNeeded(_ value: String) -> String {
        let looksLikeOtherSyntax =
            value.hasSuffix("*") || value.hasPrefix(">") || value.hasPrefix("<") || value.hasPrefix("[")
            || value.hasPrefix("-") || value.hasPrefix("/")
        let plain =
            !value.isEmpty && value.unicodeScalars.allSatisfy { !QueryParser.isSpecial($0) }
            && !QueryParser.keywords.contains(value) && !looksLikeOtherSyntax
        return plain ? value : quoted(value)
    }

    static func quoted(_ value: String) -> String {
        var result = "\""
        for character in value {
            if character == "\"" || character == "\\" { result.append("\\") }
            result.append(character)
        }
        return result + "\""
    }
}
