import CLua

/// One value read raw out of a Lua table.
public enum LuaRawValue {
    case `nil`
    case boolean(Bool)
    case integer(Int64)
    case number(Double)
    /// A string: its bytes through `LuaTableReader.withBytes`.
    case string
    /// A table, with its integer `id` field if it has one (an entity).
    case table(id: Int64?)
    case other(LuaType)
}

/// Rows of raw values a `LuaTableReader` read: row `r` holds the table's id
/// at field -1 and the requested keys at fields 0, 1, .... Valid until the
/// reader reads again or Lua runs.
public struct LuaRows {
    @usableFromInline let base: UnsafePointer<tw_raw>
    @usableFromInline let width: Int
    public let count: Int

    @usableFromInline
    init(base: UnsafePointer<tw_raw>, width: Int, count: Int) {
        self.base = base
        self.width = width
        self.count = count
    }

    /// The value of field `field` (-1 for the id) in row `row`.
    @inlinable @inline(__always)
    public func value(row: Int, field: Int) -> LuaRawValue {
        precondition(row >= 0 && row < count && field >= -1 && field < width - 1)
        let r = base[row * width + field + 1]
        switch r.type {
        case LUA_TNIL: return .nil
        case LUA_TBOOLEAN: return .boolean(r.i != 0)
        case LUA_TNUMBER: return .number(r.d)
        case LUA_TSTRING: return .string
        case LUA_TTABLE: return .table(id: r.isint != 0 ? r.i : nil)
        case let t: return .other(LuaType(rawValue: t) ?? .none)
        }
    }

    /// The value of a field if it is a number: the snapshot's common case,
    /// without building a `LuaRawValue`.
    @inlinable @inline(__always)
    public func number(row: Int, field: Int) -> Double? {
        precondition(row >= 0 && row < count && field >= -1 && field < width - 1)
        let r = base[row * width + field + 1]
        return r.type == LUA_TNUMBER ? r.d : nil
    }

    /// The integer id (field -1) of row `row`, if it has one.
    @inlinable @inline(__always)
    public func id(row: Int) -> Int64? {
        guard case .number(let d) = value(row: row, field: -1), d == d.rounded(), abs(d) < 9.0e15 else { return nil }
        return Int64(d)
    }

    /// The bytes of a string field (empty if it is not a string).
    @inlinable
    public func withBytes<R>(row: Int, field: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        precondition(row >= 0 && row < count && field >= -1 && field < width - 1)
        let r = base[row * width + field + 1]
        guard r.type == LUA_TSTRING, let s = r.s else { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return body(UnsafeRawBufferPointer(start: s, count: r.len))
    }
}

/// Reads the same fields out of many tables in one C call per list, into a
/// buffer it reuses: the snapshot's hot path (several C calls per field would
/// cost more than the reading itself). Reading never allocates in Lua and runs
/// no metamethod.
public final class LuaTableReader {
    private var buffer: UnsafeMutablePointer<tw_raw>
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

    /// Reads `id` and `keys` of every table in the array at `list`.
    public func readList(at list: Int32, keys: [LuaRef], idKey: LuaRef, on stack: LuaStack) -> LuaRows {
        let rows = stack.rawLength(at: list)
        let width = keys.count + 1
        reserve(rows * width)
        guard stack.reserve(4) else { return LuaRows(base: buffer, width: width, count: 0) }
        let buffer = self.buffer
        let count = keys.withUnsafeBufferPointer { keyBuffer in
            keyBuffer.withMemoryRebound(to: Int32.self) { ids in
                Int(tw_read_tables(stack.L, list, ids.baseAddress, Int32(keys.count), idKey.id, buffer, Int32(rows)))
            }
        }
        return LuaRows(base: buffer, width: width, count: count)
    }

    /// Reads `keys` of the one table at `table` into row 0.
    public func readFields(at table: Int32, keys: [LuaRef], idKey: LuaRef, on stack: LuaStack) -> LuaRows {
        let width = keys.count + 1
        reserve(width)
        guard stack.reserve(4) else { return LuaRows(base: buffer, width: width, count: 0) }
        let buffer = self.buffer
        buffer.initialize(to: tw_raw())
        keys.withUnsafeBufferPointer { keyBuffer in
            keyBuffer.withMemoryRebound(to: Int32.self) { ids in
                tw_read_fields(stack.L, table, ids.baseAddress, Int32(keys.count), idKey.id, buffer + 1)
            }
        }
        return LuaRows(base: buffer, width: width, count: 1)
    }
}
