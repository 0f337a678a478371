/// Groups messages by template, variable parts masked, so 2,000 "Payment failed orderId=…" lines are one group.
///
/// A port of the Drain-style miner prototyped in Python (`miner.py`: 0.950 mean grouping accuracy on the 16 Loghub
/// 2k sets, with one configuration for every source). It is kept equivalent to the prototype byte for byte, so that
/// the prototype's accuracy figures hold here and TemplateMinerTests can check them.
///
/// Per line: tokenize and mask variables as `<*>` → exact cache on the masked token sequence → prefix tree (token
/// count, then the first two constant words) → the most similar cluster of that leaf, whose template generalizes to
/// the line, or a new cluster when none is similar enough.
///
/// Ids: a message gets the FNV-1a hash of its cluster's *current* template (tokens joined with NUL). Clusters whose
/// templates end up identical thus share one id, which is the prototype's post-merge. A cluster's template can still
/// generalize while it holds fewer than `freezeSize` (50) lines, after which it is frozen: the id given to a message
/// can change only during its template's first 50 lines.
///
/// Memory is bounded (`maxClusters`, `maxCachedSequences`, `maxTokens`) because a long-running server sees an
/// unbounded variety of lines. Within the bounds the port behaves as the prototype; past them see each bound.
///
/// Only a message's first line is mined: a stack trace's frames vary less than its head.
public struct TemplateMiner {
    /// A line joins a cluster when at least this share of the template's constant words match it.
    static let similarityThreshold = 0.75
    /// Constant words used as tree keys after the token count.
    static let treeDepth = 2
    /// Children per tree node before new keys fall back to the `<*>` child: bounds the fan-out that unmasked
    /// variables among the first words (user names, …) would otherwise cause.
    static let maxChildren = 100
    /// A cluster holding this many lines no longer generalizes its constant words: a big group is a settled
    /// template, and a stray similar line should found its own rather than blur it.
    static let freezeSize = 50
    /// Past this many clusters, a line that matches none gets the id of its own masked token sequence without
    /// joining the tree. That is the id a new cluster would have had on its first line, so identical lines still
    /// group together, while a flood of novel lines (a fuzzer, binary junk) cannot grow the tree without bound.
    public static let maxClusters = 50_000
    /// The cache pins each masked sequence to the cluster it first joined, which is part of the prototype's
    /// semantics (a later search could pick another cluster), so entries are never evicted: eviction could change
    /// a message's id. Once full, new sequences search the tree on every line instead.
    public static let maxCachedSequences = 200_000
    /// Interned tokens are this port's own memory (the prototype keeps strings in its clusters), so they need their
    /// own bound. A line holding a token that no longer fits can join an existing cluster, but not found one nor
    /// enter the cache, both of which would keep the token.
    public static let maxTokens = 1 << 20
    static let maxTokenBytes = 32 << 20

    /// The masked variable, `<*>`, is token 0, and single ASCII bytes are tokens byte + 1: delimiters need no lookup.
    static let variable: Int32 = 0
    fileprivate static let openParenthesis = Int32(UInt8(ascii: "(")) + 1
    fileprivate static let closeParenthesis = Int32(UInt8(ascii: ")")) + 1
    fileprivate static let comma = Int32(UInt8(ascii: ",")) + 1
    /// Ids from here on are the current line's tokens that did not fit in the vocabulary.
    fileprivate static let transientBase = Int32(maxTokens)

    static let fnvOffsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    static let fnvPrime: UInt64 = 0x100_0000_01b3

    private let clusterLimit: Int
    private var vocabulary: TokenVocabulary
    private var cache: SequenceCache
    private var clusters: [Cluster] = []
    /// Every template's tokens and spaces, cluster after cluster: a template's length never changes.
    private var templateTokens: [Int32] = []
    private var templateSpaces: [Bool] = []
    private var nodes: [TreeNode] = []
    /// Token count → the node under which lines of that count are keyed.
    private var roots: [Int: Int] = [:]
    /// How many clusters have each template (by hash): clusters with identical templates are one template.
    private var clustersOfTemplate: [UInt64: Int] = [:]

    // The line being mined; kept across lines to reuse their storage.
    private var tokens: [Int32] = []
    /// Whether whitespace preceded each token: only to render the template as text.
    private var spaces: [Bool] = []
    private var wordStarts: [Int] = []
    private var wordEnds: [Int] = []
    private var wordHasEquals: [Bool] = []
    private var transientBytes: [UInt8] = []
    private var transientStarts: [Int] = [0]
    private var transientFlags: [UInt8] = []

    /// The limits are parameters for tests, which reach them with a few lines; they cannot exceed the defaults.
    public init(
        maxClusters: Int = TemplateMiner.maxClusters, maxCachedSequences: Int = TemplateMiner.maxCachedSequences,
        maxTokens: Int = TemplateMiner.maxTokens
    ) {
        precondition(maxTokens <= TemplateMiner.maxTokens, "token ids at and above maxTokens are the line's own")
        clusterLimit = maxClusters
        vocabulary = TokenVocabulary.seeded(limit: maxTokens)
        cache = SequenceCache(limit: maxCachedSequences)
    }

