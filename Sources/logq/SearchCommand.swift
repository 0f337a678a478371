import ArgumentParser
import Foundation
import LogqQuery

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

struct SearchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Print the records that match QUERY, newest first (the default subcommand)."
    )

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json, raw
    }

    @Argument(help: "A query, e.g. 'level:error service:order timeout'. See docs/query-language.md.")
    var query: String

    @Option(name: [.short, .long], help: "At most this many records.")
    var limit = 100

    @Option(
        name: [.short, .long],
        help: "text (time, level, service, message), json (one object per line) or raw (message only).")
    var output: OutputFormat = .text

    @Flag(name: [.short, .long], help: "Print only how many records match.")
    var count = false

    @Option(name: .long, help: "The server (default: $LOGQ_URL, else http://127.0.0.1:9900).")
    var url: String?

    @Option(help: "Only records of the last DURATION (15m, 2h, 7d).")
    var since: String?

    @Option(help: "Only records at or after TIME (2026-11-23T09:40; local time unless an offset is given).")
    var from: String?

    @Option(help: "Only records at or before TIME (2026-11-23T09:52; local time unless an offset is given).")
    var to: String?

    mutating func run() async throws {
        // Check the query here first, so a typo gets its caret without a round trip.
        let parsed: Query
        do {
            parsed = try Query.parse(query)
        } catch {
            printError(error.pointing(into: query))
            throw ExitCode(ExitStatus.badQuery)
        }
        let query: String
        do {
            query = try TimeWindow(since: since, from: from, to: to).applied(to: self.query)
        } catch let error as TimeWindow.Invalid {
            printError(error.message)
            throw ExitCode(ExitStatus.badQuery)
        }
        let server = ServerClient(
            baseURL: url ?? ProcessInfo.processInfo.environment["LOGQ_URL"] ?? "http://127.0.0.1:9900")
        let makesTable = parsed.pipes.contains {
            if case .fields = $0 { return true }
            return $0.isAggregation
        }
        if makesTable && !count && output == .text {
            let body = try await server.get(
                "/api/v1/stats",
                [URLQueryItem(name: "q", value: query), URLQueryItem(name: "limit", value: String(limit))],
                query: query)
            try TablePrinter.print(json: body)
            return
        }
        let path = count ? "/api/v1/count" : "/api/v1/search"
        var parameters = [URLQueryItem(name: "q", value: query)]
        if !count { parameters.append(URLQueryItem(name: "limit", value: String(limit))) }
        let body = try await server.get(path, parameters, query: query)
        if count {
            let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any]
            print((object?["count"] as? Int).map(String.init) ?? String(decoding: body, as: UTF8.self))
            return
        }
        let printer = RecordPrinter(format: output, colour: isatty(STDOUT_FILENO) == 1)
        for line in body.split(separator: UInt8(ascii: "\n")) { printer.print(line: Data(line)) }
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
