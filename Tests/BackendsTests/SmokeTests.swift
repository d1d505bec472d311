import Testing

@Test func BackendsTestsPlaceholder() {
    #expect(Bool(true))
}
