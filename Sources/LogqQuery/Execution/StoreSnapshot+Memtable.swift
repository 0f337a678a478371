import LogqIndex

extension StoreSnapshot {
    /// How many records not yet in a segment match `query`. A count of everything (the usual "is it all in
    /// yet?" poll) reads no record; otherwise each record is checked in place: going through
    /// `joined()` copied every record (a retain per String and array it holds), which a profile of ingest
    /// showed as most of a polled count's cost.
    func memtableCount(matching query: Query) -> Int {
        if query.root == .all { return memtableChunks.reduce(0) { $0 + $1.count } }
        var total = 0
        forEachMemtableRecord(matching: query) { _ in total += 1 }
        return total
    }

    /// The records not yet in a segment that match `query`, oldest first within each chunk.
    func memtableRecords(matching query: Query) -> [LogRecord] {
        var found: [LogRecord] = []
        forEachMemtableRecord(matching: query) { found.append($0) }
        return found
    }

    func forEachMemtableRecord<Failure: Error>(
        matching query: Query, _ body: (LogRecord) throws(Failure) -> Void
    ) throws(Failure) {
        for chunk in memtableChunks {
            try chunk.withUnsafeBufferPointer { records throws(Failure) in
                for index in records.indices where query.matches(records[index]) { try body(records[index]) }
            }
        }
    }
}
