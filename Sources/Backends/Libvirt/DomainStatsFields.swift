import CLibvirt

/// The typed parameters of one `virDomainStatsRecord`, read by field name (`state.state`,
/// `cpu.time`). Only valid while the record list it points into is alive.
struct DomainStatsFields {
    private let params: UnsafeMutablePointer<virTypedParameter>?
    private let count: Int

    init(_ params: UnsafeMutablePointer<virTypedParameter>?, count: Int) {
        self.params = params
        self.count = max(0, count)
    }

    /// The parameter named `field`, if present.
    private func find(_ field: String) -> virTypedParameter? {
        guard let params else { return nil }
        for i in 0..<count {
            let p = params[i]
            let name = withUnsafeBytes(of: p.field) { raw -> String in
                let bytes = raw.prefix { $0 != 0 }
                return String(decoding: bytes, as: UTF8.self)
            }
            if name == field { return p }
        }
        return nil
    }

    /// A signed or unsigned integer parameter as `Int` (nil when absent, not an integer, or out of range).
    func int(_ field: String) -> Int? {
        guard let p = find(field) else { return nil }
        switch Int32(p.type) {
        case Int32(VIR_TYPED_PARAM_INT.rawValue): return Int(p.value.i)
        case Int32(VIR_TYPED_PARAM_UINT.rawValue): return Int(p.value.ui)
        case Int32(VIR_TYPED_PARAM_LLONG.rawValue): return Int(p.value.l)
        case Int32(VIR_TYPED_PARAM_ULLONG.rawValue): return Int(exactly: p.value.ul)
        default: return nil
        }
    }

    /// An unsigned 64-bit parameter (nil when absent or of another type).
    func uint(_ field: String) -> UInt64? {
        guard let p = find(field) else { return nil }
        switch Int32(p.type) {
        case Int32(VIR_TYPED_PARAM_ULLONG.rawValue): return p.value.ul
        case Int32(VIR_TYPED_PARAM_UINT.rawValue): return UInt64(p.value.ui)
        default: return nil
        }
    }
}
