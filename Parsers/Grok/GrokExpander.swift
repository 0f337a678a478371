/// Expands a grok expression into one PCRE2 regex: `%{NAME}` becomes `(?:definition)`,
/// `%{NAME:field}` and `%{NAME:field:int|float}` a group named `gN`, `%{NAME:field=regex}` defines the
/// pattern inline. An inline `(?<name>…)` in a definition is a field too. Group names are synthetic
/// because field names such as `[http][request][method]` or `@timestamp` are not legal PCRE2 names.
///
/// With `compatibility` on, the Oniguruma constructs that Logstash's pattern files rely on and PCRE2
/// reads differently are rewritten: `\h` (a hex digit), nested character classes (a union), `[:alnum:]`
/// on non-ASCII text, `.?*` and `(?m)` (dot matches newline).
struct GrokExpander {
    let library: GrokPatternLibrary
    let compatibility: Bool
    private(set) var output: [UInt8] = []
    private(set) var captures: [GrokCapture] = []
    /// Definitions in the order they were first expanded, to find the one PCRE2 rejects.
    private(set) var used: [String] = []
    private var stack: [String] = []

    init(library: GrokPatternLibrary, compatibility: Bool) {
        self.library = library
        self.compatibility = compatibility
    }

    mutating func expand(_ text: String, context: String) throws(GrokError) {
        try expand(Array(text.utf8), context: context)
    }

    private mutating func expand(_ text: [UInt8], context: String) throws(GrokError) {
        var index = 0
        var inClass = false
        var classStart = 0
        var nestedClasses = 0
        func at(_ offset: Int) -> UInt8 { index + offset < text.count ? text[index + offset] : 0 }

        while index < text.count {
            let byte = text[index]
            if byte == UInt8(ascii: "\\"), index + 1 < text.count {
                let next = text[index + 1]
                if compatibility, next == UInt8(ascii: "h") {
                    emit(inClass ? "0-9a-fA-F" : "[0-9a-fA-F]")
                } else if compatibility, next == UInt8(ascii: "H"), !inClass {
                    emit("[^0-9a-fA-F]")
                } else {
                    output.append(byte)
                    output.append(next)
                }
                index += 2
                continue
            }
            if inClass {
                let atClassStart = index == classStart
                if byte == UInt8(ascii: "["), at(1) == UInt8(ascii: ":"),
                    let end = Self.find(Array(":]".utf8), in: text, from: index + 2)
                {
                    let name = String(decoding: text[(index + 2)..<end], as: UTF8.self)
                    if compatibility, let unicode = Self.unicodeClasses[name] {
                        emit(unicode)
                    } else {
                        output.append(contentsOf: text[index..<(end + 2)])
                    }
                    index = end + 2
                    continue
                }
                if byte == UInt8(ascii: "["), compatibility {
                    // Oniguruma reads a class inside a class as a union; PCRE2 as a literal `[`.
                    nestedClasses += 1
                    index += 1
                    continue
                }
                if byte == UInt8(ascii: "]"), !atClassStart {
                    if nestedClasses > 0 {
                        nestedClasses -= 1
                    } else {
                        inClass = false
                        output.append(byte)
                    }
                    index += 1
                    continue
                }
                output.append(byte)
                index += 1
                continue
            }
            switch byte {
            case UInt8(ascii: "["):
                inClass = true
                output.append(byte)
                index += 1
                if at(0) == UInt8(ascii: "^") {
                    output.append(UInt8(ascii: "^"))
                    index += 1
                }
                classStart = index
            case UInt8(ascii: "%") where at(1) == UInt8(ascii: "{"):
                if let consumed = try reference(in: text, at: index, context: context) {
                    index += consumed
                } else {
                    output.append(byte)
                    index += 1
                }
            case UInt8(ascii: "(") where at(1) == UInt8(ascii: "?"):
                if let consumed = inlineNamedGroup(in: text, at: index) {
                    index += consumed
                } else if compatibility, Self.starts(text, at: index, with: "(?m)") {
                    emit("(?s)")
                    index += 4
                } else {
                    output.append(byte)
                    index += 1
                }
            case UInt8(ascii: ".") where compatibility && at(1) == UInt8(ascii: "?") && at(2) == UInt8(ascii: "*"):
                // Oniguruma repeats `.?`; PCRE2 rejects a quantifier after a quantifier.
                emit("(?:.?)*")
                index += 3
            default:
                output.append(byte)
                index += 1
            }
        }
    }

