@testable import Models
import Testing

/// The building blocks of the console engine's fast paths, against simple definitions.
@Suite("Console engine internals")
struct ConsoleInternalsTests {
    /// Random 8-byte words, biased towards the boundaries of the byte classes.
    static func words(count: Int, seed: UInt64) -> [UInt64] {
        var random = ConsoleStress.Random(state: seed)
        let interesting: [UInt8] = [0x00, 0x09, 0x0A, 0x0D, 0x1B, 0x1F, 0x20, 0x21, 0x41, 0x7E, 0x7F, 0x80, 0x9F, 0xA0, 0xC2, 0xFF]
        return (0..<count).map { _ in
            var word: UInt64 = 0
            for k in 0..<8 {
                let byte = random.below(3) == 0 ? interesting[random.below(interesting.count)] : UInt8(0x20 + random.below(0x5F))
                word |= UInt64(byte) << (8 * UInt64(k))
            }
            return word
        }
    }

    @Test("the word masks find the first byte of a class exactly")
    func wordMasks() {
        for word in Self.words(count: 200_000, seed: 1) {
            let bytes = (0..<8).map { UInt8(truncatingIfNeeded: word >> (8 * UInt64($0))) }
            let firstNonPrintable = bytes.firstIndex { $0 < 0x20 || $0 > 0x7E } ?? 8
            let stops = ConsoleText.nonPrintableASCII(word)
            #expect((stops == 0) == (firstNonPrintable == 8))
            if stops != 0 { #expect(stops.trailingZeroBitCount / 8 == firstNonPrintable, "\(String(word, radix: 16))") }
            let firstControl = bytes.firstIndex { $0 < 0x20 || $0 == 0x7F } ?? 8
            let controls = ConsoleText.controls(word)
            #expect((controls == 0) == (firstControl == 8))
            if controls != 0 { #expect(controls.trailingZeroBitCount / 8 == firstControl, "\(String(word, radix: 16))") }
        }
    }

    @Test("copyBytes copies every length exactly, without touching what follows")
    func copyBytes() {
        let source = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) }
        for length in 0...300 {
            var target = [UInt8](repeating: 0xEE, count: 310)
            source.withUnsafeBytes { from in
                target.withUnsafeMutableBytes { to in
                    ConsoleText.copyBytes(to: to.baseAddress! + 3, from: from.baseAddress!, count: length)
                }
            }
            #expect(Array(target[3..<(3 + length)]) == Array(source[0..<length]), "length \(length)")
            #expect(target[0..<3].allSatisfy { $0 == 0xEE } && target[(3 + length)...].allSatisfy { $0 == 0xEE })
        }
    }

    @Test("a normalized SGR applied group by group = applied as a parameter list; rendered = the list in decimal")
    func sgrConsumers() {
        var random = ConsoleStress.Random(state: 5)
        let values: [UInt16] = [0, 1, 2, 4, 5, 7, 21, 22, 24, 31, 38, 39, 44, 48, 49, 58, 91, 107, 108, 255, 256, 9999]
        for _ in 0..<50_000 {
            let parameters = (0..<(1 + random.below(ConsoleLimits.maxParameters))).map { _ in values[random.below(values.count)] }
            let mask = random.below(3) == 0 ? UInt32(truncatingIfNeeded: random.next()) & ~1 : 0
            let list = SGRNormalizer.normalized(parameters, subParameterMask: mask)
            #expect(list.count <= parameters.count)
            #expect(list.allSatisfy { $0 <= 255 })
            let start = ConsoleStyle(foreground: .ansi(3), attributes: .italic)
            var grouped = start
            let kept = parameters.withUnsafeBufferPointer {
                SGRNormalizer.normalize($0, subParameterMask: mask, into: &grouped)
            }
            #expect(kept == !list.isEmpty)
            var listed = start
            if !list.isEmpty { listed.applySGR(list[...]) }
            #expect(grouped == listed, "\(parameters) mask \(mask)")
            var bytes = [UInt8](repeating: 0, count: SGRNormalizer.maxOutputLength)
            let length = bytes.withUnsafeMutableBufferPointer { buffer -> Int in
                var renderer = SGRRenderer(base: buffer.baseAddress!)
                return parameters.withUnsafeBufferPointer {
                    SGRNormalizer.normalize($0, subParameterMask: mask, into: &renderer)
                } ? renderer.finish() : 0
            }
            let expected = list.isEmpty ? "" : "\u{1B}[" + list.map(String.init).joined(separator: ";") + "m"
            #expect(String(decoding: bytes[0..<length], as: UTF8.self) == expected)
        }
    }

    @Test("parameters beyond the limit are ignored")
    func parameterLimit() {
        var parameters = ConsoleParameters()
        for k in 0..<40 { parameters.append(UInt16(k)) }
        #expect(parameters.count == ConsoleLimits.maxParameters)
        parameters.withUnsafeBufferPointer { #expect(Array($0) == (0..<UInt16(ConsoleLimits.maxParameters)).map { $0 }) }
        parameters.removeAll()
        #expect(parameters.count == 0)
    }
}
