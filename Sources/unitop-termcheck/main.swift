// unitop-termcheck: exercises the ncurses driver. Draws a test pattern (colours, attributes, wide
// characters, box drawing), shows the last key decoded, follows resizes and quits on q.
// UNITOP_TERMCHECK_IGNORE_TERMINATION=1 ignores SIGTERM/SIGHUP/SIGINT (tests the driver's fallback);
// UNITOP_TERMCHECK_GRACE=N sets the driver's termination grace period.
// Keys: q quit, Ctrl-L full repaint, m toggle mouse, Ctrl-Z suspend, Ctrl-\ forced crash (a trap,
// for testing terminal restore).
import Foundation
import TUI

@MainActor
struct TermCheck {
    var lastKey = "none"
    var events = 0
    var lastMouse = "none"
    var size: (width: Int, height: Int)
    let capabilities: TerminalCapabilities
    let pid = getpid()

    func render(mouse: Bool) -> Grid {
        var g = Grid(width: size.width, height: size.height)
        let u = capabilities.unicode
        g.put("unitop-termcheck \(size.width)x\(size.height) colors=\(capabilities.colors) unicode=\(u ? "yes" : "no") pid=\(pid)",
              x: 0, y: 0, style: Style(attributes: .bold))
        g.put("last key: \(lastKey)  events: \(events)", x: 0, y: 1)
        g.put("mouse: \(mouse ? "on" : "off")  last mouse: \(lastMouse)", x: 0, y: 2)
        let boxWidth = min(size.width, 40)
        let (h, v, tl, tr, bl, br) = u ? ("─", "│", "┌", "┐", "└", "┘") : ("-", "|", "+", "+", "+", "+")
        if boxWidth >= 2 {
            g.put(tl + String(repeating: h, count: boxWidth - 2) + tr, x: 0, y: 3)
            for y in 4...6 {
                g.put(v, x: 0, y: y)
                g.put(v, x: boxWidth - 1, y: y)
            }
            g.put(bl + String(repeating: h, count: boxWidth - 2) + br, x: 0, y: 7)
        }
        g.put(u ? "wide: 日本語 ✓ é ü" : "wide: (ascii only)", x: 2, y: 4, maxWidth: boxWidth - 3)
        var x = 2
        for (name, attr) in [("bold", TextAttributes.bold), ("dim", .dim), ("italic", .italic), ("under", .underline), ("rev", .reverse)] {
            x += g.put(name, x: x, y: 5, style: Style(attributes: attr), maxWidth: boxWidth - 1 - x) + 1
        }
        g.put("red", x: 2, y: 6, style: Style(foreground: .indexed(1)), maxWidth: boxWidth - 3)
        g.put("green", x: 6, y: 6, style: Style(foreground: .rgb(0, 200, 0)), maxWidth: boxWidth - 7)
        g.put("on-blue", x: 12, y: 6, style: Style(foreground: .indexed(15), background: .indexed(4)), maxWidth: boxWidth - 13)
        for i in 0..<16 where i * 2 + 1 < size.width {
            g.put("  ", x: i * 2, y: 8, style: Style(background: .indexed(UInt8(i))))
        }
        for i in 0..<min(size.width, 72) {
            g.put(" ", x: i, y: 9, style: Style(background: .indexed(UInt8(16 + i * 3))))
            let r = UInt8(255 * i / max(1, min(size.width, 72) - 1))
            g.put(" ", x: i, y: 10, style: Style(background: .rgb(r, 64, 255 - r)))
        }
        let bottom = size.height - 1
        if bottom > 10 {
            g.put("q quit  ^L repaint  m mouse", x: 0, y: bottom)
            let marker = "<\(size.width)x\(size.height)>"
            g.put(marker, x: size.width - marker.count, y: bottom)
        }
        return g
    }
}

let driver: NCursesDriver
do {
    var options = NCursesDriver.Options()
    if let grace = ProcessInfo.processInfo.environment["UNITOP_TERMCHECK_GRACE"].flatMap({ UInt32($0) }) {
        options.terminationGraceSeconds = grace
    }
    driver = try NCursesDriver(options: options)
} catch {
    FileHandle.standardError.write(Data("unitop-termcheck: \(error)\n".utf8))
    exit(1)
}
var state = TermCheck(size: driver.size, capabilities: driver.capabilities)
var terminatedBy: Int32 = 0
if ProcessInfo.processInfo.environment["UNITOP_TERMCHECK_IGNORE_TERMINATION"] != nil {
    // Simulates an app whose quit path hangs: the driver's fallback must still restore and exit.
    driver.onTerminationRequest = { sig in
        state.lastKey = "termination request \(sig) ignored"
        driver.present(state.render(mouse: driver.mouseEnabled))
    }
} else {
    driver.onTerminationRequest = { sig in
        terminatedBy = sig
        driver.shutdown()
    }
}
driver.present(state.render(mouse: driver.mouseEnabled))

loop: for await event in driver.events() {
    state.events += 1
    switch event {
    case .key(.character("q")):
        break loop
    case .key(.control("l")):
        driver.requestFullRepaint()
        state.lastKey = "Ctrl-L"
    case .key(.character("m")):
        driver.setMouseEnabled(!driver.mouseEnabled)
        state.lastKey = "m"
    case .key(.control("z")):
        driver.suspend()
        state.lastKey = "Ctrl-Z"
    case .key(.control("\\")):
        fatalError("unitop-termcheck: forced crash")
    case .key(let key):
        state.lastKey = key.displayName
    case .mouse(let m):
        state.lastMouse = "\(m.kind) \(m.x),\(m.y)"
    case .resize(let w, let h):
        state.size = (w, h)
    }
    driver.present(state.render(mouse: driver.mouseEnabled))
}
driver.shutdown()
if terminatedBy != 0 {
    print("unitop-termcheck: terminated by signal \(terminatedBy)")
    exit(128 + terminatedBy)
}
print("unitop-termcheck: bye")
