import Foundation
import Models

/// Everything that can happen to the UI. Time arrives in actions (`tick`), never read by the reducer.
public enum Action: Sendable {
    case key(Key)
    case mouse(MouseEvent)
    case resize(width: Int, height: Int)
    case backendEvent(BackendEvent)
    /// The initial instance list of one backend.
    case instancesLoaded(BackendRef, [Instance])
    case imagesLoaded([Image])
    /// The images a remote host stores (``ImageStoring``), replacing that host's earlier list.
    case hostImagesLoaded(host: String, [Image])
    case consoleData(InstanceID, [UInt8])
    /// The console stream finished; `error` says why when it failed.
    case consoleEnded(InstanceID, error: String?)
    case actionFailed(String)
    case actionSucceeded(String)
    /// A clock tick (spinners, uptime, countdowns).
    case tick(Date)
}

/// Work the runtime does for the reducer. Data only.
public enum Effect: Sendable, Equatable {
    case start(LaunchSpec, backend: BackendRef)
    case stop(InstanceID, timeoutSeconds: Double)
    case kill(InstanceID)
    case pause(InstanceID)
    case resume(InstanceID)
    case restart(InstanceID)
    case remove(InstanceID, force: Bool)
    case sendInput(InstanceID, [UInt8])
    case openConsole(InstanceID, history: ConsoleHistory)
    case closeConsole(InstanceID)
    case loadImages
    /// Redraw the whole terminal (Ctrl-L).
    case repaint
    /// Suspend the process (Ctrl-Z); the screen is redrawn on resume.
    case suspend
    case quit
}

/// Columns of the instances table (also the sort keys).
public enum InstanceColumn: Int, CaseIterable, Sendable {
    case name, host, image, state, cpus, memory, cpuPercent, sparkline, rss, uptime, boot, ready, ports

    public var title: String {
        switch self {
        case .name: return "NAME"
        case .host: return "HOST"
        case .image: return "IMAGE"
        case .state: return "STATE"
        case .cpus: return "CPUS"
        case .memory: return "MEM"
        case .cpuPercent: return "CPU%"
        case .sparkline: return "CPU"
        case .rss: return "RSS"
        case .uptime: return "UP"
        case .boot: return "BOOT"
        case .ready: return "READY"
        case .ports: return "PORTS"
        }
    }

    /// Columns the sort keys cycle through (`<`/`>`).
    public static let sortable: [InstanceColumn] = [.name, .host, .image, .state, .cpus, .memory, .cpuPercent, .rss, .uptime, .boot, .ready, .ports]
}
