/// Where the parts of the current screen go; shared by the reducer (scrolling, paging) and the views.
public struct Layout: Sendable, Equatable {
    /// Smallest usable terminal.
    public static let minWidth = 40
    public static let minHeight = 10

    /// First row of the main table (its header row), and rows including the header.
    public var tableY = 2
    public var tableHeight = 0
    /// Console title row (-1 when there is no console pane) and console text rows below it.
    public var consoleTitleY = -1
    public var consoleY = 0
    public var consoleHeight = 0
    public var statusY = 0

    /// Table data rows visible.
    public var tableRows: Int { max(0, tableHeight - 1) }
    public var hasConsole: Bool { consoleTitleY >= 0 && consoleHeight > 0 }

    public static func isTooSmall(width: Int, height: Int) -> Bool { width < minWidth || height < minHeight }

    public static func of(_ state: AppState) -> Layout {
        var l = Layout()
        let h = state.height
        l.statusY = max(0, h - 1)
        switch state.screen {
        case .instances:
            let body = max(0, h - 3)
            let wanted = max(2, state.rows.count + 1)
            var table = min(wanted, max(2, body / 2))
            if body - table < 3 { table = body }
            l.tableY = 2
            l.tableHeight = table
            if body - table >= 3 {
                l.consoleTitleY = 2 + table
                l.consoleY = l.consoleTitleY + 1
                l.consoleHeight = body - table - 1
            }
        case .images:
            l.tableY = 2
            l.tableHeight = max(0, h - 3)
        case .details:
            l.tableY = 2
            l.tableHeight = max(0, h - 3)
        case .console:
            l.consoleTitleY = 0
            l.consoleY = 1
            l.consoleHeight = max(0, h - 2)
        }
        return l
    }
}
