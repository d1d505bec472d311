import CNCursesW
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One item read from ncurses `get_wch`.
public enum RawInput: Sendable, Hashable {
    /// A character value (`get_wch` returned OK).
    case character(UInt32)
    /// A function-key code (`get_wch` returned KEY_CODE_YES), e.g. `KEY_UP`.
    case keyCode(Int32)
    /// A mouse event already read with `getmouse`.
    case mouse(MouseEvent)
    /// KEY_MOUSE without a mouse event (mouse reporting off): ncurses matched only the start of an
    /// SGR mouse report (`ESC [ <`); the rest (`b;x;yM`) follows as characters and is dropped.
    case mouseReportStart
    /// A key ncurses defined from an extended terminfo capability (code above KEY_MAX), by its
    /// capability name (`keyname`), e.g. "kcbt2" or "kUP5".
    case namedKey(String)
}

/// Turns what ncurses reads into ``TerminalEvent``s.
///
/// ncurses decodes the key sequences in the terminal's terminfo entry; terminal multiplexers and
/// consoles send some keys differently from what `TERM` says (tmux sends Home as `ESC [ 1 ~` even when
/// `TERM=xterm-256color` says `ESC O H`), so the sequences ncurses passes through undecoded are parsed
/// here. Unknown escape sequences are dropped, never shown as text. An escape sequence cut off at the end
/// of a read stays pending until more input arrives or ``flush()`` is called (after a short timeout).
public struct TerminalInputDecoder: Sendable {
    /// Longest escape sequence accepted; longer ones are dropped as garbage.
    public static let maxSequenceLength = 32

    private var pending: [RawInput] = []

    public init() {}

    /// True when an incomplete escape sequence waits for more input.
    public var hasPending: Bool { !pending.isEmpty }

    /// Decodes a batch of raw input (everything read in one go).
    public mutating func decode(_ batch: [RawInput]) -> [TerminalEvent] {
        let items = pending + batch
        pending = []
        var events: [TerminalEvent] = []
        var i = 0
        while i < items.count {
            switch items[i] {
            case .mouse(let m):
                events.append(.mouse(m)); i += 1
            case .keyCode(let code):
                if let key = Self.key(forCode: code) { events.append(.key(key)) }
                i += 1
            case .namedKey(let name):
                if let key = Self.key(forCapabilityName: name) { events.append(.key(key)) }
                i += 1
            case .mouseReportStart:
                guard let end = Self.endOfMouseReport(items, from: i + 1) else {
                    pending = Array(items[i...])
                    return events
                }
                i = end
            case .character(27):
                switch escapeSequence(items, from: i) {
                case .incomplete:
                    pending = Array(items[i...])
                    return events
                case .consumed(let count, let event):
                    if let event { events.append(event) }
                    i += count
                }
            case .character(let v):
                if let key = Self.key(forCharacter: v) { events.append(.key(key)) }
                i += 1
            }
        }
        return events
    }

    /// Gives up waiting for the rest of a pending escape sequence: a lone ESC is the Escape key.
    public mutating func flush() -> [TerminalEvent] {
        guard !pending.isEmpty else { return [] }
        let items = pending
        pending = []
        if case .mouseReportStart = items[0] { return [] }
        var events: [TerminalEvent] = [.key(.escape)]
        // What followed ESC was not a complete sequence: keep printable characters as typed (Alt-x).
        let rest = decode(Array(items.dropFirst()))
        if pending.isEmpty { events += rest } else { pending = [] }
        return events
    }

    private enum EscapeResult { case incomplete; case consumed(Int, TerminalEvent?) }

    private func escapeSequence(_ items: [RawInput], from start: Int) -> EscapeResult {
        let next = start + 1
        guard next < items.count else {
            // ncurses already waited ESCDELAY for more: a lone ESC.
            return .consumed(1, .key(.escape))
        }
        switch items[next] {
        case .character(UInt32(UInt8(ascii: "["))):
            return csi(items, from: start)
        case .character(UInt32(UInt8(ascii: "O"))):
            guard next + 1 < items.count else { return .incomplete }
            guard case .character(let f) = items[next + 1] else { return .consumed(2, .key(.escape)) }
            return .consumed(3, Self.ss3(f).map { .key($0) })
        case .character(27):
            return .consumed(1, .key(.escape))
        case .keyCode(let code):
            // Alt plus a key ncurses decoded: the key.
            return .consumed(2, Self.key(forCode: code).map { .key($0) })
        case .namedKey(let name):
            return .consumed(2, Self.key(forCapabilityName: name).map { .key($0) })
        case .mouse, .mouseReportStart:
            return .consumed(1, .key(.escape))
        case .character:
            // Alt plus a character: Escape, then the character (decoded on the next step).
            return .consumed(1, .key(.escape))
        }
    }

