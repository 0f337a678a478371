extension SegmentReader {
    /// Decodes every block (each checked against its checksum on the way) and checks that records are in
    /// time order within the blocks' and the segment's time ranges: what a backup's verify asks of a
    /// segment whose bytes already match their SHA-256. Throws the first violation as corruption.
    public func verifyBlocks() throws(StorageError) {
        func violation(_ reason: String) -> StorageError { .corruption(file: path, offset: 0, reason: reason) }
        var previousTime = Int64.min
        var records = 0
        for index in blocks.indices {
            let block = blocks[index]
            let decoded = try readBlock(index)
            records += decoded.count
            for record in decoded {
                guard record.timestamp >= previousTime else {
                    throw violation("records out of time order in block \(index)")
                }
                guard record.timestamp >= block.minTime, record.timestamp <= block.maxTime else {
                    throw violation("a record of block \(index) lies outside the block's time range")
                }
                previousTime = record.timestamp
            }
        }
        guard blocks.first?.minTime ?? minTime >= minTime, blocks.last?.maxTime ?? maxTime <= maxTime else {
            throw violation("block time ranges exceed the segment's")
        }
        guard records == recordCount else {
            throw violation("the blocks hold \(records) records, the footer says \(recordCount)")
        }
    }

    /// Checks what the format promises beyond checksums: `verifyBlocks`, and every record findable by
    /// each of its terms, and every posting list sorted and in range. Called by tests and by `logq fsck`;
    /// throws the first violation as corruption.
    public func verifyInvariants() throws(StorageError) {
        func violation(_ reason: String) -> StorageError { .corruption(file: path, offset: 0, reason: reason) }
        try verifyBlocks()
        // Every listed term has a key with a field and postings.
        let listed = try listedTerms()
        for (key, postings) in listed {
            guard Term(key: Array(key.utf8)) != nil else { throw violation("a term key without a field separator") }
            guard !postings.isEmpty else { throw violation("a term with no postings") }
        }
        // Every term of every record is findable: in its posting list, or else in its block's filter.
        for index in blocks.indices {
            let records = try readBlock(index)
            // Each block's field ranges are exactly its records' (a wrong range would skip a match).
            if let fieldRanges, fieldRanges[index] != BlockFieldRange.ranges(of: records[...]) {
                throw violation("block \(index)'s field ranges do not match its records")
            }
            for (offset, record) in records.enumerated() {
                let ordinal = UInt32(blocks[index].firstOrdinal + offset)
                var missing: Term?
                record.forEachTerm { term in
                    guard missing == nil else { return }
                    if let postings = listed[term.dictionaryKey] {
                        if !postings.containsSorted(ordinal) { missing = term }
                    } else if !filters[index].mayContain(BlockFilter.hash(term.key)) {
                        missing = term
                    }
                }
                if missing != nil { throw violation("record \(ordinal) cannot be found by one of its terms") }
            }
        }
    }
}

extension Array where Element == UInt32 {
    fileprivate func containsSorted(_ value: UInt32) -> Bool {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if self[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low < count && self[low] == value
    }
}
