import DequeModule
import Foundation
import Models

/// The main screens.
public enum Screen: Sendable, Equatable { case instances, images, details, console }

/// Which pane of the instances screen has the keyboard.
public enum Pane: Sendable, Equatable { case list, console }

/// A backend as the UI knows it: kind and host label.
public struct BackendRef: Sendable, Hashable, CustomStringConvertible {
    public var kind: BackendKind
    public var host: String
    public init(kind: BackendKind, host: String) { self.kind = kind; self.host = host }
    public var description: String { "\(kind):\(host)" }
}

/// A status bar message: kept until replaced.
public struct StatusMessage: Sendable, Equatable {
    public var text: String
    public var isError: Bool
    public var time: Date
}

/// A one-line text prompt at the bottom (filter or console search).
public struct Prompt: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case filter, search }
    public var kind: Kind
    public var text: String
    /// The value before editing, restored on Esc.
    public var original: String
}

/// A yes/no question before a destructive action.
public struct ConfirmDialog: Sendable, Equatable {
    public var title: String
    public var question: String
    /// Effect to run on "yes".
    public var effect: Effect
}

/// Bounded history of CPU samples for sparklines: a window of the last ``capacity`` samples,
/// kept in a `Deque` so each new sample drops the oldest in O(1) instead of shifting the array.
public struct StatsHistory: Sendable, Equatable {
    public static let capacity = 60
    public private(set) var samples: Deque<Double> = []
    public mutating func add(_ v: Double) {
        while samples.count >= Self.capacity { samples.removeFirst() }
        samples.append(v)
    }

    /// Samples averaged for the CPU% cell.
    public static let displayWindow = 5

    /// The mean of the last `count` samples; nil when there are none.
    public func mean(last count: Int = displayWindow) -> Double? {
        let tail = samples.suffix(max(1, count))
        guard !tail.isEmpty else { return nil }
        return tail.reduce(0, +) / Double(tail.count)
    }
}

/// What the console view of one instance shows and where it is scrolled to.
public struct ConsoleViewState: Sendable {
    public var buffer: ConsoleBuffer
    /// Stick to the newest output.
    public var follow = true
    /// Absolute number of the top line when not following (stable under eviction).
    public var topLine = 0
    /// The raw search text ("" when no search).
    public var search = ""
    /// Absolute line number of the current match (n/N).
    public var currentMatch: Int?
    /// The console stream ended (instance ended or stream failed).
    public var ended = false
    public init(capacity: Int) { buffer = ConsoleBuffer(capacity: capacity) }
}

/// The whole UI state: a value, changed only by ``reduce(_:_:)``.
public struct AppState: Sendable {
    public var instances: [InstanceID: Instance] = [:]
    /// Instance rows shown: filtered and sorted (recomputed by the reducer when inputs change).
    public internal(set) var rows: [InstanceID] = []
    public var selectedID: InstanceID?
    public var cursor = 0
    public var listTop = 0

    public var images: [Image] = []
    public internal(set) var imageRows: [Int] = []
    public var imageCursor = 0
    public var imageTop = 0
    public var imagesLoading = true

    public var sortColumn: InstanceColumn = .name
    public var sortAscending = true
    public var instanceFilter = ""
    public var imageFilter = ""
    public var prompt: Prompt?

    public var screen: Screen = .instances
    /// Screen to return to from details/console.
    public var previousScreen: Screen = .instances
    public var focus: Pane = .list
    public var showHelp = false
    public var helpTop = 0
    public var detailsTop = 0
    public var wrap = false

    public var consoles: [InstanceID: ConsoleViewState] = [:]
    /// Consoles opened, most recently viewed last (bounded).
    public var openConsoles: [InstanceID] = []
    public static let maxOpenConsoles = 8
    /// Keys go to this guest's console (interactive mode).
    public var interactive: InstanceID?

    public var confirm: ConfirmDialog?
    public var startForm: StartForm?
    public var status: StatusMessage?

    public var stats: [InstanceID: StatsHistory] = [:]
    public var backends: [BackendRef] = []
    /// What each backend can report (filled from the backends at start); a backend not in the
    /// map is taken to report everything.
    public var backendCapabilities: [BackendRef: BackendCapabilities] = [:]
    public var connections: [BackendRef: ConnectionStatus] = [:]
    /// The last round trip to each remote host, in milliseconds (``BackendEvent/hostLatency(backend:host:milliseconds:)``).
    public var latencies: [BackendRef: Double] = [:]
    /// Only this host's instances and images are listed (`H` cycles); nil: every host.
    public var hostFilter: String?
    public var instancesLoaded: Set<BackendRef> = []

    public var readonly = false
    public var theme: Theme = .default
    public var width = 80
    public var height = 24
    public var capabilities = TerminalCapabilities(colors: 256, unicode: true)
    public var mouseEnabled = false
    /// False for NO_COLOR / monochrome terminals: guest colours are dropped, attributes kept.
    public var colorsEnabled = true
    public var stopTimeoutSeconds: Double = 10
    /// Resolves the start form's launch values (the config's `[qemu]` machine, accel, CPU model).
    public var launchResolver = LaunchResolver()
    public var scrollbackLines = 10_000

    /// Spinner frame counter (advanced by ticks).
    public var tick = 0
    /// The time of the last action that carried one (ticks); views use it for uptime/countdowns.
    public var now = Date(timeIntervalSince1970: 0)
    /// Bumped by the reducer whenever something visible may have changed.
    public var revision = 0
    public var quitting = false

    public init() {}

    public var symbols: Symbols { Symbols.forCapabilities(capabilities) }
    public var selectedInstance: Instance? { selectedID.flatMap { instances[$0] } }
    public var selectedImage: Image? {
        guard imageRows.indices.contains(imageCursor) else { return nil }
        return images[imageRows[imageCursor]]
    }
    /// What the backend of `inst` can report.
    public func capabilities(of inst: Instance) -> BackendCapabilities {
        backendCapabilities[BackendRef(kind: inst.backend, host: inst.host)] ?? .all
    }

    /// The details screen shows the selected image (opened with `i` on the images screen).
    public var detailsShowImage: Bool { screen == .details && previousScreen == .images }

    /// The instance whose console the console pane / console screen shows.
    public var consoleInstanceID: InstanceID? { interactive ?? selectedID }

    /// The CPU% an instance's cell shows: the mean of its last few samples (the raw sample when
    /// there is no history yet); nil when there are no statistics.
    public func displayedCPU(_ inst: Instance) -> Double? {
        stats[inst.id]?.mean() ?? inst.stats?.cpuPercent
    }

    /// When the screen next changes by itself (spinner frame, countdown, uptime text) if it was
    /// drawn at `time`; nil when nothing on screen depends on time. See ``ScreenClock``.
    public func nextTimeChange(after time: Date) -> Date? {
        ScreenClock.nextChange(self, after: time)
    }
}
