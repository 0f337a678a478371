import ArgumentParser
import Foundation

/// Prints a pipeline's `{"columns":[…],"rows":[[…]]}` as aligned columns: text left, numbers right.
enum TablePrinter {
    static func print(json: Data) throws {
        guard let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any],
            let columns = object["columns"] as? [String], let rows = object["rows"] as? [[Any]]
        else {
            printError("logqd answered with something that is not a table")
            throw ExitCode(ExitStatus.serverError)
        }
        let cells: [[(text: String, isNumber: Bool)]] = rows.map { row in
            row.map { value in
                switch value {
                case let number as NSNumber where !(value is String):
                    let double = number.doubleValue
                    let text =
                        double == double.rounded() && abs(double) < 1e15
                        ? String(Int64(double)) : String(format: "%.6g", double)
                    return (text, true)
                case let text as String: return (text, false)
                default: return ("", false)
                }
            }
        }
        var widths = columns.map(\.count)
        for row in cells {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.text.count)
            }
        }
        func pad(_ text: String, _ width: Int, right: Bool) -> String {
            let room = String(repeating: " ", count: max(0, width - text.count))
            return right ? room + text : text + room
        }
        Swift.print(columns.enumerated().map { pad($1, widths[$0], right: false) }.joined(separator: "  "))
        for row in cells {
            Swift.print(row.enumerated().map { pad($1.text, widths[$0], right: $1.isNumber) }.joined(separator: "  "))
        }
        if rows.isEmpty { Swift.print("(no rows)") }
    }
}
