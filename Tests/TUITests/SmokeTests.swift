import Testing

@Test func TUITestsPlaceholder() {
    #expect(Bool(true))
}
