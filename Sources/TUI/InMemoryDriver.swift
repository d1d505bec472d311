/// A terminal driver that draws into memory: tests send it input and read the frames it got.
public final class InMemoryDriver: TerminalDriver, @unchecked Sendable {
    public private(set) var size: (width: Int, height: Int)
    public let capabilities: TerminalCapabilities
    /// Every grid presented, oldest first (bounded to the last `maxFrames`).
    public private(set) var frames: [Grid] = []
    public let maxFrames = 200
    public private(set) var presentCount = 0
    public private(set) var isShutDown = false
    private let stream: AsyncStream<TerminalEvent>
    private let continuation: AsyncStream<TerminalEvent>.Continuation

    public init(width: Int = 120, height: Int = 40, capabilities: TerminalCapabilities = .init(colors: 256, unicode: true)) {
        size = (width, height)
        self.capabilities = capabilities
        (stream, continuation) = AsyncStream<TerminalEvent>.makeStream()
    }

    public func events() -> AsyncStream<TerminalEvent> { stream }

    public func present(_ grid: Grid) {
        presentCount += 1
        frames.append(grid)
        if frames.count > maxFrames { frames.removeFirst(frames.count - maxFrames) }
    }

    public func shutdown() {
        isShutDown = true
        continuation.finish()
    }

    /// Simulates terminal input.
    public func send(_ event: TerminalEvent) {
        if case .resize(let w, let h) = event { size = (w, h) }
        continuation.yield(event)
    }

    /// Simulates typing keys.
    public func type(_ keys: Key...) { for k in keys { send(.key(k)) } }

    /// The text of the last frame, trailing spaces trimmed.
    public var lines: [String] { frames.last?.lines ?? [] }
    /// The last frame as one string.
    public var screenText: String { lines.joined(separator: "\n") }
}
