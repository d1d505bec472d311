/// Maps ``TerminalColor`` values down to what a terminal can show and allocates colour pairs on demand.
///
/// Pure except for the `initPair` closure, so it is tested without a terminal: RGB → nearest of the 256
/// xterm colours → nearest of the 16 ANSI colours → one of 8. Colour index `-1` means the terminal's
/// default colour (ncurses `use_default_colors`).
public struct ColorMapper {
    /// 0 (monochrome: pair 0 always), 8, 16 or 256.
    public let colors: Int
    /// Highest usable pair number (pairs 1...maxPair are allocatable; pair 0 is default/default).
    public let maxPair: Int
    private var pairs: [PairKey: Int] = [:]
    private var order: [PairKey] = []

    /// A foreground/background pair of colour indices (-1 = default).
    public struct PairKey: Hashable, Sendable {
        public var foreground: Int
        public var background: Int
        public init(foreground: Int, background: Int) { self.foreground = foreground; self.background = background }
    }

    /// Upper bound on pairs we ever allocate (ncurses `init_pair` takes a short).
    public static let pairLimit = 32767

    public init(colors: Int, colorPairs: Int) {
        self.colors = colors
        self.maxPair = max(0, min(colorPairs - 1, Self.pairLimit))
    }

    /// Number of pairs allocated so far.
    public var allocatedPairs: Int { order.count }

    /// The colour index for `color` on this terminal (-1 for default).
    public func index(for color: TerminalColor) -> Int {
        guard colors > 0 else { return -1 }
        let idx256: Int
        switch color {
        case .default: return -1
        case .indexed(let i): idx256 = Int(i)
        case .rgb(let r, let g, let b): idx256 = Self.nearest256(r: Int(r), g: Int(g), b: Int(b))
        }
        if colors >= 256 { return idx256 }
        let idx16 = Self.nearest(idx256, among: 16)
        if colors >= 16 { return idx16 }
        // Bright colours become their normal counterparts; bright black (grey) becomes white, not black.
        return idx16 == 8 ? 7 : idx16 % 8
    }

    /// The pair for `style`'s colours, allocating it with `initPair(pair, fg, bg)` when new. When the
    /// terminal's pairs are exhausted the nearest allocated pair is reused.
    public mutating func pair(for style: Style, initPair: (Int, Int, Int) -> Void) -> Int {
        guard colors > 0 else { return 0 }
        let key = PairKey(foreground: index(for: style.foreground), background: index(for: style.background))
        if key.foreground == -1 && key.background == -1 { return 0 }
        if let p = pairs[key] { return p }
        if order.count < maxPair {
            let p = order.count + 1
            initPair(p, key.foreground, key.background)
            pairs[key] = p
            order.append(key)
            return p
        }
        return nearestAllocated(to: key)
    }

    private func nearestAllocated(to key: PairKey) -> Int {
        var best = 0
        var bestDistance = Int.max
        for (i, k) in order.enumerated() {
            let d = Self.distance(k.foreground, key.foreground) + Self.distance(k.background, key.background)
            if d < bestDistance { bestDistance = d; best = i + 1 }
        }
        return best
    }

    /// Squared RGB distance between two colour indices (-1 = default, far from every real colour).
    static func distance(_ a: Int, _ b: Int) -> Int {
        if a == b { return 0 }
        if a < 0 || b < 0 { return 3 * 255 * 255 + 1 }
        let x = rgb(of: a), y = rgb(of: b)
        return sq(x.0 - y.0) + sq(x.1 - y.1) + sq(x.2 - y.2)
    }

    private static func sq(_ v: Int) -> Int { v * v }

    /// The six levels of each channel in the xterm 6×6×6 colour cube.
    static let cubeLevels = [0, 95, 135, 175, 215, 255]

    /// The xterm RGB value of a 256-colour index.
    public static func rgb(of index: Int) -> (Int, Int, Int) {
        let ansi: [(Int, Int, Int)] = [
            (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
            (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
        ]
        switch index {
        case 0..<16: return ansi[index]
        case 16..<232:
            let i = index - 16
            return (cubeLevels[i / 36], cubeLevels[(i / 6) % 6], cubeLevels[i % 6])
        case 232..<256:
            let v = 8 + (index - 232) * 10
            return (v, v, v)
        default: return (0, 0, 0)
        }
    }

    /// Nearest 256-colour index (cube or grey ramp; the 16 ANSI colours vary by terminal, so they are not candidates).
    public static func nearest256(r: Int, g: Int, b: Int) -> Int {
        func level(_ v: Int) -> Int {
            var best = 0
            for (i, l) in cubeLevels.enumerated() where abs(l - v) < abs(cubeLevels[best] - v) { best = i }
            return best
        }
        let (ri, gi, bi) = (level(r), level(g), level(b))
        let cube = 16 + 36 * ri + 6 * gi + bi
        let cubeRGB = rgb(of: cube)
        let cubeDistance = sq(cubeRGB.0 - r) + sq(cubeRGB.1 - g) + sq(cubeRGB.2 - b)
        let grayStep = max(0, min(23, ((r + g + b) / 3 - 8 + 5) / 10))
        let gray = 232 + grayStep
        let grayRGB = rgb(of: gray)
        let grayDistance = sq(grayRGB.0 - r) + sq(grayRGB.1 - g) + sq(grayRGB.2 - b)
        return grayDistance < cubeDistance ? gray : cube
    }

    /// Nearest of the first `count` (8 or 16) ANSI colours to a 256-colour index.
    public static func nearest(_ index: Int, among count: Int) -> Int {
        if index < count { return index }
        let c = rgb(of: index)
        var best = 0
        var bestDistance = Int.max
        for i in 0..<count {
            let a = rgb(of: i)
            let d = sq(a.0 - c.0) + sq(a.1 - c.1) + sq(a.2 - c.2)
            if d < bestDistance { bestDistance = d; best = i }
        }
        return best
    }
}
