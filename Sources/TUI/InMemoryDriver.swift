import Foundation

/// A terminal driver that draws into memory: tests send it input and read the frames it got.
/// Thread-safe: tests may read while the UI runtime presents.
public final class InMemoryDriver: TerminalDriver, @unchecked Sendable {
    private let lock = NSLock()
    private var _size: (width: Int, height: Int)
    private var _frames: [Grid] = []
    private var _presentCount = 0
    private var _isShutDown = false
    public let capabilities: TerminalCapabilities
    public let maxFrames = 200

    public var size: (width: Int, height: Int) { lock.withLock { _size } }
    /// Every grid presented, oldest first (bounded to the last `maxFrames`).
    public var frames: [Grid] { lock.withLock { _frames } }
    public var presentCount: Int { lock.withLock { _presentCount } }
    public var isShutDown: Bool { lock.withLock { _isShutDown } }
    private let stream: AsyncStream<TerminalEvent>
    private let continuation: AsyncStream<TerminalEvent>.Continuation

    public init(width: Int = 120, height: Int = 40, capabilities: TerminalCapabilities = .init(colors: 256, unicode: true)) {
        _size = (width, height)
        self.capabilities = capabilities
        (stream, continuation) = AsyncStream<TerminalEvent>.makeStream()
    }

    public func events() -> AsyncStream<TerminalEvent> { stream }

    public func present(_ grid: Grid) {
        lock.withLock {
            _presentCount += 1
            _frames.append(grid)
            if _frames.count > maxFrames { _frames.removeFirst(_frames.count - maxFrames) }
        }
    }

    public func shutdown() {
        lock.withLock { _isShutDown = true }
        continuation.finish()
    }

    /// Simulates terminal input.
    public func send(_ event: TerminalEvent) {
        if case .resize(let w, let h) = event { lock.withLock { _size = (w, h) } }
        continuation.yield(event)
    }

    /// Simulates typing keys.
    public func type(_ keys: Key...) { for k in keys { send(.key(k)) } }

    /// The text of the last frame, trailing spaces trimmed.
    public var lines: [String] { frames.last?.lines ?? [] }
    /// The last frame as one string.
    public var screenText: String { lines.joined(separator: "\n") }
}
