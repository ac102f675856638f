// The engine's public API speaks in the protocol's types (schemas, snapshots),
// so importing Engine brings them along.
@_exported import Protocol
