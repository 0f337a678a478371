/// Feeds a segment's terms into a `TermTable`: each field term (`field` + separator + value) and each
/// message word (`_msg` + separator + the lower-cased word) is written into one scratch key, hashed as
/// it is written, and queued in a `TermBatch`. It works on the Strings' UTF-8 in place: the records are
/// read, never copied, and no String is made (a profile showed the per-field Strings, the generic byte
/// loops and the exclusivity checks of captured variables as a third of the index build).
struct IndexTermCollector: ~Copyable {
    private var table: TermTable
    private var batch = TermBatch()
    private let scratch: UnsafeMutablePointer<UInt8>
    private let wordPrefixLength: Int
    private let wordPrefixState: UInt64
    /// Terms added recently, by hash: a small direct-mapped table that stays in the first-level cache, so a
    /// term that keeps coming back (a template's words, a level, a logger) skips the batch and the large
    /// table's probe. Filled only when a batch is added, which keeps each term's postings in order: until
    /// the next batch a term either is here (every occurrence goes straight to its entry) or is not (every
    /// occurrence waits in the batch).
    private let recentHashes: UnsafeMutablePointer<UInt64>
    private let recentEntries: UnsafeMutablePointer<UInt32>
    private static let recentSlots = 4096
    /// Per place in a record's fields, the name last seen there and its hash state (see `addKey`).
    private var namePrefixes: [(name: String, state: UInt64)] = []

    init(capacity: Int) {
        table = TermTable(capacity: capacity)
        // One scratch key: field, the separator, then the value or the lower-cased word.
        scratch = .allocate(capacity: 2 * StorageLimits.maxIndexedValueBytes + StorageLimits.maxTokenBytes + 64)
        let wordPrefix = Array(Term.messageField.utf8) + [Term.separator]
        wordPrefixLength = wordPrefix.count
        wordPrefixState = wordPrefix.reduce(BlockFilter.hashSeed, BlockFilter.hashStep)
        recentHashes = .allocate(capacity: Self.recentSlots)
        recentHashes.initialize(repeating: 0, count: Self.recentSlots)
        recentEntries = .allocate(capacity: Self.recentSlots)
        recentEntries.initialize(repeating: 0, count: Self.recentSlots)
    }

    /// The table with every queued term added.
    consuming func finish() -> TermTable {
        table.add(batch)
        batch.removeAll()
        scratch.deallocate()
        recentHashes.deallocate()
        recentEntries.deallocate()
        return table
    }

    mutating func addField(level: LogLevel, _ ordinal: UInt32) {
        "level".withUTF8Bytes { name in
            let nameState = Self.hashState(of: name)
            level.description.withUTF8Bytes { value in addKey(name, value, ordinal, nameState: nameState) }
        }
    }

    /// Adds `field` + separator + `value` unless the value is empty.
    mutating func addField(_ field: String, _ value: String, _ ordinal: UInt32) {
        guard !value.isEmpty else { return }
        field.withUTF8Bytes { name in
            let nameState = Self.hashState(of: name)
            value.withUTF8Bytes { value in addKey(name, value, ordinal, nameState: nameState) }
        }
    }

    /// The same for a free field: numbers as their canonical text (see `FieldValue.canonicalText`).
    /// `position`: the field's place in its record, where the previous record's name is looked for.
    mutating func addField(_ field: String, _ value: FieldValue, _ ordinal: UInt32, position: Int) {
        let prefix: UInt64
        if position < namePrefixes.count, namePrefixes[position].name == field {
            prefix = namePrefixes[position].state
        } else {
            prefix = field.withUTF8Bytes(Self.hashState(of:))
            if position < namePrefixes.count {
                namePrefixes[position] = (field, prefix)
            } else if position == namePrefixes.count {
                namePrefixes.append((field, prefix))
            }
        }
        switch value {
        case .string(let text):
            field.withUTF8Bytes { name in
                text.withUTF8Bytes { value in addKey(name, value, ordinal, nameState: prefix) }
            }
        case .int(let number):
            // Decimal digits straight into a stack buffer: the same bytes as `String(number)`.
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
                var magnitude = number.magnitude
                var start = 20
                repeat {
                    start -= 1
                    digits[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                    magnitude /= 10
                } while magnitude > 0
                if number < 0 {
                    start -= 1
                    digits[start] = UInt8(ascii: "-")
                }
                let text = UnsafeBufferPointer(rebasing: UnsafeBufferPointer(digits)[start..<20])
                field.withUTF8Bytes { name in addKey(name, text, ordinal, nameState: prefix) }
            }
        case .double:
            field.withUTF8Bytes { name in
                value.canonicalText.withUTF8Bytes { value in addKey(name, value, ordinal, nameState: prefix) }
            }
        }
    }

