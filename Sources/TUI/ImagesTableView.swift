import Foundation
import Models

/// The images table: NAME, HOST (`local`, or the libvirt host whose storage pool holds it), KIND
/// (`unikraft`, `kernel`, `disk`), FORMAT, ARCH, SIZE, MODIFIED, BOOTABLE (or why not); `i` shows
/// the details (``ImageDetailsView``).
enum ImagesTableView {
    static func draw(_ grid: inout Grid, _ s: AppState, _ layout: Layout) {
        let t = s.theme
        let y0 = layout.tableY
        let fixed: [(String, Int, Bool)] = [("HOST", 10, false), ("KIND", 8, false), ("FORMAT", 13, false), ("ARCH", 8, false), ("SIZE", 7, true), ("MODIFIED", 16, false)]
        var fixedCols = fixed
        while fixedCols.count > 0, 1 + 16 + 1 + fixedCols.reduce(0, { $0 + $1.1 + 1 }) + 12 > grid.width { fixedCols.removeLast() }
        let rest = grid.width - 1 - fixedCols.reduce(0, { $0 + $1.1 + 1 })
        let nameW = max(10, min(32, rest / 2))
        let bootW = max(0, rest - nameW - 1)
        grid.fill(x: 0, y: y0, width: grid.width, height: 1, style: t[.tableHeader])
        var x = 1
        x += grid.put("NAME".padded(to: nameW), x: x, y: y0, style: t[.tableHeader], maxWidth: nameW) + 1
        for (title, w, right) in fixedCols {
            grid.put(right ? title.leftPadded(to: w) : title.padded(to: w), x: x, y: y0, style: t[.tableHeader], maxWidth: w); x += w + 1
        }
        grid.put("BOOTABLE", x: x, y: y0, style: t[.tableHeader], maxWidth: bootW)
        if s.imageRows.isEmpty {
            let msg = s.imagesLoading ? "scanning image directories…" :
                (s.imageFilter.isEmpty ? "no images: put unikernel images in the image directories (see unitop images)" : "no image matches /\(s.imageFilter)")
            grid.put(" " + msg, x: 0, y: y0 + 1, style: t[.dim])
            return
        }
        for r in 0..<layout.tableRows {
            let index = s.imageTop + r
            guard index < s.imageRows.count else { break }
            let img = s.images[s.imageRows[index]]
            let y = y0 + 1 + r
            let selected = index == s.imageCursor
            if selected { grid.fill(x: 0, y: y, width: grid.width, height: 1, style: t[.selection]) }
            func st(_ role: ThemeRole?) -> Style { selected ? t[.selection] : (role.map { t[$0] } ?? Style()) }
            var cx = 1
            cx += grid.put(img.name.truncated(to: nameW, ellipsis: s.symbols.ellipsis), x: cx, y: y, style: st(nil), maxWidth: nameW)
            cx = 1 + nameW + 1
            let values = [img.host ?? HostLabel.local, img.kind, img.format.rawValue, img.arch ?? s.symbols.emDash, Formatting.bytes(img.sizeBytes),
                          img.modifiedAt.map(Formatting.date) ?? s.symbols.emDash]
            for (i, (_, w, right)) in fixedCols.enumerated() {
                let v = values[i]
                grid.put(right ? v.leftPadded(to: w) : v.truncated(to: w, ellipsis: s.symbols.ellipsis), x: cx, y: y, style: st(i == 1 || i == 2 ? nil : .dim), maxWidth: w)
                cx += w + 1
            }
            var boot = img.bootable ? "yes" : "no: \(img.reason ?? "unknown")"
            if let e = img.sidecarError { boot += " (sidecar: \(e))" }
            grid.put(boot.truncated(to: bootW, ellipsis: s.symbols.ellipsis), x: cx, y: y,
                     style: st(img.bootable ? (img.sidecarError == nil ? .stateRunning : .statePaused) : .stateCrashed), maxWidth: bootW)
        }
    }
}
