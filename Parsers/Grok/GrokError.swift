/// Where a grok definition came from, so that an error can send the operator to the right line.
public struct GrokSourceLocation: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    public var description: String { "\(file):\(line)" }
}

/// A grok pattern file or expression that cannot be used. Each case names the place to fix.
public enum GrokError: Error, Equatable, CustomStringConvertible {
    /// A line of a pattern file is not `NAME regex`.
    case malformedDefinition(GrokSourceLocation, reason: String)
    /// `%{NAME}` names a pattern no loaded file defines.
    case unknownPattern(String, usedIn: String)
    /// A definition refers back to itself through `%{…}`.
    case recursiveDefinition(chain: [String])
    /// `%{NAME:field:type}` with a type other than int or float.
    case unknownType(String, field: String, usedIn: String)
    /// PCRE2 rejected the expanded regex. `definition` is the pattern it came from, when known.
    case invalidRegex(expression: String, definition: String?, location: GrokSourceLocation?, pcre2Message: String)
    /// A pattern directory or file could not be read.
    case unreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case .malformedDefinition(let location, let reason):
            return "\(location): not a grok definition (\(reason)); expected `NAME regex`"
        case .unknownPattern(let name, let usedIn):
            return "\(usedIn) uses %{\(name)}, which no pattern file defines; load a file that defines it"
        case .recursiveDefinition(let chain):
            return "grok definitions refer to themselves: \(chain.joined(separator: " -> "))"
        case .unknownType(let type, let field, let usedIn):
            return "\(usedIn): field \(field) has type \(type); grok converts only to int or float"
        case .invalidRegex(let expression, let definition, let location, let message):
            let place = definition.map { name in location.map { "\(name) (\($0))" } ?? name } ?? expression
            return "PCRE2 rejects \(place): \(message)"
        case .unreadable(let path, let reason):
            return "cannot read pattern file \(path): \(reason)"
        }
    }
}
