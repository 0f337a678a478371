/// Groups messages by template: variable parts masked, so 2,000 "Payment failed orderId=…" lines are one
/// group. A message's first line is its template's source (a stack trace's frames vary less than its head).
struct TemplateMiner {
    mutating func fingerprint(of message: String) -> String {
        let template = Self.mask(firstLine(message))
        return Self.id(of: template)
    }

    func firstLine(_ message: String) -> Substring { message.prefix { $0 != "\n" } }

    /// Tokens holding a digit become `<*>`.
    static func mask(_ line: Substring) -> String {
        line.split(separator: " ", omittingEmptySubsequences: true).map { token in
            token.contains { $0.isNumber } ? "<*>" : String(token)
        }.joined(separator: " ")
    }

    /// 16 hex digits of FNV-1a over the template: the same template gives the same id in every process.
    static func id(of template: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in template.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let text = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }
}
