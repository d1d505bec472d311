/// Turns keys into the bytes a guest's serial console expects (interactive mode).
public enum KeyEncoding {
    public static func bytes(for key: Key) -> [UInt8] {
        switch key {
        case .character(let c): return Array(String(c).utf8)
        case .control(let c):
            guard let a = c.asciiValue else { return [] }
            switch a {
            case 0x40...0x5F: return [a - 0x40]
            case 0x61...0x7A: return [a - 0x60]
            case 0x3F: return [0x7F]
            case 0x20: return [0x00]
            default: return []
            }
        case .enter: return [0x0D]
        case .escape: return [0x1B]
        case .tab: return [0x09]
        case .backTab: return Array("\u{1B}[Z".utf8)
        case .backspace: return [0x7F]
        case .delete: return Array("\u{1B}[3~".utf8)
        case .up: return Array("\u{1B}[A".utf8)
        case .down: return Array("\u{1B}[B".utf8)
        case .right: return Array("\u{1B}[C".utf8)
        case .left: return Array("\u{1B}[D".utf8)
        case .home: return Array("\u{1B}[H".utf8)
        case .end: return Array("\u{1B}[F".utf8)
        case .pageUp: return Array("\u{1B}[5~".utf8)
        case .pageDown: return Array("\u{1B}[6~".utf8)
        case .insert: return Array("\u{1B}[2~".utf8)
        case .function(let n):
            switch n {
            case 1: return Array("\u{1B}OP".utf8)
            case 2: return Array("\u{1B}OQ".utf8)
            case 3: return Array("\u{1B}OR".utf8)
            case 4: return Array("\u{1B}OS".utf8)
            default:
                let codes = [5: 15, 6: 17, 7: 18, 8: 19, 9: 20, 10: 21, 11: 23, 12: 24]
                guard let code = codes[n] else { return [] }
                return Array("\u{1B}[\(code)~".utf8)
            }
        }
    }
}