    /// The key hash's state after `name` (see `BlockFilter.hashStep`).
    private static func hashState(of name: UnsafeBufferPointer<UInt8>) -> UInt64 {
        name.reduce(BlockFilter.hashSeed, BlockFilter.hashStep)
    }

    /// Adds `name` + separator + `value` when both fit the index's limit. `nameState`: `hashState(of: name)`,
    /// which free fields keep per position (the hash is a chain of multiplications, byte after byte: a name
    /// is not hashed again for every record).
    private mutating func addKey(
        _ name: UnsafeBufferPointer<UInt8>, _ value: UnsafeBufferPointer<UInt8>, _ ordinal: UInt32,
        nameState: UInt64
    ) {
        guard name.count <= StorageLimits.maxIndexedValueBytes, value.count <= StorageLimits.maxIndexedValueBytes
        else { return }
        if let base = name.baseAddress { scratch.update(from: base, count: name.count) }
        var state = nameState
        var length = name.count
        scratch[length] = Term.separator
        state = BlockFilter.hashStep(state, Term.separator)
        length += 1
        for byte in value {
            scratch[length] = byte
            state = BlockFilter.hashStep(state, byte)
            length += 1
        }
        queue(length: length, hash: BlockFilter.hashFinish(state), ordinal: ordinal)
    }

    /// Message words, tokenized straight into the scratch key (see `Tokenizer`).
    mutating func addMessageWords(_ message: String, _ ordinal: UInt32) {
        for (index, byte) in Term.messageField.utf8.enumerated() { scratch[index] = byte }
        scratch[wordPrefixLength - 1] = Term.separator
        let start = wordPrefixLength
        let limit = start + StorageLimits.maxTokenBytes
        message.withUTF8Bytes { bytes in
            let scratch = self.scratch
            var length = start
            var state = wordPrefixState
            for byte in bytes {
                if Tokenizer.isWordByte(byte) {
                    if length < limit {
                        let lowered = Tokenizer.lower(byte)
                        scratch[length] = lowered
                        state = BlockFilter.hashStep(state, lowered)
                        length += 1
                    }
                } else if length > start {
                    queue(length: length, hash: BlockFilter.hashFinish(state), ordinal: ordinal)
                    length = start
                    state = wordPrefixState
                }
            }
            if length > start { queue(length: length, hash: BlockFilter.hashFinish(state), ordinal: ordinal) }
        }
    }

    private mutating func queue(length: Int, hash: UInt64, ordinal: UInt32) {
        let key = UnsafeBufferPointer(start: scratch, count: length)
        // The slot from bits the large table's index does not use first.
        let slot = Int(truncatingIfNeeded: hash >> 40) & (Self.recentSlots - 1)
        if recentHashes[slot] == hash {
            let entry = Int(recentEntries[slot])
            if table.entry(entry, hasKey: key) {
                table.addPosting(ordinal, toEntry: entry)
                return
            }
        }
        batch.append(key, hash: hash, ordinal: ordinal)
        if batch.isFull {
            table.add(batch)
            for index in 0..<batch.count {
                let hash = batch.hashes[index]
                let slot = Int(truncatingIfNeeded: hash >> 40) & (Self.recentSlots - 1)
                recentHashes[slot] = hash
                recentEntries[slot] = batch.entries[index]
            }
            batch.removeAll()
        }
    }
}
