// libFuzzer target for config.toml and image sidecar parsing (TOMLKit + our validation).
// Build: Fuzz/build.sh config   (run with -detect_leaks=0: TOMLKit 0.6.0 never frees parsed tables)
//
// Every input must either parse or throw UnitopError.config naming the file, with a line >= 1 if any.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size <= ConfigLoader.maxFileBytes else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let file = "/fuzz/config.toml"
    do {
        let text = try TOMLDocument.decodeUTF8(bytes, file: file)
        do {
            let config = try ConfigLoader.parse(text, file: file, baseDirectory: "/fuzz", home: "/home/fuzz")
            if !ConfigLoader.scrollbackRange.contains(config.scrollbackLines) { fatalError("scrollback out of range") }
            if !ConfigLoader.consoleLogMaxRange.contains(config.consoleLogMaxBytes) { fatalError("log max out of range") }
            if !(config.stopTimeoutSeconds >= 0 && config.stopTimeoutSeconds <= 3600) { fatalError("timeout out of range") }
        } catch {
            checkError(error, file: file)
        }
        do {
            let defaults = try SidecarLoader.parse(text, file: file)
            if let cpus = defaults.cpus, !LaunchLimits.cpus.contains(cpus) { fatalError("cpus out of range") }
            if let m = defaults.memoryMiB, !LaunchLimits.memoryMiB.contains(m) { fatalError("memory out of range") }
        } catch {
            checkError(error, file: file)
        }
    } catch {
        checkError(error, file: file)
    }
    return 0
}

private func checkError(_ error: UnitopError, file: String) {
    guard case .config(let path, let line, let message) = error else { fatalError("unexpected error kind: \(error)") }
    if path != file { fatalError("error names \(path), not \(file)") }
    if let line, line < 1 { fatalError("line \(line) < 1") }
    if message.isEmpty { fatalError("empty message") }
}
