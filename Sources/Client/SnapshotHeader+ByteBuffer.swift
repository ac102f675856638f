import NIOCore
import Protocol

extension SnapshotHeader {
    /// Reads the header of the message in `buffer`'s readable bytes, without
    /// moving its reader index.
    public init(_ buffer: ByteBuffer) throws(ProtocolError) {
        try self.init(buffer.readableBytesView)
    }
}
