import ArgumentParser
import Foundation
import LogqIncidents

struct FingerprintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fingerprint",
        abstract: "Print each line's error template and group id, as logqd's fingerprint field has them.",
        discussion:
            "Reads FILE (or standard input with -) one message per line, through one miner, in order. The id is "
            + "the group's after the last line: a young template can still generalize as later lines arrive, "
            + "and this is the grouping to compare with ground truth.")
    @Argument(help: "A file of messages, one per line; - for standard input.") var file: String
    @Option(name: .customShort("o"), help: "text (id, tab, template) or json (one object per line).")
    var output = "text"

    func run() throws {
        let data: Data
        if file == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let contents = FileManager.default.contents(atPath: file) else {
                throw ValidationError("cannot read \(file)")
            }
            data = contents
        }
        var lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
        if lines.last == "" { lines.removeLast() }
        var miner = TemplateMiner()
        let clusters = lines.map { miner.clusterIndex(of: $0) }
        var out = ""
        for (line, cluster) in zip(lines, clusters) {
            // A line past the miner's bounds keeps the id of its own masked tokens.
            let (template, ownID) = cluster == nil ? miner.template(of: line) : ("", "")
            let id = cluster.map { miner.id(ofCluster: $0) } ?? ownID
            let text = cluster.map { miner.template(ofCluster: $0) } ?? template
            if output == "json" {
                let object = ["id": id, "template": text, "line": line]
                let json = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                out += String(decoding: json, as: UTF8.self) + "\n"
            } else {
                out += id + "\t" + text + "\n"
            }
            if out.utf8.count > 1 << 16 {
                FileHandle.standardOutput.write(Data(out.utf8))
                out = ""
            }
        }
        FileHandle.standardOutput.write(Data(out.utf8))
    }
}
