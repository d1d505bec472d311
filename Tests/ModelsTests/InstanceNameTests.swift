import Testing
import Models

@Suite struct InstanceNameTests {
    @Test(arguments: ["a", "web-1", "db_2", "hello.v2", "0day", String(repeating: "x", count: 64), "A-b.C_d"])
    func good(name: String) throws {
        #expect(try InstanceName.validate(name) == name)
    }

    @Test(arguments: [
        ("", "it is empty"),
        ("a/b", "only letters, digits, '.', '_' and '-' are allowed"),
        ("../etc", "must start with a letter or digit"),
        ("..", "must start with a letter or digit"),
        ("a..b", "must not contain '..'"),
        ("my vm", "only letters, digits, '.', '_' and '-' are allowed"),
        ("-rf", "must start with a letter or digit"),
        (".hidden", "must start with a letter or digit"),
        (String(repeating: "x", count: 65), "longer than 64 characters"),
        ("naïve", "only letters, digits, '.', '_' and '-' are allowed"),
        ("a\u{0}b", "only letters, digits, '.', '_' and '-' are allowed"),
        ("tab\there", "only letters, digits, '.', '_' and '-' are allowed"),
    ])
    func bad(name: String, reason: String) {
        #expect(throws: UnitopError.invalidName(name, reason: reason)) { try InstanceName.validate(name) }
    }

    @Test func derivedNamesAreValid() throws {
        for (path, suffix) in [
            ("/images/hello.elf", "a1b2"), ("nginx_qemu-x86_64", "x"), ("/x/...", "1"), ("", "s"),
            ("/weird/naïve image!.bin", "9"), ("/x/-dash", ""), (String(repeating: "y", count: 200), "abcd"),
            ("/x/app", String(repeating: "s", count: 80)),
        ] {
            let name = InstanceName.derived(fromImage: path, suffix: suffix)
            #expect(throws: Never.self) { try InstanceName.validate(String(name.prefix(InstanceName.maxLength))) }
        }
        #expect(InstanceName.derived(fromImage: "/images/hello.elf", suffix: "a1b2") == "hello-a1b2")
        #expect(InstanceName.derived(fromImage: "/images/hello.elf", suffix: "") == "hello")
        #expect(InstanceName.derived(fromImage: String(repeating: "y", count: 200), suffix: "abcd").count == 64)
    }
}