    /// 16 hex digits identifying the message's template (see the type's comment for when it can change).
    public mutating func fingerprint(of message: String) -> String {
        let cluster = assign(message)
        return cluster >= 0 ? clusters[cluster].id : Self.hex(stableHash(tokens, from: 0, count: tokens.count))
    }

    /// The message's template as text (`<*>` for variables, spaced as the line that founded it) and its id.
    public mutating func template(of message: String) -> (template: String, id: String) {
        let cluster = assign(message)
        guard cluster >= 0 else {
            let text = render(tokens, spaces, from: 0, count: tokens.count)
            return (text, Self.hex(stableHash(tokens, from: 0, count: tokens.count)))
        }
        let found = clusters[cluster]
        return (render(templateTokens, templateSpaces, from: found.start, count: found.length), found.id)
    }

    /// Distinct templates among the clusters (clusters whose templates became identical count once).
    public var templateCount: Int { clustersOfTemplate.count }

    /// The cluster the message joined, nil past the bounds; with `id(ofCluster:)` after the last line, this gives
    /// the prototype's final grouping, which is what its accuracy figures score.
    public mutating func clusterIndex(of message: String) -> Int? {
        let cluster = assign(message)
        return cluster >= 0 ? cluster : nil
    }

    public func id(ofCluster index: Int) -> String { clusters[index].id }

    /// A cluster's template as it is now (it generalizes while the cluster is young).
    public func template(ofCluster index: Int) -> String {
        render(templateTokens, templateSpaces, from: clusters[index].start, count: clusters[index].length)
    }

    /// The id of a template given as tokens: FNV-1a of the tokens joined with NUL, so equal in every process.
    static func id(of templateTokens: [String]) -> String {
        var hash = fnvOffsetBasis
        for (index, token) in templateTokens.enumerated() {
            if index > 0 { hash = (hash ^ 0) &* fnvPrime }
            for byte in token.utf8 { hash = (hash ^ UInt64(byte)) &* fnvPrime }
        }
        return hex(hash)
    }

    static func hex(_ hash: UInt64) -> String {
        let text = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }

    /// The first line's bytes, without its line ending (LF or CRLF): a stack trace's frames follow on later
    /// lines and vary less than its head.
    static func firstLine(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var end = 0
        while end < bytes.count && bytes[end] != 0x0A { end += 1 }
        if end > 0 && bytes[end - 1] == 0x0D { end -= 1 }
        return UnsafeBufferPointer(rebasing: bytes[..<end])
    }

    /// The cluster index, or -1 when the line joined none (past the bounds); the line's tokens stay in `tokens`.
    private mutating func assign(_ message: String) -> Int {
        if let cluster = message.utf8.withContiguousStorageIfAvailable({ mine(Self.firstLine($0)) }) {
            return cluster
        }
        let bytes = Array(message.utf8)
        return bytes.withUnsafeBufferPointer { mine(Self.firstLine($0)) }
    }

    private mutating func mine(_ line: UnsafeBufferPointer<UInt8>) -> Int {
        tokenize(line)
        let hash = SequenceCache.hash(tokens)
        let cacheable = transientFlags.isEmpty || !tokens.contains { $0 >= Self.transientBase }
        if cacheable, let cached = cache.find(hash, tokens) {
            clusters[cached].size += 1
            return cached
        }
        let canFound = cacheable && clusters.count < clusterLimit
        guard let node = leaf(creating: canFound) else { return -1 }
        var best = -1
        var bestSimilarity = -1.0
        var bestParameters = -1
        let count = tokens.count
        for candidate in nodes[node].clusters ?? [] {
            let start = clusters[candidate].start
            if clusters[candidate].size >= Self.freezeSize && differsInConstant(start) { continue }
            var same = 0
            var words = 0
            var parameters = 0
            for k in 0..<count {
                let token = templateTokens[start + k]
                if token == Self.variable {
                    parameters += 1
                } else if vocabulary.flags[Int(token)] & TokenFlags.word != 0 {
                    words += 1
                    if token == tokens[k] { same += 1 }
                }
            }
            // Double division as in Python, so ties compare the same way.
            let similarity = words > 0 ? Double(same) / Double(words) : 1.0
            if similarity > bestSimilarity || (similarity == bestSimilarity && parameters > bestParameters) {
                best = candidate
                bestSimilarity = similarity
                bestParameters = parameters
            }
        }
        if best < 0 || bestSimilarity < Self.similarityThreshold {
            guard canFound else { return -1 }
            best = addCluster()
            nodes[node].clusters?.append(best)
        } else {
            generalize(best)
        }
        if cacheable { cache.insert(hash, tokens, best) }
        clusters[best].size += 1
        return best
    }

