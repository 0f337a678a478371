import Testing

@testable import LogqIndex

@Suite struct CRC32CTests {
    /// The check value of CRC-32C (RFC 3720, appendix B.4) and a bytewise reference over every length
    /// and alignment the eight-byte loop and its tail can meet.
    @Test func matchesTheStandardCheckValueAndABytewiseReference() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([]) == 0)
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<300).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for start in 0..<9 {
            for end in stride(from: start, through: bytes.count, by: 7) {
                let slice = Array(bytes[start..<end])
                #expect(CRC32C.checksum(slice) == Self.bytewise(slice))
                #expect(slice.withUnsafeBytes { CRC32C.softwareChecksum($0) } == Self.bytewise(slice))
            }
        }
    }

    /// The processor's instruction is the one used on x86-64 (every x86-64 server since 2008 has it).
    @Test func usesTheProcessorsInstructionOnX86() {
        #if arch(x86_64)
        #expect(CRC32C.usesHardware)
        #endif
    }

    private static func bytewise(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc & 1) == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return crc ^ 0xFFFF_FFFF
    }
}
