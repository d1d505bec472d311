import Foundation
import Models

extension Reducer {
    /// A name not used by any known instance: `base`, else `base-2`, `base-3`, …
    static func uniqueName(_ base: String, in state: AppState) -> String {
        let taken = Set(state.instances.keys.map(\.name))
        if !taken.contains(base) { return base }
        var stem = base
        if let dash = base.lastIndex(of: "-"), Int(base[base.index(after: dash)...]) != nil { stem = String(base[..<dash]) }
        for i in 2..<10_000 where !taken.contains("\(stem)-\(i)") { return "\(stem)-\(i)" }
        return stem + "-new"
    }

    static func refuseStart(_ state: inout AppState) -> Bool {
        if state.readonly { setMessage(&state, UnitopError.readonly(action: "start").description, error: true); return true }
        if state.backends.isEmpty { setMessage(&state, "no backend to start instances on", error: true); return true }
        return false
    }

    /// `s` on the images screen: the start form with the image's sidecar defaults.
    static func startFromImage(_ state: inout AppState) -> [Effect] {
        if refuseStart(&state) { return [] }
        guard let image = state.selectedImage else { setMessage(&state, "no image selected", error: true); return [] }
        guard image.bootable else {
            setMessage(&state, "\(image.name) is not bootable: \(image.reason ?? "unknown format")", error: true); return []
        }
        let name = uniqueName(InstanceName.derived(fromImage: image.path, suffix: ""), in: state)
        do {
            let spec = try state.launchResolver.resolve(name: name, image: image)
            var form = StartForm(image: image, name: spec.name, memory: "\(spec.memoryMiB)M", cpus: "\(spec.cpus)",
                                 append: spec.append, machine: spec.machine, backendIndex: image.host.flatMap { h in state.backends.firstIndex { $0.host == h } } ?? 0)
            form.fillWorkload(network: image.defaults?.network, ports: spec.ports, initrd: spec.initrd,
                              volumes: spec.volumes, disks: spec.disks)
            state.startForm = form
        } catch {
            setMessage(&state, "cannot start \(image.name): \(error.description)", error: true)
        }
        return []
    }

    /// `s` on the instances screen: start a new instance like the selected one (its image and
    /// settings: network, ports, initrd, volumes, disks, the command line's parameters and
    /// application arguments).
    static func startFromInstance(_ state: inout AppState) -> [Effect] {
        if refuseStart(&state) { return [] }
        guard let inst = state.selectedInstance else {
            setMessage(&state, "no instance selected: press 2 and pick an image to start", error: true); return []
        }
        var path = inst.image
        if !path.hasPrefix("/"), let img = state.images.first(where: { $0.name == inst.image }) { path = img.path }
        guard !path.isEmpty else { setMessage(&state, "\(inst.name): image unknown, start it from the images view", error: true); return [] }
        let backendIndex = state.backends.firstIndex(of: BackendRef(kind: inst.backend, host: inst.host)) ?? 0
        // The catalogued image, else what the file is now (its format decides how it boots).
        let image = state.images.first { $0.path == path } ?? ImageInspector.inspect(path: path)
        let line = StartForm.splitCommandLine(inst.append ?? "")
        var form = StartForm(
            image: image, name: uniqueName(inst.name, in: state), memory: "\(inst.memoryMiB)M", cpus: "\(inst.cpus)",
            append: line.append,
            machine: inst.machine.flatMap { LaunchLimits.machines.contains($0) ? $0 : nil } ?? state.launchResolver.qemu.machine,
            backendIndex: backendIndex)
        form.arguments = line.arguments
        form.fillWorkload(network: inst.network, ports: inst.ports, initrd: inst.initrd, volumes: inst.volumes, disks: inst.disks)
        state.startForm = form
        return []
    }