    /// A frozen cluster takes only lines that match all its constant tokens.
    private func differsInConstant(_ start: Int) -> Bool {
        for k in 0..<tokens.count {
            let token = templateTokens[start + k]
            if token != tokens[k] && token != Self.variable { return true }
        }
        return false
    }

    /// The leaf for the line, or nil when there is none and `creating` is false (no cluster could match there).
    private mutating func leaf(creating: Bool) -> Int? {
        var node: Int
        if let root = roots[tokens.count] {
            node = root
        } else {
            guard creating else { return nil }
            node = nodes.count
            nodes.append(TreeNode())
            roots[tokens.count] = node
        }
        var depth = 0
        var i = 0
        while depth < Self.treeDepth && i < tokens.count {
            var key = tokens[i]
            i += 1
            guard flags(of: key) & TokenFlags.word != 0 else { continue }
            depth += 1
            if nodes[node].children[key] == nil && nodes[node].entries >= Self.maxChildren { key = Self.variable }
            if let child = nodes[node].children[key] {
                node = child
            } else {
                guard creating else { return nil }
                let child = nodes.count
                nodes.append(TreeNode())
                nodes[node].children[key] = child
                node = child
            }
        }
        if nodes[node].clusters == nil {
            guard creating else { return nil }
            nodes[node].clusters = []
        }
        return node
    }

    private mutating func addCluster() -> Int {
        let start = templateTokens.count
        templateTokens.append(contentsOf: tokens)
        templateSpaces.append(contentsOf: spaces)
        let hash = stableHash(templateTokens, from: start, count: tokens.count)
        clusters.append(Cluster(start: start, length: tokens.count, hash: hash, id: Self.hex(hash)))
        clustersOfTemplate[hash, default: 0] += 1
        return clusters.count - 1
    }

    /// Constant tokens of the template that the line does not share become variables.
    private mutating func generalize(_ index: Int) {
        let start = clusters[index].start
        var changed = false
        for k in 0..<tokens.count {
            let token = templateTokens[start + k]
            if token != tokens[k] && token != Self.variable {
                templateTokens[start + k] = Self.variable
                changed = true
            }
        }
        guard changed else { return }
        let old = clusters[index].hash
        clustersOfTemplate[old, default: 0] -= 1
        if clustersOfTemplate[old] == 0 { clustersOfTemplate[old] = nil }
        let hash = stableHash(templateTokens, from: start, count: clusters[index].length)
        clusters[index].hash = hash
        clusters[index].id = Self.hex(hash)
        clustersOfTemplate[hash, default: 0] += 1
    }

    /// FNV-1a over the tokens' bytes joined with NUL: the id must not depend on the process (unlike `Hasher`).
    private func stableHash(_ ids: [Int32], from start: Int, count: Int) -> UInt64 {
        var hash = Self.fnvOffsetBasis
        for k in 0..<count {
            if k > 0 { hash = (hash ^ 0) &* Self.fnvPrime }
            for byte in tokenBytes(ids[start + k]) { hash = (hash ^ UInt64(byte)) &* Self.fnvPrime }
        }
        return hash
    }

    private func render(_ ids: [Int32], _ spaced: [Bool], from start: Int, count: Int) -> String {
        var text: [UInt8] = []
        for k in 0..<count {
            if k > 0 && spaced[start + k] { text.append(UInt8(ascii: " ")) }
            text.append(contentsOf: tokenBytes(ids[start + k]))
        }
        return String(decoding: text, as: UTF8.self)
    }

    private func tokenBytes(_ id: Int32) -> ArraySlice<UInt8> {
        if id < Self.transientBase { return vocabulary.bytes(of: id) }
        let index = Int(id - Self.transientBase)
        return transientBytes[transientStarts[index]..<transientStarts[index + 1]]
    }

    @inline(__always)
    private func flags(of id: Int32) -> UInt8 {
        id < Self.transientBase ? vocabulary.flags[Int(id)] : transientFlags[Int(id - Self.transientBase)]
    }
}

// MARK: - Tokenizer

extension TemplateMiner {
    /// Fills `tokens` and `spaces` with the line's tokens, variables masked: miner.py's `tokenize`.
    private mutating func tokenize(_ line: UnsafeBufferPointer<UInt8>) {
        tokens.removeAll(keepingCapacity: true)
        spaces.removeAll(keepingCapacity: true)
        if !transientFlags.isEmpty {
            transientBytes.removeAll(keepingCapacity: true)
            transientStarts.removeAll(keepingCapacity: true)
            transientStarts.append(0)
            transientFlags.removeAll(keepingCapacity: true)
        }
        guard let p = line.baseAddress, line.count > 0 else { return }
        splitWords(p, line.count)
        var w = 0
        while w < wordStarts.count {
            let last = wordHasEquals[w] ? quotedValueEnd(p, w) : w
            if last == w {
                tokenizeWord(p, wordStarts[w], wordEnds[w])
            } else {
                // The prototype joins the words of a quoted value with one space, whatever separated them.
                var joined: [UInt8] = []
                for k in w...last {
                    if k > w { joined.append(UInt8(ascii: " ")) }
                    let length = wordEnds[k] - wordStarts[k]
                    joined.append(contentsOf: UnsafeBufferPointer(start: p + wordStarts[k], count: length))
                }
                joined.withUnsafeBufferPointer { tokenizeWord($0.baseAddress!, 0, $0.count) }
            }
            w = last + 1
        }
        markDates()
        dropUnits()
        compact()
    }

