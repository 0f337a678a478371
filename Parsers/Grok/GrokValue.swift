/// A captured value after grok's type conversion.
public enum GrokValue: Sendable, Equatable, CustomStringConvertible {
    case string(String)
    case int(Int64)
    case float(Double)

    public init(_ bytes: UnsafeRawBufferPointer, as type: GrokValueType) {
        switch type {
        case .string: self = .string(String(decoding: bytes, as: UTF8.self))
        case .int: self = .int(NumberText.leadingInteger(bytes))
        case .float: self = .float(NumberText.leadingDouble(bytes))
        }
    }

    public var description: String {
        switch self {
        case .string(let text): return text
        case .int(let number): return String(number)
        case .float(let number): return String(number)
        }
    }
}