    /// Parses `ESC [ params final` starting at the ESC.
    private func csi(_ items: [RawInput], from start: Int) -> EscapeResult {
        var i = start + 2
        // Linux console F1-F5: ESC [ [ A..E
        if i < items.count, case .character(UInt32(UInt8(ascii: "["))) = items[i] {
            guard i + 1 < items.count else { return .incomplete }
            if case .character(let f) = items[i + 1], f >= 0x41, f <= 0x45 {
                return .consumed(4, .key(.function(Int(f) - 0x40)))
            }
            return .consumed(4, nil)
        }
        var params = ""
        while i < items.count {
            if i - start >= Self.maxSequenceLength { return .consumed(i - start, nil) }
            guard case .character(let c) = items[i] else { return .consumed(i - start, nil) }
            if c >= 0x20 && c <= 0x3F {
                params.unicodeScalars.append(Unicode.Scalar(UInt8(c)))
                i += 1
                continue
            }
            if c >= 0x40 && c <= 0x7E {
                return .consumed(i - start + 1, Self.csiKey(params: params, final: UInt8(c)).map { .key($0) })
            }
            return .consumed(i - start, nil)
        }
        return .incomplete
    }

    /// Index after the `b;x;y` + `M`/`m` tail of an SGR mouse report starting at `start`, nil if incomplete.
    static func endOfMouseReport(_ items: [RawInput], from start: Int) -> Int? {
        var i = start
        while i < items.count && i - start < maxSequenceLength {
            guard case .character(let c) = items[i] else { return i }
            if c == 0x4D || c == 0x6D { return i + 1 }  // M or m
            guard (0x30...0x39).contains(c) || c == 0x3B else { return i }
            i += 1
        }
        return i - start >= maxSequenceLength ? i : nil
    }

    static func csiKey(params: String, final: UInt8) -> Key? {
        let fields = params.split(separator: ";", omittingEmptySubsequences: false)
        let first = fields.first.flatMap { Int($0) }
        switch final {
        case UInt8(ascii: "A"): return .up
        case UInt8(ascii: "B"): return .down
        case UInt8(ascii: "C"): return .right
        case UInt8(ascii: "D"): return .left
        case UInt8(ascii: "H"): return .home
        case UInt8(ascii: "F"): return .end
        case UInt8(ascii: "Z"): return .backTab
        case UInt8(ascii: "P"), UInt8(ascii: "Q"), UInt8(ascii: "R"), UInt8(ascii: "S"):
            return params.isEmpty || first == 1 ? .function(Int(final) - Int(UInt8(ascii: "P")) + 1) : nil
        case UInt8(ascii: "~"):
            switch first {
            case 1, 7: return .home
            case 2: return .insert
            case 3: return .delete
            case 4, 8: return .end
            case 5: return .pageUp
            case 6: return .pageDown
            case .some(let n) where (11...15).contains(n): return .function(n - 10)
            case .some(let n) where (17...21).contains(n): return .function(n - 11)
            case 23: return .function(11)
            case 24: return .function(12)
            default: return nil
            }
        default: return nil
        }
    }

    static func ss3(_ f: UInt32) -> Key? {
        switch f {
        case 0x50...0x53: return .function(Int(f) - 0x4F)  // P Q R S
        case 0x41: return .up
        case 0x42: return .down
        case 0x43: return .right
        case 0x44: return .left
        case 0x48: return .home
        case 0x46: return .end
        case 0x4D: return .enter
        default: return nil
        }
    }

    /// The key for a plain character value, nil for characters that are dropped (C1 controls, invalid).
    public static func key(forCharacter v: UInt32) -> Key? {
        switch v {
        case 13, 10: return .enter
        case 9: return .tab
        case 127, 8: return .backspace
        case 27: return .escape
        case 0: return .control("@")
        case 1...26: return .control(Character(Unicode.Scalar(UInt8(0x60 + v))))
        case 28: return .control("\\")
        case 29: return .control("]")
        case 30: return .control("^")
        case 31: return .control("_")
        case 0x80...0x9F: return nil
        default:
            guard let scalar = Unicode.Scalar(v) else { return nil }
            return .character(Character(scalar))
        }
    }

    /// The key for an ncurses key code, including the variants terminals send for Home/End/PgUp/PgDn.
    public static func key(forCode code: Int32) -> Key? {
        switch code {
        case KEY_UP, KEY_SR: return .up
        case KEY_DOWN, KEY_SF: return .down
        case KEY_LEFT, KEY_SLEFT: return .left
        case KEY_RIGHT, KEY_SRIGHT: return .right
        case KEY_HOME, KEY_FIND, KEY_A1, KEY_SHOME, KEY_BEG: return .home
        case KEY_END, KEY_SELECT, KEY_C1, KEY_LL, KEY_SEND: return .end
        case KEY_PPAGE, KEY_A3, KEY_SPREVIOUS: return .pageUp
        case KEY_NPAGE, KEY_C3, KEY_SNEXT: return .pageDown
        case KEY_IC, KEY_SIC: return .insert
        case KEY_DC, KEY_SDC: return .delete
        case KEY_BACKSPACE: return .backspace
        case KEY_ENTER: return .enter
        case KEY_BTAB: return .backTab
        default:
            let f0 = unitop_key_f(0)
            if code > f0 && code <= f0 + 60 { return .function(Int(code - f0 - 1) % 12 + 1) }
            return nil
        }
    }
}

