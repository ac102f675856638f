import CLua

/// One field read out of Lua and quantized by a `LuaQuantizer`.
public struct LuaCell: Sendable {
    /// The stored integer; for strings, read the bytes instead.
    public let value: Int64
    public let type: LuaType
    /// False when the Lua value had the wrong type (it is stored as 0, "" or,
    /// for a quat, the identity).
    public let ok: Bool

    @usableFromInline
    init(_ c: tw_cell) {
        value = c.q
        type = LuaType(rawValue: c.type) ?? .none
        ok = c.ok != 0
    }
}

/// Rows of cells a `LuaTableReader` read: row `r` holds its table's id and
/// the requested fields 0, 1, .... Valid until the reader reads again or Lua
/// runs (string bytes point into Lua's storage).
public struct LuaRows {
    @usableFromInline let base: UnsafePointer<tw_cell>
    @usableFromInline let width: Int
    public let count: Int
    /// Rows whose `id` or `kind` was not the expected one (when the read
    /// checked them; otherwise 0).
    public let mismatches: Int

    @usableFromInline
    init(base: UnsafePointer<tw_cell>, width: Int, count: Int, mismatches: Int = 0) {
        self.base = base
        self.width = width
        self.count = count
        self.mismatches = mismatches
    }

    @inlinable @inline(__always)
    func at(_ row: Int, _ field: Int) -> UnsafePointer<tw_cell> {
        precondition(row >= 0 && row < count && field >= -1 && field < width - 1, "cell out of range")
        return base + (row * width + field + 1)
    }

    /// The integer `id` of row `row`'s table, if it has one.
    @inlinable @inline(__always)
    public func id(row: Int) -> Int64? {
        let c = at(row, -1)
        return c.pointee.ok != 0 ? c.pointee.q : nil
    }

    /// The stored integer of a field, and whether its Lua value had the right type.
    @inlinable @inline(__always)
    public func value(row: Int, field: Int) -> (Int64, ok: Bool) {
        let c = at(row, field)
        return (c.pointee.q, c.pointee.ok != 0)
    }

    public func cell(row: Int, field: Int) -> LuaCell { LuaCell(at(row, field).pointee) }

    /// The bytes of a string field (empty if it is not a string).
    @inlinable
    public func withBytes<R>(row: Int, field: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let c = at(row, field)
        guard c.pointee.type == LUA_TSTRING, let s = c.pointee.s else { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return body(UnsafeRawBufferPointer(start: s, count: c.pointee.len))
    }
}

/// Reads and quantizes the same fields of many tables in one C call per
/// list, into a buffer it reuses: the snapshot's hot path. Reading never
/// allocates in Lua and runs no metamethod.
public final class LuaTableReader {
    private var buffer: UnsafeMutablePointer<tw_cell>
    private var capacity: Int

    public init() {
        capacity = 256
        buffer = .allocate(capacity: capacity)
    }

    deinit { buffer.deallocate() }

    private func reserve(_ needed: Int) {
        guard needed > capacity else { return }
        buffer.deallocate()
        capacity = max(needed, capacity * 2)
        buffer = .allocate(capacity: capacity)
    }

    /// Reads `id` and `keys` (quantized by `quantizers`) of every table in the
    /// array at `list`. With `check`, also counts (`mismatches`) the tables
    /// whose `id` is not the value the table at stack index `check.ids` holds
    /// for them, or whose field `check.kindKey` is not the interned string
    /// `check.kindName`.
    public func readList(at list: Int32, keys: [LuaRef], quantizers: [LuaQuantizer], idKey: LuaRef,
                         check: (ids: Int32, kindKey: LuaRef, kindName: LuaRef)? = nil, on stack: LuaStack) -> LuaRows {
        precondition(keys.count == quantizers.count)
        let rows = min(stack.rawLength(at: list), Int(Int32.max) / (keys.count + 1))
        let width = keys.count + 1
        reserve(rows * width)
        let buffer = self.buffer
        var mismatches: Int32 = 0
        let count = Self.withRaw(keys, quantizers) { ids, qs in
            Int(tw_read_tables(stack.L, list, ids, qs, Int32(keys.count), idKey.id, check?.ids ?? 0,
                               check?.kindKey.id ?? LUA_NOREF, check?.kindName.id ?? LUA_NOREF, &mismatches,
                               buffer, Int32(rows)))
        }
        return LuaRows(base: buffer, width: width, count: count, mismatches: Int(mismatches))
    }

    /// Reads `keys` of the one table at `table` into row 0.
    public func readFields(at table: Int32, keys: [LuaRef], quantizers: [LuaQuantizer], idKey: LuaRef,
                           on stack: LuaStack) -> LuaRows {
        precondition(keys.count == quantizers.count)
        let width = keys.count + 1
        reserve(width)
        let buffer = self.buffer
        guard stack.reserve(4) else { return LuaRows(base: buffer, width: width, count: 0) }
        Self.withRaw(keys, quantizers) { ids, qs in
            tw_read_fields(stack.L, table, ids, qs, Int32(keys.count), idKey.id, buffer + 1)
        }
        return LuaRows(base: buffer, width: width, count: 1)
    }

    /// `LuaRef` and `LuaQuantizer` each wrap one C value, so their arrays are
    /// arrays of those C values.
    private static func withRaw<R>(_ keys: [LuaRef], _ quantizers: [LuaQuantizer],
                                   _ body: (UnsafePointer<Int32>?, UnsafePointer<tw_quantizer>?) -> R) -> R {
        keys.withUnsafeBufferPointer { keyBuffer in
            keyBuffer.withMemoryRebound(to: Int32.self) { ids in
                quantizers.withUnsafeBufferPointer { qBuffer in
                    qBuffer.withMemoryRebound(to: tw_quantizer.self) { qs in body(ids.baseAddress, qs.baseAddress) }
                }
            }
        }
    }
}

extension LuaStack {
    /// Quantizes the value at `index` as the bulk reader would; for strings,
    /// read the bytes with `withBytes(at:)`.
    public func quantize(at index: Int32, by quantizer: LuaQuantizer, idKey: LuaRef) -> LuaCell {
        var cell = tw_cell()
        let absolute = lua_absindex(L, index)
        guard reserve(2) else { return LuaCell(cell) }
        withUnsafePointer(to: quantizer.raw) { tw_read_cell(L, absolute, idKey.id, $0, &cell) }
        return LuaCell(cell)
    }
}
