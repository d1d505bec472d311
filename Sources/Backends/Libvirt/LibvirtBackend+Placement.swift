import Foundation
import Models

extension LibvirtBackend {
    /// Where the files of one instance live on the libvirt host.
    struct Placement {
        var kernelPath: String
        /// Set when the kernel was copied for QEMU (removed with the instance).
        var kernelCopy: String?
        var logPath: String
        var initrdPath: String?
        /// The image itself as the first drive (disk images).
        var bootDiskPath: String?
        /// The isa-debugcon file (see ``LibvirtExitLog``); nil: QEMU's isa-debug-exit.
        var exitLogPath: String?
        /// Every file copied for QEMU (removed with the instance, or when the start fails; on
        /// remote hosts, per-instance volumes).
        var copies: [String] = []
        /// The extra disks with their paths on the host; nil: the spec's.
        var disks: [DiskAttachment]?

        /// Removes local copies (remote copies: ``LibvirtBackend/removeHostCopies(_:)``).
        func removeCopies() { for c in copies { _ = unlink(c) } }
    }

    /// - session URIs: QEMU runs as the user, so files are used in place and the logs go under
    ///   `STATE/libvirt/session/NAME/` (`console.log`, `exit.log`).
    /// - system URIs on this machine: QEMU runs as `libvirt-qemu` and cannot read most home or
    ///   work directories, and libvirt would chown the files it boots; the image (kernel or boot
    ///   disk) and the initrd are copied to `/var/lib/libvirt/images/unitop/NAME.{kernel,disk,initrd}`
    ///   (so a boot disk's writes go to the copy, dropped with the instance), and the logs are
    ///   `/var/log/libvirt/qemu/unitop-NAME.{console,exit}.log` (written by virtlogd as root).
    ///   Extra disks and shared folders are used in place: they must be reachable by QEMU
    ///   (checked before, see ``checkQEMUCanReach(_:)``).
    /// - hosts that are not this machine: see ``remotePlacement(for:)`` (files uploaded to the
    ///   host's `unitop` pool, the console log in that pool); the exit device is QEMU's
    ///   isa-debug-exit (unitop cannot read a remote exit file). The test driver uses every path as given.
    func placement(for spec: LaunchSpec) throws -> Placement {
        let diskBoot = spec.bootDiskFormat != nil
        if parsed.isSession {
            let dir = paths.stateDirectory + "/libvirt/session/" + spec.name
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            return Placement(kernelPath: spec.imagePath, kernelCopy: nil, logPath: dir + "/console.log", initrdPath: spec.initrd,
                             bootDiskPath: diskBoot ? spec.imagePath : nil, exitLogPath: localExitLogPath(spec.name))
        }
        let log = Self.systemLogDirectory + "/unitop-" + spec.name + ".console.log"
        guard parsed.isThisMachine, !parsed.isTest else {
            return Placement(kernelPath: spec.imagePath, kernelCopy: nil, logPath: log, initrdPath: spec.initrd,
                             bootDiskPath: diskBoot ? spec.imagePath : nil, exitLogPath: nil)
        }
        var place = Placement(kernelPath: spec.imagePath, kernelCopy: nil, logPath: log, exitLogPath: localExitLogPath(spec.name))
        do {
            try FileManager.default.createDirectory(atPath: Self.systemImageDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            let base = Self.systemImageDirectory + "/" + spec.name
            if diskBoot {
                place.bootDiskPath = try copyForQEMU(spec.imagePath, to: base + ".disk", what: "disk image", copies: &place.copies)
            } else {
                place.kernelPath = try copyForQEMU(spec.imagePath, to: base + ".kernel", what: "image", copies: &place.copies)
                place.kernelCopy = place.kernelPath
            }
            if let initrd = spec.initrd {
                place.initrdPath = try copyForQEMU(initrd, to: base + ".initrd", what: "initrd", copies: &place.copies)
            }
        } catch {
            place.removeCopies()
            throw error
        }
        return place
    }

    /// Copies `source` to `copy` (mode 0644) and notes it in `copies`.
    private func copyForQEMU(_ source: String, to copy: String, what: String, copies: inout [String]) throws -> String {
        do {
            try? FileManager.default.removeItem(atPath: copy)
            copies.append(copy)
            try FileManager.default.copyItem(atPath: source, toPath: copy)
            _ = chmod(copy, 0o644)
            return copy
        } catch {
            throw UnitopError.io(path: copy, message: "cannot copy the \(what) for libvirt-qemu: \(error.localizedDescription)")
        }
    }

    /// Throws one clear error, before anything is created, when the QEMU of a local system URI
    /// (libvirt-qemu) cannot use a shared folder (read, and write unless read-only) or reach an
    /// extra disk (libvirt gives QEMU the file itself, but every folder above it must be searchable).
    func checkQEMUCanReach(_ spec: LaunchSpec) throws {
        guard parsed.isThisMachine, !parsed.isTest, !parsed.isSession else { return }
        let runner = KVMAccess.systemQEMU()
        for v in spec.volumes {
            let need: LibvirtFileAccess.Need = v.readOnly ? [.read, .search] : [.read, .write, .search]
            if let why = LibvirtFileAccess.problem(path: v.hostPath, runner: runner, need: need) {
                throw UnitopError.launchFailed(name: spec.name, message: "volume '\(v.tag)': \(why)")
            }
        }
        for d in spec.disks {
            if let why = LibvirtFileAccess.problem(path: d.path, runner: runner, need: []) {
                throw UnitopError.launchFailed(name: spec.name, message: "disk \(d.path): \(why)")
            }
        }
    }

    /// Removes the files unitop made for `name` on this machine.
    func removeLocalFiles(name: String, logPath: String?) {
        guard parsed.isThisMachine, !parsed.isTest, (try? InstanceName.validate(name)) != nil else { return }
        if !parsed.isSession {
            for suffix in [".kernel", ".initrd", ".disk"] { _ = unlink(Self.systemImageDirectory + "/" + name + suffix) }
            _ = unlink(Self.systemLogDirectory + "/" + name + ".log")  // libvirt's own log of our domain
        }
        if let exit = localExitLogPath(name) { _ = unlink(exit) }
        if let logPath {
            _ = unlink(logPath)
            for i in 0..<ConsoleLogFollower.maxBackups { _ = unlink("\(logPath).\(i)") }
            if parsed.isSession { _ = rmdir((logPath as NSString).deletingLastPathComponent) }
        }
    }
}
