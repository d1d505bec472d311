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
            state.startForm = StartForm(
                imagePath: image.path, imageName: image.name, name: spec.name, memory: "\(spec.memoryMiB)M",
                cpus: "\(spec.cpus)", append: spec.append, machine: spec.machine, backendIndex: 0)
        } catch {
            setMessage(&state, "cannot start \(image.name): \(error.description)", error: true)
        }
        return []
    }

    /// `s` on the instances screen: start a new instance like the selected one (its image and settings).
    static func startFromInstance(_ state: inout AppState) -> [Effect] {
        if refuseStart(&state) { return [] }
        guard let inst = state.selectedInstance else {
            setMessage(&state, "no instance selected: press 2 and pick an image to start", error: true); return []
        }
        var path = inst.image
        if !path.hasPrefix("/"), let img = state.images.first(where: { $0.name == inst.image }) { path = img.path }
        guard !path.isEmpty else { setMessage(&state, "\(inst.name): image unknown, start it from the images view", error: true); return [] }
        let backendIndex = state.backends.firstIndex(of: BackendRef(kind: inst.backend, host: inst.host)) ?? 0
        state.startForm = StartForm(
            imagePath: path, imageName: (path as String).split(separator: "/").last.map(String.init) ?? path,
            name: uniqueName(inst.name, in: state), memory: "\(inst.memoryMiB)M", cpus: "\(inst.cpus)",
            append: inst.append ?? "",
            machine: inst.machine.flatMap { LaunchLimits.machines.contains($0) ? $0 : nil } ?? state.launchResolver.qemu.machine,
            backendIndex: backendIndex)
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
        case .deleteBackward: edit(&form) { if !$0.isEmpty { $0.removeLast() } }
        case .clearField: edit(&form) { $0 = "" }
        default: break
        }
        state.startForm = form
        return []
    }

    /// Changes the focused text field of the start form.
    static func editStartForm(_ state: inout AppState, _ change: (inout String) -> Void) {
        guard var form = state.startForm else { return }
        edit(&form, change)
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

    static func edit(_ form: inout StartForm, _ change: (inout String) -> Void) {
        switch form.field {
        case .name: change(&form.name)
        case .memory: change(&form.memory)
        case .cpus: change(&form.cpus)
        case .append: change(&form.append)
        case .backend, .machine: break
        }
        form.error = nil
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
            // Every field is an explicit value; accel and the CPU model come from the config.
            let overrides = LaunchOverrides(
                memoryMiB: try LaunchLimits.parseMemory(form.memory), cpus: try LaunchLimits.parseCPUs(form.cpus),
                append: try LaunchLimits.checkAppend(form.append), machine: try LaunchLimits.checkMachine(form.machine))
            let spec = try state.launchResolver.resolve(name: name, imagePath: form.imagePath, sidecar: nil, overrides: overrides)
            state.startForm = nil
            setMessage(&state, "starting \(name) on \(backend)…", error: false)
            return [.start(spec, backend: backend)]
        } catch {
            form.error = (error as? UnitopError)?.description ?? "\(error)"
            state.startForm = form
            return []
        }
    }
}
