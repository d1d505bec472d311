import Foundation
import Testing
@testable import Models
import UnitopTesting

@Suite struct ImageCatalogTests {
    /// Two image directories with every kind of entry the scanner must skip or keep.
    struct Layout {
        let first: ScratchDirectory
        let second: ScratchDirectory
        init() throws {
            first = try ScratchDirectory()
            second = try ScratchDirectory()
            let fm = FileManager.default
            try first.write("hello.elf", Craft.multibootELF())
            try first.write("hello.toml", text: "memory = \"32M\"\ncpus = 1\n")
            try first.write("app_qemu-x86_64", Craft.multibootELF())
            try first.write("app_qemu-x86_64.dbg", Craft.multibootELF())
            try first.write("broken.elf", Craft.multibootELF())
            try first.write("broken.toml", text: "cpus = \"two\"\n")
            try first.write(".hidden.elf", Craft.multibootELF())
            try first.write("boot.o", Craft.elf())
            try first.write("notes.TOML", text: "x = 1\n")
            try first.write("disk.img", Craft.mbr())
            try fm.createDirectory(atPath: first.path + "/subdir", withIntermediateDirectories: false)
            try first.write("subdir/deep.elf", Craft.multibootELF())
            try fm.createSymbolicLink(atPath: first.path + "/link.elf", withDestinationPath: first.path + "/hello.elf")
            try fm.createSymbolicLink(atPath: first.path + "/dangling.elf", withDestinationPath: first.path + "/missing")
            _ = mkfifo(first.path + "/pipe", 0o600)
            // The second directory also has a "hello" (not bootable) and a link back into the first.
            try second.write("hello.bin", [1, 2, 3])
            try second.write("zeta.elf", Craft.pvhELF(is64: true, machine: 62))
            try fm.createSymbolicLink(atPath: second.path + "/again.elf", withDestinationPath: first.path + "/disk.img")
        }
        var catalog: ImageCatalog { ImageCatalog(directories: [first.path, second.path]) }
        func remove() { first.remove(); second.remove() }
    }

    @Test func scanListsImagesOnceSortedByName() throws {
        let layout = try Layout()
        defer { layout.remove() }
        let images = layout.catalog.scan()
        let listed = images.map { "\($0.name)@\($0.path.hasPrefix(layout.first.path) ? 1 : 2)" }
        #expect(listed == ["app@1", "broken@1", "disk@1", "hello@1", "hello@2", "zeta@2"])
        let hello = try #require(images.first { $0.path == layout.first.path + "/hello.elf" })
        #expect(hello.defaults?.memoryMiB == 32)
        #expect(hello.bootable)
        let app = try #require(images.first { $0.name == "app" })
        #expect(app.arch == "x86_64")
        let broken = try #require(images.first { $0.name == "broken" })
        #expect(broken.defaults == nil)
        #expect(broken.sidecarError == layout.first.path + "/broken.toml:1: 'cpus' must be an integer, not a string")
        let other = try #require(images.first { $0.path == layout.second.path + "/hello.bin" })
        #expect(!other.bootable)
        #expect(images.first { $0.name == "zeta" }?.format == .pvh)
    }

    @Test func missingDirectoriesAreSkipped() throws {
        let layout = try Layout()
        defer { layout.remove() }
        let catalog = ImageCatalog(directories: ["/nonexistent-unitop-dir", layout.second.path, layout.second.path])
        #expect(catalog.scan().map(\.name) == ["again", "hello", "zeta"])
        #expect(ImageCatalog(directories: []).scan().isEmpty)
    }

