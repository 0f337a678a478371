import Foundation

/// Prints NDJSON records from the API in the chosen format; colours only on a terminal.
struct RecordPrinter {
    let format: SearchCommand.OutputFormat
    let colour: Bool

    private static let fixedKeys: Set<String> = ["_time", "level", "service", "host", "source", "message"]

    func print(line: Data) {
        switch format {
        case .json:
            Swift.print(String(decoding: line, as: UTF8.self))
        case .raw, .text:
            guard let object = (try? JSONSerialization.jsonObject(with: line)) as? [String: Any] else {
                Swift.print(String(decoding: line, as: UTF8.self))
                return
            }
            let message = object["message"] as? String ?? ""
            if format == .raw {
                Swift.print(message)
                return
            }
            let time = object["_time"] as? String ?? "-"
            let level = (object["level"] as? String ?? "-").uppercased()
            let service = object["service"] as? String ?? "-"
            Swift.print("\(time) \(paint(level)) \(service): \(message)")
        }
    }

    private func paint(_ level: String) -> String {
        let padded = level.padding(toLength: 5, withPad: " ", startingAt: 0)
        guard colour else { return padded }
        let code: String
        switch level {
        case "ERROR", "FATAL": code = "31"
        case "WARN": code = "33"
        case "DEBUG", "TRACE": code = "2"
        default: code = "32"
        }
        return "\u{1B}[\(code)m\(padded)\u{1B}[0m"
    }
}
