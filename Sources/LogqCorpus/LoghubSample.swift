import Foundation

/// The Loghub-2k samples (`../shared/loghub`, public test data read in place, never copied into the project)
/// and the grouping accuracy Loghub scores template miners by; for the fingerprint tests and `make bench`.
public enum LoghubSample {
    public static let datasets = [
        "Android", "Apache", "BGL", "HDFS", "HPC", "Hadoop", "HealthApp", "Linux", "Mac", "OpenSSH", "OpenStack",
        "Proxifier", "Spark", "Thunderbird", "Windows", "Zookeeper",
    ]

    public struct MissingColumn: Error, CustomStringConvertible {
        public let description: String
    }

    /// The `Content` and `EventTemplate` columns of a set's corrected structured CSV.
    public static func load(_ dataset: String, from folder: String) throws -> (contents: [String], templates: [String])
    {
        let path = "\(folder)/\(dataset)/\(dataset)_2k.log_structured_corrected.csv"
        let records = CSV.records([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
        guard let header = records.first, let content = header.firstIndex(of: "Content"),
            let template = header.firstIndex(of: "EventTemplate")
        else { throw MissingColumn(description: "\(path) has no Content or EventTemplate column") }
        let rows = records.dropFirst()
        guard rows.allSatisfy({ $0.count == header.count }) else {
            throw MissingColumn(description: "\(path): a row with a missing field")
        }
        return (rows.map { $0[content] }, rows.map { $0[template] })
    }

    /// Grouping accuracy as Loghub scores parsers (and the prototype's evalga.py computes it): the share of lines whose
    /// predicted group holds exactly the lines of their true group, no more and no fewer.
    public static func groupingAccuracy<Predicted: Hashable, Truth: Hashable>(
        predicted: [Predicted], truth: [Truth]
    ) -> Double {
        precondition(predicted.count == truth.count, "one prediction per line")
        guard !truth.isEmpty else { return 1 }
        var truthSizes: [Truth: Int] = [:]
        for label in truth { truthSizes[label, default: 0] += 1 }
        var groups: [Predicted: [Int]] = [:]
        for (line, label) in predicted.enumerated() { groups[label, default: []].append(line) }
        var correct = 0
        for lines in groups.values {
            let label = truth[lines[0]]
            if truthSizes[label] == lines.count && lines.allSatisfy({ truth[$0] == label }) { correct += lines.count }
        }
        return Double(correct) / Double(truth.count)
    }

    /// Records as Python's `csv` module reads them (the excel dialect the prototype's scorer used): a quoted field
    /// may hold commas, line breaks and `""` for a quote; a quote inside an unquoted field is literal; CR, LF or
    /// CRLF end a record; blank lines are skipped.
    public enum CSV {
        private enum State { case startRecord, startField, unquoted, quoted, quoteInQuoted }

        public static func records(_ bytes: [UInt8]) -> [[String]] {
            let quote = UInt8(ascii: "\"")
            let comma = UInt8(ascii: ",")
            var records: [[String]] = []
            var record: [String] = []
            var field: [UInt8] = []
            var state = State.startRecord
            func endField() {
                record.append(String(decoding: field, as: UTF8.self))
                field.removeAll(keepingCapacity: true)
            }
            func endRecord() {
                endField()
                records.append(record)
                record = []
                state = .startRecord
            }
            var i = 0
            while i < bytes.count {
                let c = bytes[i]
                i += 1
                if (c == 0x0A || c == 0x0D) && state != .quoted {
                    if c == 0x0D && i < bytes.count && bytes[i] == 0x0A { i += 1 }
                    if state != .startRecord { endRecord() }
                    continue
                }
                switch state {
                case .quoted:
                    if c == quote { state = .quoteInQuoted } else { field.append(c) }
                case .quoteInQuoted where c == quote:
                    field.append(quote)
                    state = .quoted
                case .startRecord, .startField, .unquoted, .quoteInQuoted:
                    // A quote opens a field only at its start; elsewhere it is text, as Python's csv reads it.
                    if c == quote && (state == .startRecord || state == .startField) {
                        state = .quoted
                    } else if c == comma {
                        endField()
                        state = .startField
                    } else {
                        field.append(c)
                        state = .unquoted
                    }
                }
            }
            if state != .startRecord { endRecord() }
            return records
        }
    }
}
