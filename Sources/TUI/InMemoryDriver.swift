import Foundation
import Synchronization

/// A terminal driver that draws into memory: tests send it input and read the frames it got.
/// Thread-safe: tests may read while the UI runtime presents.
public final class InMemoryDriver: TerminalDriver, Sendable {
    private struct Screen {
        var size: (width: Int, height: Int)
        var frames: [Grid] = []
        var presentCount = 0
        var isShutDown = false
    }

    private let screen: Mutex<Screen>
    public let capabilities: TerminalCapabilities
    public let maxFrames = 200

    public var size: (width: Int, height: Int) { screen.withLock { $0.size } }
    /// Every grid presented, oldest first (bounded to the last `maxFrames`).
    public var frames: [Grid] { screen.withLock { $0.frames } }
    public var presentCount: Int { screen.withLock { $0.presentCount } }
    public var isShutDown: Bool { screen.withLock { $0.isShutDown } }
    private let stream: AsyncStream<TerminalEvent>
    private let continuation: AsyncStream<TerminalEvent>.Continuation

    public init(width: Int = 120, height: Int = 40, capabilities: TerminalCapabilities = .init(colors: 256, unicode: true)) {
        screen = Mutex(Screen(size: (width, height)))
        self.capabilities = capabilities
        (stream, continuation) = AsyncStream<TerminalEvent>.makeStream()
    }

    public func events() -> AsyncStream<TerminalEvent> { stream }

    public func present(_ grid: Grid) {
        let keep = maxFrames
        screen.withLock { s in
            s.presentCount += 1
            s.frames.append(grid)
            if s.frames.count > keep { s.frames.removeFirst(s.frames.count - keep) }
        }
    }

    public func shutdown() {
        screen.withLock { $0.isShutDown = true }
        continuation.finish()
    }

    /// Simulates terminal input.
    public func send(_ event: TerminalEvent) {
        if case .resize(let w, let h) = event { screen.withLock { $0.size = (w, h) } }
        continuation.yield(event)
    }

    /// Simulates typing keys.
    public func type(_ keys: Key...) { for k in keys { send(.key(k)) } }

    /// The text of the last frame, trailing spaces trimmed.
    public var lines: [String] { frames.last?.lines ?? [] }
    /// The last frame as one string.
    public var screenText: String { lines.joined(separator: "\n") }
}
