/// How a captured field is stored: `%{NUMBER:bytes:int}` makes an integer.
public enum GrokValueType: String, Sendable, Equatable {
    case string, int, float

    init(parsing text: String?, field: String, context: String) throws(GrokError) {
        switch text {
        case nil, "", "string": self = .string
        case "int": self = .int
        case "float": self = .float
        case let other?: throw .unknownType(other, field: field, usedIn: context)
        }
    }
}

/// One named capture of a grok expression.
public struct GrokCapture: Sendable, Equatable {
    /// The field the capture fills, e.g. `clientip` or `http.request.method`.
    public let field: String
    public let type: GrokValueType
    /// The synthetic PCRE2 group name, `gN`.
    let groupName: String
    /// The PCRE2 group number, filled in after compiling.
    public internal(set) var group: Int = 0
}

/// A grok expression compiled once into a JIT-compiled PCRE2 regex, shared by every worker.
public final class GrokPattern: Sendable {
    public let expression: String
    /// The expanded PCRE2 source, for `logq patterns test` and error reports.
    public let expandedRegex: String
    public let regex: PCRE2Regex
    public let captures: [GrokCapture]
    /// Distinct field names in capture order; `fieldIndex[i]` is capture `i`'s index into it.
    public let fieldNames: [String]
    public let fieldIndex: [Int]

    init(expression: String, expandedRegex: String, regex: PCRE2Regex, captures: [GrokCapture]) {
        self.expression = expression
        self.expandedRegex = expandedRegex
        self.regex = regex
        let numbers = Dictionary(regex.groupNames.map { ($0.name, $0.number) }, uniquingKeysWith: { first, _ in first })
        self.captures = captures.map { capture in
            var resolved = capture
            resolved.group = numbers[capture.groupName] ?? 0
            return resolved
        }
        var names: [String] = []
        var positions: [String: Int] = [:]
        var indexes: [Int] = []
        for capture in captures {
            if let known = positions[capture.field] {
                indexes.append(known)
            } else {
                positions[capture.field] = names.count
                indexes.append(names.count)
                names.append(capture.field)
            }
        }
        fieldNames = names
        fieldIndex = indexes
    }
}