    /// Words as Python's `str.split()` cuts them: on ASCII and Unicode whitespace (`MinerBytes.spaceWidth`).
    private mutating func splitWords(_ p: UnsafePointer<UInt8>, _ count: Int) {
        wordStarts.removeAll(keepingCapacity: true)
        wordEnds.removeAll(keepingCapacity: true)
        wordHasEquals.removeAll(keepingCapacity: true)
        var start = -1
        var equals = false
        var i = 0
        while i < count {
            let c = p[i]
            let width = MinerBytes.spaceWidth(p, i, count)
            if width > 0 {
                if start >= 0 {
                    wordStarts.append(start)
                    wordEnds.append(i)
                    wordHasEquals.append(equals)
                    start = -1
                }
                i += width
            } else {
                if start < 0 {
                    start = i
                    equals = false
                }
                if c == UInt8(ascii: "=") { equals = true }
                i += 1
            }
        }
        if start >= 0 {
            wordStarts.append(start)
            wordEnds.append(count)
            wordHasEquals.append(equals)
        }
    }

    /// The last word of a `key="quoted value"` that spans words from word `w`, else `w` (miner.py's
    /// `split_words`): a value like `msg="disk full"` must stay one variable.
    private func quotedValueEnd(_ p: UnsafePointer<UInt8>, _ w: Int) -> Int {
        let start = wordStarts[w]
        let end = wordEnds[w]
        for q in 0..<2 {
            let quote = q == 0 ? UInt8(ascii: "\"") : UInt8(ascii: "'")
            var k = start
            while k + 1 < end && !(p[k] == UInt8(ascii: "=") && p[k + 1] == quote) { k += 1 }
            guard k + 1 < end, !MinerBytes.contains(p, k + 2, end, quote) else { continue }
            var j = w + 1
            while j < wordStarts.count && !MinerBytes.contains(p, wordStarts[j], wordEnds[j], quote) { j += 1 }
            return j < wordStarts.count ? j : w
        }
        return w
    }

    /// One word: leading and trailing punctuation peeled off as tokens, then the core is one variable, or is split
    /// at delimiters into pieces, each a variable or a constant.
    private mutating func tokenizeWord(_ p: UnsafePointer<UInt8>, _ wordStart: Int, _ wordEnd: Int) {
        var a = wordStart
        var b = wordEnd
        while a < b && MinerBytes.isLead(p[a]) { a += 1 }
        while b > a && MinerBytes.isTail(p[b - 1]) {
            let opener = MinerBytes.opener(of: p[b - 1])
            // Keep balanced f(x), k="v" closers inside the word.
            if opener != 0 && MinerBytes.contains(p, a, b - 1, opener) { break }
            b -= 1
        }
        var first = true
        for k in wordStart..<a { emit(Int32(p[k]) + 1, &first) }
        if a < b {
            let shape = MinerBytes.shape(p, a, b)
            if shape.special || MinerBytes.isLiteral(p, a, b) || (shape.digit && !shape.equals && !shape.colon) {
                emit(Self.variable, &first)
            } else {
                var i = a
                var pieceStart = a
                while i < b {
                    let c = p[i]
                    guard MinerBytes.isDelimiter(c) else {
                        i += 1
                        continue
                    }
                    if pieceStart < i { emitPiece(p, pieceStart, i, &first) }
                    emit(Int32(c) + 1, &first)
                    if c == UInt8(ascii: "=") {
                        // key=value: the whole value is one variable, whatever it holds.
                        let j = MinerBytes.keyValueEnd(p, b, i + 1)
                        if j > i + 1 { emit(Self.variable, &first) }
                        i = j
                        pieceStart = j
                        continue
                    }
                    i += 1
                    pieceStart = i
                }
                if pieceStart < b { emitPiece(p, pieceStart, b, &first) }
            }
        }
        for k in b..<wordEnd { emit(Int32(p[k]) + 1, &first) }
    }

    private mutating func emitPiece(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ first: inout Bool) {
        let shape = MinerBytes.shape(p, start, end)
        let isVariable = shape.digit || MinerBytes.isLiteral(p, start, end) || shape.special
        let token = isVariable ? Self.variable : intern(p, start, end)
        emit(token, &first)
    }