    /// Start form keys (see ``KeyMap``); typing goes through ``editStartForm(_:_:)``.
    static func startFormAction(_ state: inout AppState, _ action: KeyAction) -> [Effect] {
        guard var form = state.startForm else { return [] }
        let fields = StartForm.Field.allCases.filter { $0 != .backend || state.backends.count > 1 }
        let fi = fields.firstIndex(of: form.field) ?? 0
        switch action {
        case .cancel:
            state.startForm = nil
            setMessage(&state, "start cancelled", error: false)
            return []
        case .nextField: form.field = fields[(fi + 1) % fields.count]
        case .previousField: form.field = fields[(fi + fields.count - 1) % fields.count]
        case .submit: return submitStartForm(&state, form)
        case .choosePrevious: cycle(&form, state, by: -1)
        case .chooseNext: cycle(&form, state, by: 1)
        case .deleteBackward: form.edit { if !$0.isEmpty { $0.removeLast() } }
        case .clearField: form.edit { $0 = "" }
        default: break
        }
        state.startForm = form
        return []
    }

    /// Changes the focused text field of the start form.
    static func editStartForm(_ state: inout AppState, _ change: (inout String) -> Void) {
        guard var form = state.startForm else { return }
        form.edit(change)
        state.startForm = form
    }

    /// Left/Right on a choice field: the next backend or machine type.
    static func cycle(_ form: inout StartForm, _ state: AppState, by delta: Int) {
        func step(_ i: Int, _ n: Int) -> Int { ((i + delta) % max(1, n) + max(1, n)) % max(1, n) }
        switch form.field {
        case .backend: form.backendIndex = step(form.backendIndex, state.backends.count)
        case .machine:
            let machines = LaunchLimits.machines
            form.machine = machines[step(machines.firstIndex(of: form.machine) ?? 0, machines.count)]
        default: break
        }
    }

    /// Why `ports` cannot be published on `backend`: a running instance there publishes one of
    /// them already (the backend would refuse the start after the form closed). Nil when free as
    /// far as the UI knows; the backend checks the host itself.
    static func publishedElsewhere(_ ports: [PortMapping], on backend: BackendRef, in state: AppState) -> String? {
        for inst in state.instances.values where inst.state.isActive && inst.backend == backend.kind && inst.host == backend.host {
            for p in ports {
                if let q = inst.ports.first(where: { $0.clashes(with: p) }) {
                    return "host port \(q.displayAddress):\(q.hostPort)/\(q.protocol.rawValue) is published by \(inst.name)"
                }
            }
        }
        return nil
    }

    static func submitStartForm(_ state: inout AppState, _ form: StartForm) -> [Effect] {
        var form = form
        do {
            let name = try InstanceName.validate(form.name.trimmingCharacters(in: .whitespaces))
            guard state.backends.indices.contains(form.backendIndex) else { throw UnitopError.failed("no backend selected") }
            let backend = state.backends[form.backendIndex]
            if state.instances[InstanceID(backend: backend.kind, host: backend.host, name: name)] != nil {
                throw UnitopError.instanceExists(name)
            }
            // Every field is an explicit value (the sidecar's are in the fields already); accel
            // and the CPU model come from the config.
            let overrides = try form.overrides(baseDirectory: FileManager.default.currentDirectoryPath)
            var image = form.image
            image.defaults = nil
            image.sidecarError = nil
            let spec = try state.launchResolver.resolve(name: name, image: image, overrides: overrides)
            if let clash = publishedElsewhere(spec.ports, on: backend, in: state) {
                throw StartForm.FieldError(field: .ports, error: .invalidArgument(clash))
            }
            state.startForm = nil
            setMessage(&state, "starting \(name) on \(backend)…", error: false)
            return [.start(spec, backend: backend)]
        } catch let e as StartForm.FieldError {
            form.field = e.field
            form.error = e.error.description
        } catch {
            let unitopError = error as? UnitopError
            if let e = unitopError, let field = StartForm.field(of: e) { form.field = field }
            form.error = unitopError?.description ?? "\(error)"
        }
        state.startForm = form
        return []
    }
}
