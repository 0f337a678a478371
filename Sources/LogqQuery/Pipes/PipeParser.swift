extension QueryParser {
    /// `| pipe | pipe …` after the filter, up to the end of the text.
    mutating func parsePipes() throws(QueryError) -> [QueryPipe] {
        var pipes: [QueryPipe] = []
        while true {
            skipSpace()
            guard position < scalars.count else { return pipes }
            guard scalars[position] == "|" else {
                throw QueryError(message: "expected '|' before the next pipe", position: position)
            }
            position += 1
            skipSpace()
            let start = position
            let name = readIdentifier()
            switch name {
            case "count":
                pipes.append(.count(by: try parseOptionalBy()))
            case "top":
                let count = try parseCount(after: "top")
                let by = try parseOptionalBy()
                guard !by.isEmpty else { throw QueryError(message: "top needs by (field, …)", position: position) }
                pipes.append(.top(count, by: by))
            case "stats":
                var functions: [StatsFunction] = []
                while true {
                    skipSpace()
                    let functionStart = position
                    let word = readIdentifier()
                    guard !word.isEmpty else { break }
                    if word == "by" {
                        position = functionStart
                        break
                    }
                    functions.append(try parseStatsFunction(word, at: functionStart))
                }
                guard !functions.isEmpty else {
                    throw QueryError(
                        message:
                            "stats needs functions: count() sum(f) avg(f) min(f) max(f) p50(f)…p99(f) count_uniq(f)",
                        position: position)
                }
                pipes.append(.stats(functions, by: try parseOptionalBy()))
            case "histogram":
                skipSpace()
                let stepStart = position
                let text = readIdentifier()
                guard let step = Self.duration(text) else {
                    throw QueryError(
                        message: "histogram needs a bucket width such as 1m, 5m or 1h", position: stepStart)
                }
                pipes.append(.histogram(step: step, by: try parseOptionalBy()))
            case "sort":
                skipSpace()
                guard readIdentifier() == "by" else {
                    throw QueryError(message: "expected: sort by (field [desc], …)", position: start)
                }
                var keys: [SortKey] = []
                for item in try parseList(requireParentheses: true, allowingDesc: true) {
                    keys.append(SortKey(item.name, descending: item.descending))
                }
                pipes.append(.sort(keys))
            case "limit":
                pipes.append(.limit(try parseCount(after: "limit")))
            case "fields":
                pipes.append(.fields(try parseList(requireParentheses: false, allowingDesc: false).map(\.name)))
            case "":
                throw QueryError(message: "a pipe is missing after '|'", position: start)
            default:
                throw QueryError(
                    message: "unknown pipe '\(name)': use count, top, stats, histogram, sort, limit or fields",
                    position: start)
            }
        }
    }

    /// Field names, `_time` and function columns: letters, digits and `_ . - @`; also `p95(f)` as one name.
    mutating func readIdentifier() -> String {
        var text = String.UnicodeScalarView()
        while position < scalars.count {
            let scalar = scalars[position]
            let isNamePart =
                scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || ["_", ".", "-", "@"].contains(scalar)
            guard isNamePart else { break }
            text.append(scalar)
            position += 1
        }
        // A function column in sort or fields: `count()`, `p95(duration_ms)`.
        if !text.isEmpty, position < scalars.count, scalars[position] == "(", !["by"].contains(String(text)) {
            let save = position
            position += 1
            let inner = readIdentifier()
            if position < scalars.count, scalars[position] == ")" {
                position += 1
                return String(text) + "(" + inner + ")"
            }
            position = save
        }
        return String(text)
    }

    private mutating func parseCount(after pipe: String) throws(QueryError) -> Int {
        skipSpace()
        let start = position
        let text = readIdentifier()
        guard let count = Int(text), count > 0 else {
            throw QueryError(message: "\(pipe) needs a positive whole number", position: start)
        }
        return count
    }

    private mutating func parseOptionalBy() throws(QueryError) -> [String] {
        skipSpace()
        let start = position
        guard readIdentifier() == "by" else {
            position = start
            return []
        }
        return try parseList(requireParentheses: true, allowingDesc: false).map(\.name)
    }

    private mutating func parseList(
        requireParentheses: Bool, allowingDesc: Bool
    ) throws(QueryError) -> [(name: String, descending: Bool)] {
        skipSpace()
        let open = position < scalars.count && scalars[position] == "("
        if open {
            position += 1
        } else if requireParentheses {
            throw QueryError(message: "expected '(' and a list of fields", position: position)
        }
        var items: [(name: String, descending: Bool)] = []
        while true {
            skipSpace()
            let start = position
            let name = readIdentifier()
            guard !name.isEmpty else { throw QueryError(message: "a field name is missing here", position: start) }
            skipSpace()
            var descending = false
            if allowingDesc {
                let save = position
                let word = readIdentifier()
                if word == "desc" {
                    descending = true
                } else if word != "asc" {
                    position = save
                }
                skipSpace()
            }
            items.append((QueryParser.messageFields.contains(name) ? "_msg" : name, descending))
            guard position < scalars.count, scalars[position] == "," else { break }
            position += 1
        }
        if open {
            guard position < scalars.count, scalars[position] == ")" else {
                throw QueryError(message: "missing ')' to close the list", position: position)
            }
            position += 1
        }
        return items
    }

    private mutating func parseStatsFunction(_ word: String, at start: Int) throws(QueryError) -> StatsFunction {
        guard let open = word.firstIndex(of: "("), word.hasSuffix(")") else {
            throw QueryError(message: "expected a function such as count() or p95(field)", position: start)
        }
        let name = String(word[..<open])
        let field = String(word[word.index(after: open)..<word.index(before: word.endIndex)])
        let kind: StatsFunction.Kind
        switch name {
        case "count": kind = .count
        case "sum": kind = .sum
        case "avg": kind = .avg
        case "min": kind = .min
        case "max": kind = .max
        case "count_uniq": kind = .countUniq
        default:
            guard name.hasPrefix("p"), let percent = Double(name.dropFirst()), percent > 0, percent < 100 else {
                throw QueryError(
                    message: "unknown function '\(name)': count sum avg min max p50 p90 p95 p99 count_uniq",
                    position: start)
            }
            kind = .quantile(percent / 100)
        }
        if kind == .count {
            guard field.isEmpty else { throw QueryError(message: "count() takes no field", position: start) }
            return StatsFunction(.count, nil)
        }
        guard !field.isEmpty else { throw QueryError(message: "\(name)() needs a field", position: start) }
        return StatsFunction(kind, QueryParser.messageFields.contains(field) ? "_msg" : field)
    }
}