    @inline(__always)
    private mutating func emit(_ token: Int32, _ first: inout Bool) {
        tokens.append(token)
        spaces.append(first)
        first = false
    }

    private mutating func intern(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int32 {
        if end - start == 1 && p[start] < 0x80 { return Int32(p[start]) + 1 }
        if let id = vocabulary.intern(p + start, end - start) { return id }
        let id = Self.transientBase + Int32(transientFlags.count)
        transientBytes.append(contentsOf: UnsafeBufferPointer(start: p + start, count: end - start))
        transientStarts.append(transientBytes.count)
        transientFlags.append(MinerBytes.flags(p + start, end - start))
        return id
    }

    /// Month and day names next to a variable are dates ("Fri Jun 17"); right to left, so "Fri" sees "Jun" masked.
    private mutating func markDates() {
        let count = tokens.count
        var i = count - 1
        while i >= 0 {
            if flags(of: tokens[i]) & TokenFlags.month != 0
                && ((i + 1 < count && tokens[i + 1] == Self.variable) || (i > 0 && tokens[i - 1] == Self.variable))
            {
                tokens[i] = Self.variable
            }
            i -= 1
        }
    }

    /// A number and its unit are one variable ("10 ms", "5 KB"); the test looks at the token before, as it was.
    private mutating func dropUnits() {
        var kept = 0
        var previous: Int32 = -1
        for i in 0..<tokens.count {
            let token = tokens[i]
            let isUnit = i > 0 && previous == Self.variable && spaces[i] && flags(of: token) & TokenFlags.unit != 0
            previous = token
            if !isUnit {
                tokens[kept] = token
                spaces[kept] = spaces[i]
                kept += 1
            }
        }
        tokens.removeLast(tokens.count - kept)
        spaces.removeLast(spaces.count - kept)
    }

    /// `V ( )` and `V ( V )` → V; `V V` → V; `V , V` → V: a list or call of variables is one variable. In place:
    /// the output never outgrows what has been read.
    private mutating func compact() {
        let count = tokens.count
        let v = Self.variable
        var kept = 0
        var i = 0
        while i < count {
            let token = tokens[i]
            let afterVariable = kept > 0 && tokens[kept - 1] == v
            if afterVariable && token == Self.openParenthesis {
                if i + 1 < count && tokens[i + 1] == Self.closeParenthesis {
                    i += 2
                    continue
                }
                if i + 2 < count && tokens[i + 1] == v && tokens[i + 2] == Self.closeParenthesis {
                    i += 3
                    continue
                }
            }
            if token == v && afterVariable {
                i += 1
                continue
            }
            if token == v && kept >= 2 && tokens[kept - 1] == Self.comma && tokens[kept - 2] == v {
                kept -= 1
                i += 1
                continue
            }
            tokens[kept] = token
            spaces[kept] = spaces[i]
            kept += 1
            i += 1
        }
        tokens.removeLast(tokens.count - kept)
        spaces.removeLast(spaces.count - kept)
    }
}

// MARK: - Storage

private enum TokenFlags {
    /// Neither `<*>` nor a one-byte delimiter: what the similarity counts and the tree keys on.
    static let word: UInt8 = 1
    static let month: UInt8 = 2
    static let unit: UInt8 = 4
}

private struct Cluster {
    /// Where the template starts in `templateTokens` and `templateSpaces`.
    var start: Int
    var length: Int
    var size = 0
    var hash: UInt64
    /// `hash` in hex, kept because most lines return it and building it costs an allocation.
    var id: String

    init(start: Int, length: Int, hash: UInt64, id: String) {
        self.start = start
        self.length = length
        self.hash = hash
        self.id = id
    }
}

private struct TreeNode {
    var children: [Int32: Int] = [:]
    /// The leaf's clusters, nil until a line ends its walk here. A leaf counts as an entry against `maxChildren`, as
    /// in the prototype, where it is the node dict's `None` key.
    var clusters: [Int]?

    var entries: Int { children.count + (clusters == nil ? 0 : 1) }
}

/// Interned tokens: bytes in one arena and open addressing, so that a lookup allocates nothing.
private struct TokenVocabulary {
    let limit: Int
    private(set) var flags: [UInt8] = []
    private var arena: [UInt8] = []
    private var starts: [Int] = [0]
    private var slots = [Int32](repeating: -1, count: 1024)
    private var tags = [UInt32](repeating: 0, count: 1024)

    /// `<*>` first so that it is id 0 (a literal "<*>" in a line is then the variable, as in the prototype), then
    /// the single ASCII bytes, so that byte b is id b + 1.
    static func seeded(limit: Int) -> TokenVocabulary {
        var vocabulary = TokenVocabulary(limit: max(limit, 129))
        let seed: [UInt8] = Array("<*>".utf8) + (0..<128).map { UInt8($0) }
        seed.withUnsafeBufferPointer { buffer in
            let p = buffer.baseAddress!
            _ = vocabulary.intern(p, 3)
            for k in 3..<buffer.count { _ = vocabulary.intern(p + k, 1) }
        }
        return vocabulary
    }