extension TerminalInputDecoder {
    /// The key for an extended terminfo key capability name: the modified variants of the usual keys
    /// (xterm's kUP5 = Ctrl-Up, linux's kcbt2 = ESC [ Z) are reported as the plain key.
    public static func key(forCapabilityName name: String) -> Key? {
        let base = String(name.prefix { !$0.isNumber })
        switch base {
        case "kcbt": return .backTab
        case "kUP": return .up
        case "kDN": return .down
        case "kLFT": return .left
        case "kRIT": return .right
        case "kHOM": return .home
        case "kEND": return .end
        case "kPRV": return .pageUp
        case "kNXT": return .pageDown
        case "kDC": return .delete
        case "kIC": return .insert
        default: return nil
        }
    }
}

extension Key {
    /// A short readable name ("Up", "F5", "Ctrl-]", "é"), used by the termcheck tool and logs.
    public var displayName: String {
        switch self {
        case .character(let c): return String(c)
        case .control(let c): return "Ctrl-" + String(c).uppercased()
        case .enter: return "Enter"
        case .escape: return "Esc"
        case .tab: return "Tab"
        case .backTab: return "BackTab"
        case .backspace: return "Backspace"
        case .delete: return "Delete"
        case .up: return "Up"
        case .down: return "Down"
        case .left: return "Left"
        case .right: return "Right"
        case .home: return "Home"
        case .end: return "End"
        case .pageUp: return "PgUp"
        case .pageDown: return "PgDn"
        case .insert: return "Insert"
        case .function(let n): return "F\(n)"
        }
    }
}

/// The input thread: blocks in `poll()` on the terminal and on a wake-up pipe (written by signal
/// handlers and by shutdown), then has the driver read on its actor and waits until it has. No busy
/// loop: with nothing to read it sleeps in `poll()` indefinitely (or 40 ms while an escape sequence is
/// incomplete).
final class InputPump: Sendable {
    /// What woke the thread.
    struct Wakeup: Sendable {
        var stdinReady = false
        var resized = false
        var terminate = false
        var hangup = false
        var timedOut = false
    }

    /// How long to wait for the rest of an incomplete escape sequence.
    static let pendingTimeoutMilliseconds: Int32 = 40

    private let inputFD: Int32
    private let wakeReadFD: Int32
    private let wakeWriteFD: Int32
    private let handler: @MainActor @Sendable (Wakeup) -> Bool

    init(inputFD: Int32, wakeReadFD: Int32, wakeWriteFD: Int32, handler: @escaping @MainActor @Sendable (Wakeup) -> Bool) {
        self.inputFD = inputFD
        self.wakeReadFD = wakeReadFD
        self.wakeWriteFD = wakeWriteFD
        self.handler = handler
    }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "unitop-terminal-input"
        thread.start()
    }

    private func run() {
        var hasPending = false
        var watchInput = true
        var hungUp = false
        defer { close(wakeReadFD); close(wakeWriteFD) }
        while true {
            var fds = [pollfd(fd: watchInput ? inputFD : -1, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: wakeReadFD, events: Int16(POLLIN), revents: 0)]
            let rc = poll(&fds, 2, hasPending ? Self.pendingTimeoutMilliseconds : -1)
            if rc < 0 {
                if errno == EINTR { continue }
                return
            }
            var wakeup = Wakeup()
            wakeup.timedOut = rc == 0
            if fds[1].revents & Int16(POLLIN) != 0 {
                var buf = [UInt8](repeating: 0, count: 64)
                while true {
                    let n = read(wakeReadFD, &buf, buf.count)
                    if n <= 0 { break }
                    for b in buf[0..<n] {
                        switch b {
                        case UInt8(ascii: "Q"): return
                        case UInt8(ascii: "W"): wakeup.resized = true
                        case UInt8(ascii: "T"): wakeup.terminate = true
                        default: break
                        }
                    }
                }
            }
            let inputEvents = fds[0].revents
            if inputEvents & Int16(POLLIN) != 0 { wakeup.stdinReady = true }
            if inputEvents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 && inputEvents & Int16(POLLIN) == 0 {
                // The terminal is gone (ssh drop): stop watching it and ask the app to quit once.
                watchInput = false
                if !hungUp { hungUp = true; wakeup.hangup = true }
            }
            let answer = Mutex(false)
            let done = DispatchSemaphore(value: 0)
            let handler = self.handler
            let reason = wakeup
            Task { @MainActor in
                let pending = handler(reason)
                answer.withLock { $0 = pending }
                done.signal()
            }
            done.wait()
            hasPending = answer.withLock { $0 }
        }
    }
}
