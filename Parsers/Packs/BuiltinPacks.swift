import LogqIndex

/// The packs logq ships, and the pattern files they are built from (embedded in the binary).
public enum BuiltinPacks {
    static let datePrefix = #"^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}"#

    public static let all: [PatternPack] = [
        PatternPack(
            name: "springboot", summary: "Spring Boot 2 and 3 logback default layout, Java stack traces joined",
            kind: .grok(expressions: ["%{SPRINGBOOT_LINE}"]), patternFiles: ["springboot"],
            timestamps: [("timestamp", .iso8601)],
            multiline: MultilineSettings(pattern: datePrefix, negate: true, match: .after),
            enrichments: [.keyValuePairs, .javaException]),
        PatternPack(
            name: "nginx-access", summary: "nginx combined access log with request_time and upstream times",
            kind: .grok(expressions: ["%{NGINX_ACCESS}"]), patternFiles: ["nginx"], service: "nginx",
            timestamps: [("timestamp", .httpDate)], levelFromStatus: "status"),
        PatternPack(
            name: "nginx-error", summary: "nginx error log, with client, server, request and upstream",
            kind: .grok(expressions: ["%{NGINX_ERROR}"]), patternFiles: ["nginx"], service: "nginx",
            timestamps: [("timestamp", .iso8601)],
            multiline: MultilineSettings(pattern: #"^[0-9]{4}/[0-9]{2}/[0-9]{2} "#, negate: true, match: .after)),
        PatternPack(
            name: "mysql-slow",
            summary: "MySQL slow query log: one event per entry, with times, rows and the tables touched",
            kind: .grok(expressions: ["%{MYSQL_SLOW}"]), patternFiles: ["mysql"], service: "mysql",
            timestamps: [("timestamp", .epoch), ("time", .auto)], defaultLevel: .warn,
            multiline: MultilineSettings(
                pattern: "^# (?:Time|User@Host): ", negate: true, match: .after, leadPattern: "^# Time: "),
            enrichments: [.sqlTables]),
        PatternPack(
            name: "mysql-error", summary: "MySQL 5.5 to 8.x error log",
            kind: .grok(expressions: ["%{MYSQL_ERROR}"]), patternFiles: ["mysql"], service: "mysql",
            timestamps: [("timestamp", .auto)], levelAliases: ["note": .info, "system": .info],
            multiline: MultilineSettings(
                pattern: #"^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{6} )"#, negate: true, match: .after)),
        PatternPack(
            name: "redis", summary: "Redis server log (3.0 and later)",
            kind: .grok(expressions: ["%{REDIS_LINE}"]), patternFiles: ["redis"], service: "redis",
            timestamps: [("timestamp", .redis)],
            levelAliases: [".": .debug, "-": .debug, "*": .info, "#": .warn]),
        PatternPack(
            name: "rabbitmq", summary: "RabbitMQ 3.7 and later, crash reports joined",
            kind: .grok(expressions: ["%{RABBITMQ_LINE}"]), patternFiles: ["rabbitmq"], service: "rabbitmq",
            timestamps: [("timestamp", .iso8601)],
            multiline: MultilineSettings(pattern: datePrefix, negate: true, match: .after)),
        PatternPack(
            name: "elasticsearch", summary: "Elasticsearch plain-text server and slow logs",
            kind: .grok(expressions: ["%{ES_SLOWLOG}", "%{ES_LINE}"]), patternFiles: ["elasticsearch"],
            service: "elasticsearch", timestamps: [("timestamp", .iso8601)],
            multiline: MultilineSettings(pattern: #"^\[[0-9]{4}-[0-9]{2}-[0-9]{2}"#, negate: true, match: .after),
            enrichments: [.javaException]),
        PatternPack(
            name: "python", summary: "Python logging (cookbook, basicConfig and uvicorn formats), tracebacks joined",
            kind: .grok(expressions: ["%{PY_COOKBOOK}", "%{PY_SPACED}", "%{PY_UVICORN}", "%{PY_BASIC}"]),
            patternFiles: ["python"], timestamps: [("timestamp", .iso8601)],
            multiline: MultilineSettings(
                pattern: #"^(?:[0-9]{4}-[0-9]{2}-[0-9]{2} |(?:DEBUG|INFO|WARNING|ERROR|CRITICAL):)"#, negate: true,
                match: .after),
            enrichments: [.keyValuePairs]),
        PatternPack(
            name: "json", summary: "JSON lines: well-known keys to columns, the rest as typed fields",
            kind: .jsonLines),
        PatternPack(
            name: "syslog", summary: "syslog RFC 5424 (structured data as fields) and RFC 3164, with or without <PRI>",
            kind: .syslog),
    ]

    public static func named(_ name: String) -> PatternPack? { all.first { $0.name == name } }

    /// The text of an embedded pattern file.
    public static func patternFile(_ name: String) -> String? {
        let bytes: [UInt8]
        switch name {
        case "base": bytes = PackageResources.base_grok
        case "springboot": bytes = PackageResources.springboot_grok
        case "nginx": bytes = PackageResources.nginx_grok
        case "mysql": bytes = PackageResources.mysql_grok
        case "redis": bytes = PackageResources.redis_grok
        case "rabbitmq": bytes = PackageResources.rabbitmq_grok
        case "elasticsearch": bytes = PackageResources.elasticsearch_grok
        case "python": bytes = PackageResources.python_grok
        default: return nil
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The base set plus every built-in pack's files, then the operator's files (which may override).
    public static func library(extraPaths: [String] = []) throws(GrokError) -> GrokPatternLibrary {
        var library = GrokPatternLibrary()
        for name in ["base"] + Array(Set(all.flatMap(\.patternFiles))).sorted() {
            try library.add(fileText: patternFile(name)!, file: "builtin:\(name).grok")
        }
        for path in extraPaths { try library.load(path: path) }
        return library
    }

    /// Every built-in pack compiled against `library`.
    public static func compileAll(library: GrokPatternLibrary) throws(GrokError) -> [CompiledPack] {
        var packs: [CompiledPack] = []
        for pack in all { packs.append(try CompiledPack(pack: pack, library: library)) }
        return packs
    }
}