    private init(limit: Int) {
        self.limit = limit
    }

    func bytes(of id: Int32) -> ArraySlice<UInt8> { arena[starts[Int(id)]..<starts[Int(id) + 1]] }

    /// The token's id, nil when it is new and the vocabulary is full.
    mutating func intern(_ p: UnsafePointer<UInt8>, _ count: Int) -> Int32? {
        let hash = MinerBytes.hash(p, count)
        let tag = UInt32(truncatingIfNeeded: hash >> 32)
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let id = slots[slot]
            if id < 0 { break }
            if tags[slot] == tag && matches(id, p, count) { return id }
            slot = (slot + 1) & mask
        }
        guard flags.count < limit, arena.count + count <= TemplateMiner.maxTokenBytes else {
            return nil
        }
        let id = Int32(flags.count)
        arena.append(contentsOf: UnsafeBufferPointer(start: p, count: count))
        starts.append(arena.count)
        flags.append(MinerBytes.flags(p, count))
        slots[slot] = id
        tags[slot] = tag
        if flags.count * 2 > slots.count { grow() }
        return id
    }

    private func matches(_ id: Int32, _ p: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        let start = starts[Int(id)]
        guard starts[Int(id) + 1] - start == count else { return false }
        return arena.withUnsafeBufferPointer { stored in
            for k in 0..<count where stored[start + k] != p[k] { return false }
            return true
        }
    }

    private mutating func grow() {
        let capacity = slots.count * 2
        let mask = capacity - 1
        var newSlots = [Int32](repeating: -1, count: capacity)
        var newTags = [UInt32](repeating: 0, count: capacity)
        arena.withUnsafeBufferPointer { buffer in
            let base = buffer.baseAddress!
            for id in 0..<flags.count {
                let hash = MinerBytes.hash(base + starts[id], starts[id + 1] - starts[id])
                var slot = Int(truncatingIfNeeded: hash) & mask
                while newSlots[slot] >= 0 { slot = (slot + 1) & mask }
                newSlots[slot] = Int32(id)
                newTags[slot] = UInt32(truncatingIfNeeded: hash >> 32)
            }
        }
        slots = newSlots
        tags = newTags
    }
}

/// Masked token sequence → cluster, with the sequences in one arena: no allocation per lookup.
private struct SequenceCache {
    private struct Slot {
        var hash: UInt64 = 0
        var start = 0
        var length = 0
        /// The cluster; -1 for an empty slot.
        var value = -1
    }

    let limit: Int
    private var slots = [Slot](repeating: Slot(), count: 1024)
    private var arena: [Int32] = []
    private(set) var count = 0

    init(limit: Int) {
        self.limit = limit
    }

    static func hash(_ tokens: [Int32]) -> UInt64 {
        var hash: UInt64 = 0x243F_6A88_85A3_08D3 ^ UInt64(tokens.count)
        for token in tokens {
            hash = (hash ^ UInt64(UInt32(bitPattern: token))) &* 0x9E37_79B9_7F4A_7C15
            hash ^= hash >> 29
        }
        return hash
    }

    func find(_ hash: UInt64, _ tokens: [Int32]) -> Int? {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: hash) & mask
        while true {
            let slot = slots[i]
            if slot.value < 0 { return nil }
            if slot.hash == hash && matches(slot, tokens) { return slot.value }
            i = (i + 1) & mask
        }
    }

    /// Adds a sequence known to be absent; does nothing once the cache is full (see `maxCachedSequences`).
    mutating func insert(_ hash: UInt64, _ tokens: [Int32], _ value: Int) {
        guard count < limit else { return }
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: hash) & mask
        while slots[i].value >= 0 { i = (i + 1) & mask }
        slots[i] = Slot(hash: hash, start: arena.count, length: tokens.count, value: value)
        arena.append(contentsOf: tokens)
        count += 1
        if count * 2 > slots.count { grow() }
    }

    private func matches(_ slot: Slot, _ tokens: [Int32]) -> Bool {
        guard slot.length == tokens.count else { return false }
        for k in 0..<tokens.count where arena[slot.start + k] != tokens[k] { return false }
        return true
    }

    private mutating func grow() {
        let capacity = slots.count * 2
        let mask = capacity - 1
        var newSlots = [Slot](repeating: Slot(), count: capacity)
        for slot in slots where slot.value >= 0 {
            var i = Int(truncatingIfNeeded: slot.hash) & mask
            while newSlots[i].value >= 0 { i = (i + 1) & mask }
            newSlots[i] = slot
        }
        slots = newSlots
    }
}

// MARK: - Byte classes

