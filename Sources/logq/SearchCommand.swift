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

    @Option(name: [.short, .long], help: "At most this many records (default 100; 10 with --follow).")
    var limit: Int?

    @Option(
        name: [.short, .long],
        help: "text (time, level, service, message), json (one object per line) or raw (message only).")
    var output: OutputFormat = .text

    @Flag(name: [.short, .long], help: "Print only how many records match.")
    var count = false

    @Flag(name: [.short, .long], help: "Oldest first instead of newest first.")
    var reverse = false

    @Flag(
        name: [.short, .long], help: "Live tail: the newest --limit records (default 10), then new ones as they arrive."
    )
    var follow = false

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
        let limit = self.limit ?? (follow ? 10 : 100)
        if reverse && !parsed.pipes.isEmpty {
            printError("--reverse orders records; for a pipeline use | sort by (…)")
            throw ExitCode(ExitStatus.badQuery)
        }
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
        if follow {
            guard parsed.pipes.isEmpty, !count else {
                printError("--follow takes a filter without pipes and without --count")
                throw ExitCode(ExitStatus.badQuery)
            }
            try await Self.follow(query: query, limit: limit, server: server, output: output)
            return
        }
        let path = count ? "/api/v1/count" : "/api/v1/search"
        var parameters = [URLQueryItem(name: "q", value: query)]
        if !count { parameters.append(URLQueryItem(name: "limit", value: String(limit))) }
        if reverse {
            parameters.append(URLQueryItem(name: "order", value: "asc"))
        }
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

extension SearchCommand {
    /// The tail is opened first and its lines held back, then the newest `limit` records are printed
    /// (oldest of them first) and the held lines follow, skipping any the backlog already showed.
    static func follow(query: String, limit: Int, server: ServerClient, output: OutputFormat) async throws {
        guard var components = URLComponents(string: server.baseURL + "/api/v1/tail") else {
            printError("LOGQ_URL is not a URL: '\(server.baseURL)'")
            throw ExitCode(ExitStatus.noServer)
        }
        components.queryItems = [URLQueryItem(name: "q", value: query)]
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        let printer = RecordPrinter(format: output, colour: isatty(STDOUT_FILENO) == 1)
        let state = FollowState()
        let ended = AsyncStream<(Error?, Int)>.makeStream()
        let tail = LiveTail(
            onLine: { line in state.deliver(line, printer: printer) },
            onEnd: { error, status in
                ended.continuation.yield((error, status))
                ended.continuation.finish()
            })
        let session = URLSession(configuration: .default, delegate: tail, delegateQueue: nil)
        var request = URLRequest(url: components.url!)
        request.timeoutInterval = 365 * 86_400
        if let token = ProcessInfo.processInfo.environment["LOGQ_TOKEN"] {
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        }
        session.dataTask(with: request).resume()

        let backlog = try await server.get(
            "/api/v1/search",
            [URLQueryItem(name: "q", value: query), URLQueryItem(name: "limit", value: String(limit))],
            query: query)
        let lines = backlog.split(separator: UInt8(ascii: "\n")).map { Data($0) }
        state.startAfter(Array(lines.reversed()), printer: printer)
        for await (error, status) in ended.stream {
            if let error {
                printError("the live tail ended: \(error.localizedDescription)")
                throw ExitCode(ExitStatus.noServer)
            }
            if status != 200 {
                printError("logqd answered HTTP \(status) to the live tail")
                throw ExitCode(ExitStatus.serverError)
            }
        }
    }
}

/// Lines of the tail that arrive before the backlog is printed wait here; after it, they print at once.
final class FollowState: @unchecked Sendable {
    private let lock = NSLock()
    private var held: [Data] = []
    private var seen: Set<Data>?

    func deliver(_ line: Data, printer: RecordPrinter) {
        lock.lock()
        defer { lock.unlock() }
        guard let seen else {
            held.append(line)
            return
        }
        if !seen.contains(line) {
            printer.print(line: line)
            // A tail piped into another program must not sit in stdout's buffer.
            fflush(nil)
        }
    }

    func startAfter(_ backlog: [Data], printer: RecordPrinter) {
        lock.lock()
        defer { lock.unlock() }
        for line in backlog { printer.print(line: line) }
        let shown = Set(backlog)
        for line in held where !shown.contains(line) { printer.print(line: line) }
        held = []
        seen = shown
        fflush(nil)
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
