import Foundation

/// Named grok definitions, loaded from pattern files in Logstash's format: one `NAME regex` per line,
/// `#` comments and blank lines ignored. A later definition of a name replaces an earlier one, as in
/// Logstash, so an operator's file can override a built-in pattern.
public struct GrokPatternLibrary: Sendable {
    public struct Definition: Sendable, Equatable {
        public let name: String
        public let regex: String
        public let location: GrokSourceLocation
    }

    public private(set) var definitions: [String: Definition] = [:]

    public init() {}

    public subscript(name: String) -> Definition? { definitions[name] }

    public var names: [String] { definitions.keys.sorted() }

    public mutating func define(_ name: String, _ regex: String, location: GrokSourceLocation) {
        definitions[name] = Definition(name: name, regex: regex, location: location)
    }

    /// Adds every definition of one pattern file's text. `file` names it in errors.
    public mutating func add(fileText: String, file: String) throws(GrokError) {
        var lineNumber = 0
        for rawLine in fileText.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = Substring(rawLine)
            if line.last == "\r" { line = line.dropLast() }
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.first == "#" { continue }
            let location = GrokSourceLocation(file: file, line: lineNumber)
            guard let separator = trimmed.firstIndex(where: { $0 == " " || $0 == "\t" }) else {
                throw .malformedDefinition(location, reason: "a name with no regex after it")
            }
            let name = trimmed[..<separator]
            guard name.utf8.allSatisfy(Self.isNameByte) else {
                throw .malformedDefinition(location, reason: "a name may hold only letters, digits and _")
            }
            let regex = trimmed[separator...].drop { $0 == " " || $0 == "\t" }
            guard !regex.isEmpty else {
                throw .malformedDefinition(location, reason: "a name with no regex after it")
            }
            define(String(name), String(regex), location: location)
        }
    }

    /// Loads a pattern file, or every regular file of a directory in name order (as Logstash does).
    public mutating func load(path: String) throws(GrokError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .unreadable(path: path, reason: "no such file or directory")
        }
        var files = [path]
        if isDirectory.boolValue {
            do {
                files = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
                    .filter { !$0.hasPrefix(".") }
                    .map { path + "/" + $0 }
            } catch {
                throw .unreadable(path: path, reason: "\(error)")
            }
        }
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw .unreadable(path: file, reason: "not readable")
            }
            try add(fileText: String(decoding: data, as: UTF8.self), file: file)
        }
    }

    static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"):
            return true
        default:
            return false
        }
    }
}