    /// `%{NAME}`, `%{NAME:field}`, `%{NAME:field:type}`, `%{NAME:field=regex}`; anything else up to `}` is
    /// ignored, as Logstash's reference regex does. Returns the bytes consumed, nil when not a reference.
    private mutating func reference(in text: [UInt8], at start: Int, context: String) throws(GrokError) -> Int? {
        var index = start + 2
        let nameStart = index
        while index < text.count, GrokPatternLibrary.isNameByte(text[index]) { index += 1 }
        guard index > nameStart else { return nil }
        let name = String(decoding: text[nameStart..<index], as: UTF8.self)
        var field: String?
        var type: String?
        var inline: String?
        if index < text.count, text[index] == UInt8(ascii: ":") {
            index += 1
            let fieldStart = index
            while index < text.count, Self.isFieldByte(text[index]) { index += 1 }
            field = String(decoding: text[fieldStart..<index], as: UTF8.self)
            if index < text.count, text[index] == UInt8(ascii: ":") {
                index += 1
                let typeStart = index
                while index < text.count, GrokPatternLibrary.isNameByte(text[index]) { index += 1 }
                type = String(decoding: text[typeStart..<index], as: UTF8.self)
            }
        }
        if index < text.count, text[index] == UInt8(ascii: "=") {
            index += 1
            let definitionStart = index
            while index < text.count, text[index] != UInt8(ascii: "}") {
                index += text[index] == UInt8(ascii: "\\") ? 2 : 1
            }
            inline = String(decoding: text[definitionStart..<min(index, text.count)], as: UTF8.self)
        }
        while index < text.count, text[index] != UInt8(ascii: "}") { index += 1 }
        guard index < text.count else { return nil }
        index += 1

        let definition: String
        if let inline {
            definition = inline
        } else if let known = library[name] {
            definition = known.regex
        } else {
            throw .unknownPattern(name, usedIn: context)
        }
        if stack.contains(name) { throw .recursiveDefinition(chain: stack + [name]) }
        if inline == nil, !used.contains(name) { used.append(name) }

        if let field, !field.isEmpty {
            let valueType = try GrokValueType(parsing: type, field: field, context: context)
            openCapture(field: Self.fieldName(field), type: valueType)
        } else {
            emit("(?:")
        }
        stack.append(name)
        try expand(Array(definition.utf8), context: name)
        stack.removeLast()
        emit(")")
        return index - start
    }

    /// `(?<name>`, `(?P<name>` or `(?'name'` — but not the look-behinds `(?<=` and `(?<!`.
    private mutating func inlineNamedGroup(in text: [UInt8], at start: Int) -> Int? {
        var index = start + 2
        if index < text.count, text[index] == UInt8(ascii: "P") { index += 1 }
        guard index < text.count, text[index] == UInt8(ascii: "<") || text[index] == UInt8(ascii: "'") else {
            return nil
        }
        let close = text[index] == UInt8(ascii: "<") ? UInt8(ascii: ">") : UInt8(ascii: "'")
        index += 1
        guard index < text.count, text[index] != UInt8(ascii: "="), text[index] != UInt8(ascii: "!") else {
            return nil
        }
        let nameStart = index
        while index < text.count, text[index] != close { index += 1 }
        guard index < text.count, index > nameStart else { return nil }
        openCapture(field: Self.fieldName(String(decoding: text[nameStart..<index], as: UTF8.self)), type: .string)
        return index + 1 - start
    }

    private mutating func openCapture(field: String, type: GrokValueType) {
        let groupName = "g\(captures.count + 1)"
        captures.append(GrokCapture(field: field, type: type, groupName: groupName))
        emit("(?<\(groupName)>")
    }

    private mutating func emit(_ text: String) { output.append(contentsOf: text.utf8) }

    /// Logstash's ECS names `[http][request][method]` become `http.request.method`.
    static func fieldName(_ raw: String) -> String {
        guard raw.hasPrefix("[") else { return raw }
        return raw.split(whereSeparator: { $0 == "[" || $0 == "]" }).joined(separator: ".")
    }

    static func isFieldByte(_ byte: UInt8) -> Bool {
        GrokPatternLibrary.isNameByte(byte) || byte == UInt8(ascii: "@") || byte == UInt8(ascii: "[")
            || byte == UInt8(ascii: "]") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
    }

    static let unicodeClasses = ["alnum": #"\p{L}\p{M}\p{Nd}"#, "alpha": #"\p{L}\p{M}"#]

    static func starts(_ text: [UInt8], at index: Int, with prefix: String) -> Bool {
        let bytes = Array(prefix.utf8)
        return index + bytes.count <= text.count && Array(text[index..<(index + bytes.count)]) == bytes
    }

    static func find(_ needle: [UInt8], in text: [UInt8], from start: Int) -> Int? {
        guard needle.count <= text.count else { return nil }
        var index = start
        while index + needle.count <= text.count {
            if text[index] == needle[0], Array(text[index..<(index + needle.count)]) == needle { return index }
            index += 1
        }
        return nil
    }
}
