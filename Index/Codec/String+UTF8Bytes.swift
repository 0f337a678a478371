extension String {
    /// The UTF-8 bytes in place when the string is native, as nearly all are: `var copy = s;
    /// copy.withUTF8` cost a retain and a release per string, on every record the WAL, the block encoder
    /// and the index builder read. Other strings (bridged, lazily decoded) go through a copy.
    @inline(__always)
    func withUTF8Bytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        if let result = try utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = self
        return try copy.withUTF8(body)
    }
}

extension String {
    /// `==` for the field names compared in per-record loops: most names there differ in length, and those
    /// are told apart without the out-of-line comparison `==` calls for any two different strings.
    @inlinable @inline(__always)
    public func isSameText(as other: String) -> Bool {
        utf8.count == other.utf8.count && self == other
    }
}
