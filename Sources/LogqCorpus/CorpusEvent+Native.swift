extension CorpusEvent {
    /// The event as its source writes it to a file: logback's default layout, nginx's combined format
    /// with timings, the MySQL slow query log, or a Python JSON line. Ends with a newline.
    public func nativeText() -> String {
        switch kind {
        case .springBoot:
            let levelText = level.uppercased()
            let padded = String(repeating: " ", count: max(0, 5 - levelText.count)) + levelText
            let thread =
                fields.first { $0.0 == "thread" }.map { value -> String in
                    if case .string(let text) = value.1 { return String(text.suffix(15)) }
                    return "main"
                } ?? "main"
            let logger =
                fields.first { $0.0 == "logger" }.map { value -> String in
                    if case .string(let text) = value.1 { return text }
                    return "app"
                } ?? "app"
            return "\(CorpusTime.logback(timestamp)) \(padded) 1 --- [\(thread)] \(logger) : \(message)\n"
        case .nginxAccess, .mysqlSlow:
            return message + "\n"
        case .pythonJSON:
            return jsonLine() + "\n"
        }
    }

    /// The file a native corpus puts this event in.
    public var nativeFileName: String {
        switch kind {
        case .springBoot: return "\(service).log"
        case .nginxAccess: return "nginx-access.log"
        case .mysqlSlow: return "mysql-slow.log"
        case .pythonJSON: return "\(service).jsonl"
        }
    }
}
