/// Themes compiled into the binary so a missing themes directory never breaks the UI.
/// `defaultTOML` must stay identical to `themes/default.toml` and `monoTOML` to `themes/mono.toml`
/// (a test checks this).
enum BuiltinThemes {
    static let defaultTOML = #"""
# unitop default theme (dark terminals).
# Colours: names (black, red, green, yellow, blue, magenta, cyan, white, bright-*),
# 0-255 indexes, "#rrggbb" or "default". attrs: bold, dim, italic, underline, reverse.
name = "default"

[roles]
header = { fg = "bright-white", bg = 236 }
headerTitle = { fg = "bright-cyan", bg = 236, attrs = ["bold"] }
tabActive = { fg = "black", bg = "cyan", attrs = ["bold"] }
tabInactive = { fg = "bright-black" }
tableHeader = { fg = "bright-white", attrs = ["bold", "underline"] }
selection = { fg = "black", bg = "cyan" }
selectionUnfocused = { fg = "bright-white", bg = 238 }
stateRunning = { fg = "green", attrs = ["bold"] }
statePaused = { fg = "yellow", attrs = ["bold"] }
stateStopping = { fg = "bright-magenta" }
stateExited = { fg = "bright-black" }
stateCrashed = { fg = "bright-red", attrs = ["bold"] }
stateOther = { fg = "blue" }
consoleBackground = { fg = "default" }
consoleText = { fg = "default" }
consoleTitle = { fg = "cyan" }
border = { fg = "bright-black" }
dim = { fg = "bright-black" }
error = { fg = "bright-white", bg = "red", attrs = ["bold"] }
message = { fg = "bright-green" }
searchMatch = { fg = "black", bg = "yellow" }
currentMatch = { fg = "black", bg = "bright-yellow", attrs = ["bold"] }
inputMark = { fg = "black", bg = "bright-yellow", attrs = ["bold"] }
sparkline = { fg = "cyan" }
dialog = { fg = "bright-white", bg = 237 }
dialogTitle = { fg = "bright-yellow", bg = 237, attrs = ["bold"] }
keyHint = { fg = "cyan", attrs = ["bold"] }
connectionUp = { fg = "green" }
connectionDown = { fg = "red" }
filter = { fg = "bright-yellow" }
"""#

    static let monoTOML = #"""
# unitop monochrome theme: attributes only (used for NO_COLOR and terminals without colours).
name = "mono"

[roles]
header = { attrs = ["bold"] }
headerTitle = { attrs = ["bold"] }
tabActive = { attrs = ["bold", "reverse"] }
tabInactive = { }
tableHeader = { attrs = ["bold", "underline"] }
selection = { attrs = ["reverse"] }
selectionUnfocused = { attrs = ["underline"] }
stateRunning = { attrs = ["bold"] }
statePaused = { }
stateStopping = { attrs = ["italic"] }
stateExited = { attrs = ["dim"] }
stateCrashed = { attrs = ["bold", "underline"] }
stateOther = { }
consoleBackground = { }
consoleText = { }
consoleTitle = { attrs = ["bold"] }
border = { }
dim = { attrs = ["dim"] }
error = { attrs = ["bold", "reverse"] }
message = { attrs = ["bold"] }
searchMatch = { attrs = ["reverse"] }
currentMatch = { attrs = ["reverse", "bold", "underline"] }
inputMark = { attrs = ["bold", "reverse"] }
sparkline = { }
dialog = { attrs = ["reverse"] }
dialogTitle = { attrs = ["reverse", "bold"] }
keyHint = { attrs = ["bold"] }
connectionUp = { attrs = ["bold"] }
connectionDown = { attrs = ["dim"] }
filter = { attrs = ["underline"] }
"""#
}
