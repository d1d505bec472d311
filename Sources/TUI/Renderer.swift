import Foundation
import Models

/// Draws the whole screen from the state. Pure: same state, same grid. Only visible rows are drawn,
/// so the cost does not grow with the number of instances or the size of the scrollback.
public enum Renderer {
    /// Renders `state` at its terminal size.
    public static func render(_ state: AppState) -> Grid {
        render(state, width: state.width, height: state.height)
    }

    /// Renders `state` at `width`×`height`.
    public static func render(_ state: AppState, width: Int, height: Int) -> Grid {
        var s = state
        s.width = max(0, width); s.height = max(0, height)
        var grid = Grid(width: s.width, height: s.height)
        guard s.width > 0, s.height > 0 else { return grid }
        if Layout.isTooSmall(width: s.width, height: s.height) {
            drawTooSmall(&grid, s)
            return grid
        }
        let layout = Layout.of(s)
        switch s.screen {
        case .instances:
            HeaderView.draw(&grid, s)
            HeaderView.drawTabs(&grid, s)
            InstancesTableView.draw(&grid, s, layout)
            if layout.hasConsole { ConsoleView.draw(&grid, s, layout) }
        case .images:
            HeaderView.draw(&grid, s)
            HeaderView.drawTabs(&grid, s)
            ImagesTableView.draw(&grid, s, layout)
        case .details:
            HeaderView.draw(&grid, s)
            DetailsView.draw(&grid, s, layout)
        case .console:
            ConsoleView.draw(&grid, s, layout)
        }
        StatusBarView.draw(&grid, s, layout)
        if s.showHelp { HelpView.draw(&grid, s) }
        if let form = s.startForm { StartFormView.draw(&grid, s, form) }
        if let dialog = s.confirm { DialogView.drawConfirm(&grid, s, dialog) }
        return grid
    }

    static func drawTooSmall(_ grid: inout Grid, _ s: AppState) {
        let lines = ["terminal too small: \(s.width)x\(s.height)",
                     "need at least \(Layout.minWidth)x\(Layout.minHeight)", "q quits"]
        for (i, l) in lines.enumerated() where i < grid.height {
            grid.put(l, x: 0, y: i, style: i == 0 ? s.theme[.error] : s.theme[.message])
        }
    }

    /// Draws a framed box with a title; returns the inner rectangle.
    @discardableResult
    static func drawBox(_ grid: inout Grid, _ s: AppState, x: Int, y: Int, width w: Int, height h: Int,
                        title: String, style: Style, titleStyle: Style) -> (x: Int, y: Int, width: Int, height: Int) {
        let sym = s.symbols
        grid.fill(x: x, y: y, width: w, height: h, style: style)
        guard w >= 2, h >= 2 else { return (x, y, max(0, w), max(0, h)) }
        grid.hline(x: x + 1, y: y, width: w - 2, character: sym.horizontal, style: style)
        grid.hline(x: x + 1, y: y + h - 1, width: w - 2, character: sym.horizontal, style: style)
        for yy in y + 1..<y + h - 1 {
            grid.put(String(sym.vertical), x: x, y: yy, style: style)
            grid.put(String(sym.vertical), x: x + w - 1, y: yy, style: style)
        }
        grid.put(String(sym.topLeft), x: x, y: y, style: style)
        grid.put(String(sym.topRight), x: x + w - 1, y: y, style: style)
        grid.put(String(sym.bottomLeft), x: x, y: y + h - 1, style: style)
        grid.put(String(sym.bottomRight), x: x + w - 1, y: y + h - 1, style: style)
        if !title.isEmpty {
            grid.put(" \(title) ", x: x + 2, y: y, style: titleStyle, maxWidth: max(0, w - 4))
        }
        return (x + 2, y + 1, max(0, w - 4), max(0, h - 2))
    }
}