    @Test func resolveByNameFileNameAndPath() throws {
        let layout = try Layout()
        defer { layout.remove() }
        let catalog = layout.catalog
        // Ambiguous name: the first directory wins.
        let hello = try catalog.resolve("hello")
        #expect(hello.path == layout.first.path + "/hello.elf")
        #expect(hello.bootable)
        #expect(try catalog.resolve("hello.bin").path == layout.second.path + "/hello.bin")
        #expect(try catalog.resolve("app").path == layout.first.path + "/app_qemu-x86_64")
        #expect(try catalog.resolve("zeta").format == .pvh)
        // A path wins and need not be catalogued.
        let deep = try catalog.resolve(layout.first.path + "/subdir/deep.elf")
        #expect(deep.bootable)
        #expect(deep.name == "deep")
        let depth = FileManager.default.currentDirectoryPath.split(separator: "/").count
        let relative = String(repeating: "../", count: depth) + layout.first.path.dropFirst() + "/subdir/deep.elf"
        #expect(try catalog.resolve(relative).path == layout.first.path + "/subdir/deep.elf")
        // Skipped files are not names.
        #expect(throws: UnitopError.imageNotFound("app_qemu-x86_64.dbg")) { try catalog.resolve("app_qemu-x86_64.dbg") }
    }

    @Test func resolveUnknown() throws {
        let layout = try Layout()
        defer { layout.remove() }
        #expect(throws: UnitopError.imageNotFound("nope")) { try layout.catalog.resolve("nope") }
        #expect(throws: UnitopError.imageNotFound("/no/such/image.elf")) { try layout.catalog.resolve("/no/such/image.elf") }
        #expect(throws: UnitopError.imageNotFound("")) { try layout.catalog.resolve("") }
        let error = UnitopError.imageNotFound("nope")
        #expect(error.description == "no image 'nope' (not a file and not a catalogued image name)")
    }

    @Test func resolveDanglingPathReportsWhy() throws {
        let layout = try Layout()
        defer { layout.remove() }
        let image = try layout.catalog.resolve(layout.first.path + "/dangling.elf")
        #expect(!image.bootable)
        #expect(image.reason == "dangling symlink (its target does not exist)")
    }

    @Test func candidateNames() {
        #expect(ImageCatalog.isCandidateName("hello.elf"))
        #expect(ImageCatalog.isCandidateName("nginx_qemu-x86_64"))
        #expect(!ImageCatalog.isCandidateName(".hidden"))
        #expect(!ImageCatalog.isCandidateName("x.toml"))
        #expect(!ImageCatalog.isCandidateName("x.Dbg"))
        #expect(!ImageCatalog.isCandidateName("lib.o"))
        #expect(!ImageCatalog.isCandidateName(""))
    }

    @Test func directoryScanIsBounded() throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        for i in 0..<80 {
            #expect(FileManager.default.createFile(atPath: dir.path + "/f\(i)", contents: nil))
        }
        #expect(ImageCatalog.maxFilesPerDirectory == 10_000)
        #expect(ImageCatalog.listDirectory(dir.path, limit: 50).count == 50)
        #expect(ImageCatalog.listDirectory(dir.path).count == 80)
    }

    @Test func fixturesDirectory() throws {
        try #require(Fixtures.available, "fixtures not built: run make -C fixtures or set UNITOP_FIXTURES")
        let images = ImageCatalog(directories: [Fixtures.directory]).scan()
        let names = images.map(\.name)
        for name in ImageInspectorFixtureTests.names { #expect(names.contains(name), "missing \(name)") }
        #expect(images.allSatisfy { !$0.path.hasSuffix(".o") && !$0.path.hasSuffix(".toml") })
        #expect(images.filter { ImageInspectorFixtureTests.names.contains($0.name) }.allSatisfy { $0.bootable })
    }

    @Test func defaultDirectoriesOrder() {
        let paths = UnitopPaths(configFile: "/c/config.toml", themesDirectory: "/c/themes", stateDirectory: "/s",
                                runtimeDirectory: "/r", imagesDirectory: "/data/unitop/images")
        var config = Config()
        config.imageDirectories = ["/a", "/data/unitop/images", "/b"]
        #expect(ImageCatalog.defaultDirectories(paths: paths, config: config, extra: ["/x", "/a"])
            == ["/data/unitop/images", "/a", "/b", "/x"])
        #expect(ImageCatalog.defaultDirectories(paths: paths, config: Config(), extra: []) == ["/data/unitop/images"])
    }
}
