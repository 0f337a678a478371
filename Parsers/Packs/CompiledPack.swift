import LogqIndex

/// A pattern pack with its grok expressions compiled and every capture given a role. Shared by all
/// workers; each makes its own `PackParser`.
public final class CompiledPack: Sendable {
    enum Role: Sendable, Equatable {
        /// Lower priority numbers win when several timestamp captures match.
        case timestamp(priority: Int, format: TimestampLayout)
        case level
        case message
        case service
        case host
        case field(GrokValueType)
    }

    public let pack: PatternPack
    public let patterns: [GrokPattern]
    /// Per expression, per capture: its role and its index into `fieldNames`.
    let roles: [[(role: Role, field: Int)]]
    public let fieldNames: [String]
    let levelFromStatusField: Int?
    let levelAliases: [String: LogLevel]

    public init(pack: PatternPack, library: GrokPatternLibrary) throws(GrokError) {
        self.pack = pack
        var names: [String] = []
        var positions: [String: Int] = [:]
        func index(of name: String) -> Int {
            if let known = positions[name] { return known }
            positions[name] = names.count
            names.append(name)
            return names.count - 1
        }
        var compiled: [GrokPattern] = []
        var allRoles: [[(role: Role, field: Int)]] = []
        if case .grok(let expressions) = pack.kind {
            let compiler = GrokCompiler(library: library)
            for expression in expressions {
                let pattern = try compiler.compile(expression, utf: false)
                compiled.append(pattern)
                allRoles.append(
                    pattern.captures.map { capture in
                        let field = index(of: capture.field)
                        if let priority = pack.timestamps.firstIndex(where: { $0.field == capture.field }) {
                            return (.timestamp(priority: priority, format: pack.timestamps[priority].format), field)
                        }
                        switch capture.field {
                        case "level": return (.level, field)
                        case "message": return (.message, field)
                        case "service": return (.service, field)
                        case "host": return (.host, field)
                        default: return (.field(capture.type), field)
                        }
                    })
            }
        }
        patterns = compiled
        roles = allRoles
        levelFromStatusField = pack.levelFromStatus.flatMap { positions[$0] }
        levelAliases = Dictionary(
            uniqueKeysWithValues: pack.levelAliases.map { ($0.key.lowercased(), $0.value) })
        fieldNames = names
    }
}
