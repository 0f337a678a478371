extension SegmentReader {
    /// Checks what the format promises beyond checksums: blocks cover the ordinals in order with their
    /// time ranges, records are in time order, and every posting list is sorted and in range. Called by
    /// tests and by `logq fsck`; throws the first violation as corruption.
    public func verifyInvariants() throws(StorageError) {
        func violation(_ reason: String) -> StorageError { .corruption(file: path, offset: 0, reason: reason) }
        var previousTime = Int64.min
        for index in blocks.indices {
            let block = blocks[index]
            let records = try readBlock(index)
            for record in records {
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
        for key in dictionaryKeys {
            guard let term = Term(key: Array(key.utf8)) else { throw violation("a term key without a field separator") }
            let postings = try postings(for: term)
            guard !postings.isEmpty else { throw violation("a term with no postings") }
        }
    }
}
