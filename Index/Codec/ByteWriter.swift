/// Appends little-endian integers, LEB128 varints and length-prefixed strings to a byte buffer.
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    init(reservingCapacity capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    var count: Int { bytes.count }

    var capacity: Int { bytes.capacity }

    /// Empties the buffer and keeps its memory, for a writer that fills one buffer again and again:
    /// a fresh buffer of many megabytes is page-faulted in anew each time.
    mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    mutating func reserveCapacity(_ capacity: Int) { bytes.reserveCapacity(capacity) }

    mutating func write(_ value: UInt8) { bytes.append(value) }

    mutating func write(_ other: some Collection<UInt8>) { bytes.append(contentsOf: other) }

    mutating func writeUInt32(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func writeUInt64(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func writeInt64(_ value: Int64) { writeUInt64(UInt64(bitPattern: value)) }

    mutating func writeVarint(_ value: UInt64) {
        var remaining = value
        while remaining >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        bytes.append(UInt8(remaining))
    }

    mutating func writeVarint(_ value: Int) { writeVarint(UInt64(value)) }

    /// Zig-zag first, so that small negative deltas stay small.
    mutating func writeSignedVarint(_ value: Int64) {
        writeVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    mutating func writeString(_ text: String) {
        text.withUTF8Bytes { utf8 in
            writeVarint(utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func writeBytes(_ data: some Collection<UInt8>) {
        writeVarint(data.count)
        bytes.append(contentsOf: data)
    }

    mutating func patchUInt32(_ value: UInt32, at offset: Int) {
        withUnsafeBytes(of: value.littleEndian) { raw in
            for index in 0..<4 { bytes[offset + index] = raw[index] }
        }
    }

    /// Writes the WAL frame header in the first 8 bytes, reserved with zeros: the payload's length
    /// and its CRC-32C (docs/wal-format.md).
    mutating func fillFrameHeader() {
        let payloadLength = bytes.count - 8
        let checksum = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[8...])) }
        withUnsafeBytes(of: UInt32(payloadLength).littleEndian) { bytes.replaceSubrange(0..<4, with: $0) }
        withUnsafeBytes(of: checksum.littleEndian) { bytes.replaceSubrange(4..<8, with: $0) }
    }
}
