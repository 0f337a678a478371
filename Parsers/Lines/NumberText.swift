#if canImport(Glibc)
import Glibc
#endif

/// Numbers read straight from bytes of a line, with no String in between.
public enum NumberText {
    /// Ruby's `to_i`, which grok's `:int` uses: leading blanks, a sign, then digits as far as they go;
    /// 0 when there are none. Saturates rather than overflowing.
    public static func leadingInteger(_ bytes: UnsafeRawBufferPointer) -> Int64 {
        var index = 0
        while index < bytes.count, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") {
            index += 1
        }
        var negative = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
            negative = bytes[index] == UInt8(ascii: "-")
            index += 1
        }
        var value: Int64 = 0
        while index < bytes.count, bytes[index] &- UInt8(ascii: "0") < 10 {
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int64(bytes[index] &- UInt8(ascii: "0")))
            if overflow1 || overflow2 { return negative ? .min : .max }
            value = sum
            index += 1
        }
        return negative ? -value : value
    }

    /// Ruby's `to_f`: the longest leading decimal number (sign, digits, fraction, exponent); 0 when none.
    public static func leadingDouble(_ bytes: UnsafeRawBufferPointer) -> Double {
        var index = 0
        while index < bytes.count, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") {
            index += 1
        }
        let start = index
        var negative = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
            negative = bytes[index] == UInt8(ascii: "-")
            index += 1
        }
        var mantissa: UInt64 = 0
        var significant = 0
        var scale = 0
        var sawDigit = false
        while index < bytes.count, bytes[index] &- UInt8(ascii: "0") < 10 {
            sawDigit = true
            if significant < 18 {
                mantissa = mantissa * 10 + UInt64(bytes[index] &- UInt8(ascii: "0"))
                if mantissa > 0 { significant += 1 }
            } else {
                scale += 1
            }
            index += 1
        }
        if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "."), bytes[index + 1] &- UInt8(ascii: "0") < 10 {
            index += 1
            while index < bytes.count, bytes[index] &- UInt8(ascii: "0") < 10 {
                sawDigit = true
                if significant < 18 {
                    mantissa = mantissa * 10 + UInt64(bytes[index] &- UInt8(ascii: "0"))
                    if mantissa > 0 { significant += 1 }
                    scale -= 1
                }
                index += 1
            }
        }
        guard sawDigit else { return 0 }
        var hasExponent = false
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            var probe = index + 1
            if probe < bytes.count, bytes[probe] == UInt8(ascii: "-") || bytes[probe] == UInt8(ascii: "+") {
                probe += 1
            }
            if probe < bytes.count, bytes[probe] &- UInt8(ascii: "0") < 10 { hasExponent = true }
        }
        if !hasExponent, significant <= 15, scale >= -22, scale <= 22 {
            let magnitude = scale < 0 ? Double(mantissa) / powersOfTen[-scale] : Double(mantissa) * powersOfTen[scale]
            return negative ? -magnitude : magnitude
        }
        return slowDouble(UnsafeRawBufferPointer(rebasing: bytes[start...]))
    }

    /// Exact for long mantissas and exponents; copies to a C string for `strtod`.
    private static func slowDouble(_ bytes: UnsafeRawBufferPointer) -> Double {
        var text = Array(bytes.prefix(64))
        text.append(0)
        return text.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { strtod($0, nil) }
        }
    }

    private static let powersOfTen: [Double] = (0...22).map { exponent in
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    /// A whole decimal number that is the entire text, nil otherwise.
    public static func exactInteger(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        guard !bytes.isEmpty else { return nil }
        var index = 0
        let negative = bytes[0] == UInt8(ascii: "-")
        if negative || bytes[0] == UInt8(ascii: "+") { index = 1 }
        guard index < bytes.count else { return nil }
        var value: Int64 = 0
        while index < bytes.count {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int64(digit))
            if overflow1 || overflow2 { return nil }
            value = sum
            index += 1
        }
        return negative ? -value : value
    }
}