/// What the scan of a word, or of a piece of one, found.
private struct WordShape {
    /// One of the classes holding ':' '/' '.' that must be recognized before splitting (miner.py's `special_var`).
    var special = false
    var digit = false
    var equals = false
    var colon = false
}

/// miner.py's character tests on UTF-8 bytes. Its sets are ASCII, and a UTF-8 continuation byte is never ASCII, so
/// testing bytes is testing characters; the few Unicode rules Python applies (whitespace, `lower`, `isdigit`) are
/// handled where they arise.
private enum MinerBytes {
    static let literalKeys = keys(["true", "false", "null", "nil", "none"])
    static let unitKeys = keys([
        "b", "kb", "mb", "gb", "tb", "kib", "mib", "gib", "byte", "bytes",
        "ms", "us", "ns", "sec", "secs", "second", "seconds", "min", "mins", "minutes",
    ])
    static let monthKeys = keys([
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
        "mon", "tue", "wed", "thu", "fri", "sat", "sun",
    ])

    private static func keys(_ words: [String]) -> [UInt64] {
        words.map { word in
            Array(word.utf8).withUnsafeBufferPointer { lowercasedKey($0.baseAddress!, 0, $0.count) }
        }
    }

    /// `s.lower()` packed as 7 bytes and a length when it is short ASCII, else 0: the sets it is looked up in hold
    /// ASCII words of at most 7 letters. U+212A KELVIN SIGN is the one non-ASCII character that Python lowercases
    /// to ASCII ("k"), so "\u{212A}B" is a unit, as in the prototype.
    static func lowercasedKey(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> UInt64 {
        var key: UInt64 = 0
        var length: UInt64 = 0
        var i = start
        while i < end {
            var c = p[i]
            if c >= 0x80 {
                guard c == 0xE2, i + 2 < end, p[i + 1] == 0x84, p[i + 2] == 0xAA else { return 0 }
                c = UInt8(ascii: "k")
                i += 3
            } else {
                if c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") { c |= 0x20 }
                i += 1
            }
            if length == 7 { return 0 }
            key |= UInt64(c) << (length * 8)
            length += 1
        }
        return key | length << 56
    }

    static func isLiteral(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        guard end - start >= 3 && end - start <= 5 else { return false }
        return literalKeys.contains(lowercasedKey(p, start, end))
    }

    static func flags(_ p: UnsafePointer<UInt8>, _ count: Int) -> UInt8 {
        let isVariable =
            count == 3 && p[0] == UInt8(ascii: "<") && p[1] == UInt8(ascii: "*") && p[2] == UInt8(ascii: ">")
        var flags: UInt8 = 0
        if !isVariable && !(count == 1 && isDelimiter(p[0])) { flags |= TokenFlags.word }
        let key = lowercasedKey(p, 0, count)
        if key != 0 {
            if monthKeys.contains(key) { flags |= TokenFlags.month }
            if unitKeys.contains(key) { flags |= TokenFlags.unit }
        }
        return flags
    }

    /// The width of the whitespace character at `i`, 0 if none: Python's `str.split()` separators, i.e. ASCII
    /// 9–13, 28–32 and U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000.
    @inline(__always)
    static func spaceWidth(_ p: UnsafePointer<UInt8>, _ i: Int, _ count: Int) -> Int {
        let c = p[i]
        if c < 0x80 { return c == 0x20 || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F) ? 1 : 0 }
        switch c {
        case 0xC2:
            return i + 1 < count && (p[i + 1] == 0x85 || p[i + 1] == 0xA0) ? 2 : 0
        case 0xE1:
            return i + 2 < count && p[i + 1] == 0x9A && p[i + 2] == 0x80 ? 3 : 0
        case 0xE2:
            guard i + 2 < count else { return 0 }
            let second = p[i + 1]
            let third = p[i + 2]
            if second == 0x80 && (third <= 0x8A || third == 0xA8 || third == 0xA9 || third == 0xAF) { return 3 }
            return second == 0x81 && third == 0x9F ? 3 : 0
        case 0xE3:
            return i + 2 < count && p[i + 1] == 0x80 && p[i + 2] == 0x80 ? 3 : 0
        default:
            return 0
        }
    }

