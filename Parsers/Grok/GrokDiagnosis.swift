/// Says which part of a grok expression a line fails at, as Kibana's Grok Debugger lets one find by
/// hand: the longest leading run of the expression's parts that still matches, and the part after it.
public enum GrokDiagnosis {
    public struct Mismatch: Sendable, Equatable, CustomStringConvertible {
        /// The parts of the expression that matched, and the bytes of the line they took.
        public let matchedParts: String
        public let matchedBytes: Int
        /// The first part that does not match there, nil when even the first part fails.
        public let failingPart: String?

        public var description: String {
            guard let failingPart else { return "the expression does not match from its first part" }
            return "matched \(matchedParts) over the first \(matchedBytes) bytes; then \(failingPart) does not match"
        }
    }

    /// Nil when the expression matches, or cannot be split (a top-level `|`).
    public static func explain(
        _ expression: String, line: String, compiler: GrokCompiler
    ) -> Mismatch? {
        var source = expression
        // Look inside `%{NAME}` wrappers such as a pack's `%{SPRINGBOOT_LINE}`.
        while let name = singleReference(source), let definition = compiler.library[name] { source = definition.regex }
        let parts = topLevelParts(source)
        guard parts.count > 1, !parts.contains("|") else { return nil }
        if let whole = try? compiler.compile(source), GrokMatcher(pattern: whole).values(in: line) != nil { return nil }
        for count in stride(from: parts.count - 1, through: 1, by: -1) {
            let prefix = parts[..<count].joined()
            guard let pattern = try? compiler.compile(prefix) else { continue }
            var text = line
            let matched = text.withUTF8 { buffer -> Int? in
                let matcher = PCRE2Matcher(regex: pattern.regex)
                if case .match(let range) = matcher.firstMatch(in: UnsafeRawBufferPointer(buffer)) {
                    return range.upperBound
                }
                return nil
            }
            if let matched { return Mismatch(matchedParts: prefix, matchedBytes: matched, failingPart: parts[count]) }
        }
        return Mismatch(matchedParts: "", matchedBytes: 0, failingPart: nil)
    }

    static func singleReference(_ text: String) -> String? {
        guard text.hasPrefix("%{"), text.hasSuffix("}"), text.filter({ $0 == "}" }).count == 1 else { return nil }
        let inner = text.dropFirst(2).dropLast()
        return inner.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } ? String(inner) : nil
    }

    /// Splits a regex into its top-level parts: a `%{…}` reference, a group, a class, an escape or a
    /// character, each with its quantifier.
    static func topLevelParts(_ text: String) -> [String] {
        let characters = Array(text)
        var parts: [String] = []
        var index = 0
        while index < characters.count {
            let start = index
            switch characters[index] {
            case "\\":
                index += 2
            case "%" where index + 1 < characters.count && characters[index + 1] == "{":
                while index < characters.count, characters[index] != "}" { index += 1 }
                index += 1
            case "[":
                index += 1
                if index < characters.count, characters[index] == "^" { index += 1 }
                if index < characters.count, characters[index] == "]" { index += 1 }
                while index < characters.count, characters[index] != "]" {
                    index += characters[index] == "\\" ? 2 : 1
                }
                index += 1
            case "(":
                var depth = 0
                var inClass = false
                while index < characters.count {
                    let character = characters[index]
                    if character == "\\" {
                        index += 2
                        continue
                    }
                    if inClass {
                        if character == "]" { inClass = false }
                    } else if character == "[" {
                        inClass = true
                    } else if character == "(" {
                        depth += 1
                    } else if character == ")" {
                        depth -= 1
                        if depth == 0 {
                            index += 1
                            break
                        }
                    }
                    index += 1
                }
            default:
                index += 1
            }
            index = min(index, characters.count)
            // The quantifier belongs to the part before it.
            while index < characters.count, "*+?".contains(characters[index]) { index += 1 }
            if index < characters.count, characters[index] == "{",
                let close = characters[index...].firstIndex(of: "}"),
                characters[(index + 1)..<close].allSatisfy({ $0.isNumber || $0 == "," })
            {
                index = close + 1
                while index < characters.count, "+?".contains(characters[index]) { index += 1 }
            }
            parts.append(String(characters[start..<index]))
        }
        return parts
    }
}
