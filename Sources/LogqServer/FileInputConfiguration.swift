import LogqIngest
import LogqParsers
import LogqQuery

/// One `inputs:` entry, as written in the YAML file:
/// `{type: file, paths: [globs], service, parser, multiline: {pattern, negate, match, max_lines,
/// timeout_seconds}, include_lines, exclude_lines, fields}`.
public struct FileInputConfiguration: Sendable, Equatable {
    public var name: String
    public var paths: [String]
    public var service: String?
    public var parser: String?
    public var multiline: MultilineSettings?
    public var includeLines: [String] = []
    public var excludeLines: [String] = []
    public var fields: [String: String] = [:]
    public var closeInactiveSeconds: Int64 = 300

    static let keys: Set<String> = [
        "type", "name", "paths", "service", "parser", "multiline", "include_lines", "exclude_lines", "fields",
        "close_inactive",
    ]

    init?(_ entry: [String: Any], index: Int, problems: inout [String]) {
        let place = "inputs[\(index)]"
        let before = problems.count
        for key in entry.keys where !Self.keys.contains(key) {
            problems.append("\(place).\(key): unknown key (known: \(Self.keys.sorted().joined(separator: ", ")))")
        }
        if entry["type"] as? String != "file" { problems.append("\(place).type: must be file") }
        name = entry["name"] as? String ?? "file-\(index)"
        paths = entry["paths"] as? [String] ?? []
        if paths.isEmpty { problems.append("\(place).paths: must be a list of file globs") }
        service = entry["service"] as? String
        parser = entry["parser"] as? String
        if let parser, BuiltinPacks.named(parser) == nil {
            problems.append(
                "\(place).parser: must name a pack: " + BuiltinPacks.all.map(\.name).joined(separator: ", "))
        }
        for key in ["include_lines", "exclude_lines"] {
            guard let value = entry[key] else { continue }
            guard let patterns = value as? [String] else {
                problems.append("\(place).\(key): must be a list of regular expressions")
                continue
            }
            for pattern in patterns where (try? PCRE2Regex(pattern)) == nil {
                problems.append("\(place).\(key): '\(pattern)' is not a valid regular expression")
            }
            if key == "include_lines" { includeLines = patterns } else { excludeLines = patterns }
        }
        if let value = entry["fields"] {
            if let mapping = value as? [String: Any] {
                fields = mapping.mapValues { "\($0)" }
            } else {
                problems.append("\(place).fields: must be a mapping of names to values")
            }
        }
        if let value = entry["close_inactive"] {
            let text = value as? String ?? (value as? Int).map { "\($0)s" } ?? ""
            if let nanoseconds = Quantities.nanoseconds(text), nanoseconds >= 1_000_000_000 {
                closeInactiveSeconds = nanoseconds / 1_000_000_000
            } else {
                problems.append("\(place).close_inactive: must be a duration of at least 1s, such as 5m")
            }
        }
        if let value = entry["multiline"] {
            guard let section = value as? [String: Any], let pattern = section["pattern"] as? String,
                (try? PCRE2Regex(pattern)) != nil
            else {
                problems.append("\(place).multiline: needs pattern (a valid regular expression)")
                return nil
            }
            let match = MultilineSettings.Attach(rawValue: section["match"] as? String ?? "after")
            if match == nil { problems.append("\(place).multiline.match: must be after or before") }
            multiline = MultilineSettings(
                pattern: pattern, negate: section["negate"] as? Bool ?? false, match: match ?? .after,
                maxLines: section["max_lines"] as? Int ?? 500,
                flushTimeoutNanoseconds: Int64(section["timeout_seconds"] as? Int ?? 5) * 1_000_000_000)
        }
        if problems.count > before { return nil }
    }

    public static func == (lhs: FileInputConfiguration, rhs: FileInputConfiguration) -> Bool {
        lhs.name == rhs.name && lhs.paths == rhs.paths && lhs.service == rhs.service && lhs.parser == rhs.parser
            && lhs.multiline == rhs.multiline && lhs.includeLines == rhs.includeLines
            && lhs.excludeLines == rhs.excludeLines && lhs.fields == rhs.fields
            && lhs.closeInactiveSeconds == rhs.closeInactiveSeconds
    }

    func fileInput(library: GrokPatternLibrary) throws(GrokError) -> FileInput {
        let pack = try parser.flatMap { name throws(GrokError) in
            try BuiltinPacks.named(name).map { pack throws(GrokError) in try CompiledPack(pack: pack, library: library)
            }
        }
        return FileInput(
            name: name, paths: paths, service: service, parser: pack, multiline: multiline,
            includeLines: includeLines, excludeLines: excludeLines, fields: fields.sorted { $0.key < $1.key },
            closeInactiveNanoseconds: closeInactiveSeconds * 1_000_000_000)
    }
}