    @inline(__always)
    static func isDelimiter(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "="), UInt8(ascii: ":"), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "("),
            UInt8(ascii: ")"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}"),
            UInt8(ascii: "|"):
            return true
        default:
            return false
        }
    }

    @inline(__always)
    static func isLead(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "{"), UInt8(ascii: "\""), UInt8(ascii: "'"):
            return true
        default:
            return false
        }
    }

    @inline(__always)
    static func isTail(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "}"), UInt8(ascii: "\""), UInt8(ascii: "'"),
            UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: ":"), UInt8(ascii: "."):
            return true
        default:
            return false
        }
    }

    /// The opener of a closer, 0 if `c` is none.
    @inline(__always)
    static func opener(of c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: ")"): return UInt8(ascii: "(")
        case UInt8(ascii: "]"): return UInt8(ascii: "[")
        case UInt8(ascii: "}"): return UInt8(ascii: "{")
        case UInt8(ascii: "\""), UInt8(ascii: "'"): return c
        default: return 0
        }
    }

    static func contains(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ c: UInt8) -> Bool {
        var i = start
        while i < end {
            if p[i] == c { return true }
            i += 1
        }
        return false
    }

    /// End of a key=value value: after its closing quote when quoted, else at ',' or ';' outside brackets, at an
    /// unmatched closer, or at `end`, the end of the word's core.
    static func keyValueEnd(_ p: UnsafePointer<UInt8>, _ end: Int, _ from: Int) -> Int {
        var j = from
        if j < end && (p[j] == UInt8(ascii: "\"") || p[j] == UInt8(ascii: "'")) {
            var k = j + 1
            while k < end && p[k] != p[j] { k += 1 }
            if k < end { return k + 1 }
        }
        var depth = 0
        while j < end {
            switch p[j] {
            case UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
            case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "}"):
                if depth == 0 { return j }
                depth -= 1
            case UInt8(ascii: ","), UInt8(ascii: ";"):
                if depth == 0 { return j }
            default:
                break
            }
            j += 1
        }
        return j
    }

    /// One pass over `start..<end` (non-empty) deciding miner.py's `special_var`, and the facts the callers test.
    static func shape(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> WordShape {
        var shape = WordShape()
        var colons = 0
        var dots = 0
        var slashes = 0
        var lastColon = -1
        var dotsBeforeLastColon = 0
        var scheme = false
        var doubleDot = false
        var allHexish = true  // hex digits and ":.-": IPv6, MAC, hh:mm:ss
        var allClockish = true  // digits and ":.": time, IPv4:port
        var allHostname = true  // a-z, 0-9, '-', '.'
        var i = start
        while i < end {
            let c = p[i]
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                shape.digit = true
            case UInt8(ascii: ":"):
                colons += 1
                lastColon = i
                dotsBeforeLastColon = dots
                if i + 2 < end && p[i + 1] == UInt8(ascii: "/") && p[i + 2] == UInt8(ascii: "/") { scheme = true }
                allHostname = false
            case UInt8(ascii: "."):
                dots += 1
                if i > start && p[i - 1] == UInt8(ascii: ".") { doubleDot = true }
            case UInt8(ascii: "/"):
                slashes += 1
                allHexish = false
                allClockish = false
                allHostname = false
            case UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "-"):
                allClockish = false
            case UInt8(ascii: "A")...UInt8(ascii: "F"):
                allClockish = false
                allHostname = false
            case UInt8(ascii: "g")...UInt8(ascii: "z"):
                allHexish = false
                allClockish = false
            case UInt8(ascii: "="):
                shape.equals = true
                allHexish = false
                allClockish = false
                allHostname = false
            default:
                allHexish = false
                allClockish = false
                allHostname = false
            }
            i += 1
        }
        shape.colon = colons > 0
        let url = scheme
        let ipv6OrClock = colons >= 2 && allHexish  // also MAC, hh:mm:ss
        let timeOrAddress = colons >= 1 && allClockish  // also IPv4:port
        // host:port as Python's rpartition sees it: one colon, a dotted host before it, a digit-only port after it.
        let hostPort =
            colons == 1 && lastColon > start && dotsBeforeLastColon > 0 && isDigits(p, lastColon + 1, end)
        let path = slashes >= 2
        let dot = UInt8(ascii: ".")
        let hostname = dots >= 2 && p[start] != dot && p[end - 1] != dot && !doubleDot && allHostname  // >= 3 labels
        shape.special = url || ipv6OrClock || timeOrAddress || hostPort || path || hostname
        return shape
    }

    /// Python's `str.isdigit()`, which also takes other scripts' digits and superscripts.
    static func isDigits(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        guard start < end else { return false }
        var i = start
        while i < end {
            let c = p[i]
            if c >= 0x80 {
                let rest = String(decoding: UnsafeBufferPointer(start: p + i, count: end - i), as: UTF8.self)
                return rest.unicodeScalars.allSatisfy { scalar in
                    let type = scalar.properties.numericType
                    return type == .decimal || type == .digit
                }
            }
            if c < UInt8(ascii: "0") || c > UInt8(ascii: "9") { return false }
            i += 1
        }
        return true
    }

    /// A fast in-process hash (the vocabulary's); ids use FNV-1a, which is stable across processes.
    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ count: Int) -> UInt64 {
        let raw = UnsafeRawPointer(p)
        var hash: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(count)
        var i = 0
        while i + 8 <= count {
            hash = (hash ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            hash ^= hash >> 32
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < count {
            tail |= UInt64(p[i]) << shift
            shift += 8
            i += 1
        }
        hash = (hash ^ tail) &* 0xC4CE_B9FE_1A85_EC53
        return hash ^ (hash >> 29)
    }
}
