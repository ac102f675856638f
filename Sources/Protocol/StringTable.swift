/// The string values of one snapshot, stored back to back in one buffer so a
/// snapshot with many names costs two allocations, not one per string.
/// A string field's stored integer is its index here.
public struct StringTable: Sendable, Equatable {
    private var bytes: [UInt8] = []
    /// `ends[i]` is where string `i` ends in `bytes`. `Int`, not `Int32`: a
    /// script can put one 4 KiB string in every string field of thousands of
    /// entities and events, past 2^31 bytes in one snapshot.
    private var ends: [Int] = []

    public init() {}

    public init(_ strings: [[UInt8]]) {
        for s in strings { _ = append(s) }
    }

    public var count: Int { ends.count }
    public var indices: Range<Int> { 0..<ends.count }
    /// Bytes the table holds: its strings and their ends.
    public var byteCount: Int { bytes.count + ends.count * MemoryLayout<Int32>.stride }

    /// Adds a string; returns its index.
    public mutating func append(_ string: some Collection<UInt8>) -> Int {
        bytes.append(contentsOf: string)
        ends.append(bytes.count)
        return ends.count - 1
    }

    public func bytes(at index: Int) -> ArraySlice<UInt8> {
        let start = index == 0 ? 0 : ends[index - 1]
        return bytes[start..<ends[index]]
    }

    public subscript(index: Int) -> [UInt8] { Array(bytes(at: index)) }
}
