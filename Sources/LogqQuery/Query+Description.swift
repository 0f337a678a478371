import LogqIndex

extension Query: CustomStringConvertible {
    /// Canonical syntax: parsing it gives back an equal query.
    public var description: String {
        ([root.description] + pipes.map(\.description)).joined(separator: " | ")
    }
}

extension QueryNode: CustomStringConvertible {
    public var description: String {
        switch self {
        case .all: return "*"
        case .filter(let filter): return filter.description
        case .and(let children):
            return children.map { child in
                if case .or = child { return "(\(child))" }
                return child.description
            }.joined(separator: " ")
        case .or(let children): return children.map(\.description).joined(separator: " OR ")
        case .not(let child):
            switch child {
            case .and, .or: return "NOT (\(child))"
            default: return "NOT \(child)"
            }
        }
    }
}

extension Filter: CustomStringConvertible {
    public var description: String {
        switch self {
        case .fieldEquals(let field, let value):
            return "\(field):\(Self.quotedIfNeeded(value))"
        case .messageWords(let text, let tokens):
            return tokens.count == 1 && text == tokens[0] && !QueryParser.keywords.contains(text)
                ? text : Self.quoted(text)
        case .fieldPrefix(let field, let prefix):
            return "\(field):\(Self.escaped(prefix))*"
        case .fieldExists(let field):
            return "\(field):*"
        case .regex(let field, let regex):
            return (field == Term.messageField ? "" : "\(field):") + "/\(regex.pattern)/"
        case .timeRange(let from, let to):
            let lower = from.map(TimestampFormat.rfc3339) ?? "*"
            let upper = to.map(TimestampFormat.rfc3339) ?? "*"
            return "_time:[\(lower) TO \(upper)]"
        case .numericRange(let field, let range):
            func bound(_ value: Double) -> String {
                switch range.unit {
                case .plain: return Self.number(value)
                case .seconds: return Self.number(value) + "s"
                case .bytes: return Self.number(value) + "B"
                }
            }
            switch (range.lower, range.upper) {
            case (let lower?, let upper?) where range.lowerInclusive && range.upperInclusive:
                return "\(field):[\(bound(lower)) TO \(bound(upper))]"
            case (let lower?, nil):
                return "\(field):\(range.lowerInclusive ? ">=" : ">")\(bound(lower))"
            case (nil, let upper?):
                return "\(field):\(range.upperInclusive ? "<=" : "<")\(bound(upper))"
            default:
                // Half-open two-sided ranges have no syntax of their own: print them as an AND of two.
                return "\(field):\(range.lowerInclusive ? ">=" : ">")\(bound(range.lower ?? 0)) "
                    + "\(field):\(range.upperInclusive ? "<=" : "<")\(bound(range.upper ?? 0))"
            }
        }
    }

    static func number(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : value.description
    }

    static func quotedIfNeeded(_ value: String) -> String {
        let looksLikeOtherSyntax =
            value.hasSuffix("*") || value.hasPrefix(">") || value.hasPrefix("<") || value.hasPrefix("[")
            || value.hasPrefix("-") || value.hasPrefix("/") || value.hasPrefix("(")
        let plain =
            !value.isEmpty && value.unicodeScalars.allSatisfy { !QueryParser.isSpecial($0) }
            && !QueryParser.keywords.contains(value) && !looksLikeOtherSyntax
        return plain ? value : quoted(value)
    }

    /// A bare prefix with the special characters escaped.
    static func escaped(_ value: String) -> String {
        var result = ""
        for scalar in value.unicodeScalars {
            if QueryParser.isSpecial(scalar) || scalar == "*" { result.append("\\") }
            result.unicodeScalars.append(scalar)
        }
        return result
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
