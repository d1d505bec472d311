import Testing

@Test func UnitopCLITestsPlaceholder() {
    #expect(Bool(true))
}
