import Foundation

/// A folder of replay files, optionally bounded in bytes: when a write
/// would pass the bound, the oldest finished recordings are deleted first;
/// when only recordings still being written are left, the write is refused
/// (that match's recording stops, the match plays on).
public final class RecordingFolder: @unchecked Sendable {
    public let path: String
    public let maxBytes: Int?
    private let lock = NSLock()
    /// Finished files, oldest first, with their sizes.
    private var finished: [(name: String, bytes: Int)] = []
    /// Bytes of files still being written, by name.
    private var open: [String: Int] = [:]
    private var total = 0

    public static let fileExtension = "twreplay"

    /// Opens (creating it if needed) the folder at `path`, counting the
    /// replay files already in it against `maxBytes`.
    public init(path: String, maxBytes: Int? = nil) throws {
        self.path = path
        self.maxBytes = maxBytes
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let url = URL(fileURLWithPath: path)
        let entries = try FileManager.default.contentsOfDirectory(at: url, includingPropertiesForKeys: [.contentModificationDateKey, .fileSizeKey])
        let replays = entries.filter { $0.pathExtension == Self.fileExtension }.compactMap { entry -> (String, Int, Date)? in
            guard let values = try? entry.resourceValues(forKeys: [.contentModificationDateKey, .fileSizeKey]) else { return nil }
            return (entry.lastPathComponent, values.fileSize ?? 0, values.contentModificationDate ?? .distantPast)
        }
        for (name, bytes, _) in replays.sorted(by: { ($0.2, $0.0) < ($1.2, $1.0) }) {
            finished.append((name, bytes))
            total += bytes
        }
    }

    /// A new file named `name` (".twreplay" is added); an existing file of
    /// that name is not overwritten (a number is added).
    public func create(named name: String) throws -> FileReplaySink {
        let safe = String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
        for attempt in 0..<1000 {
            let file = (attempt == 0 ? safe : "\(safe)-\(attempt)") + "." + Self.fileExtension
            let full = (path as NSString).appendingPathComponent(file)
            let fd = Foundation.open(full, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 {
                lock.withLock { open[file] = 0 }
                return FileReplaySink(fd: fd, path: full, name: file, folder: self)
            }
            guard errno == EEXIST else { throw RecordingError("cannot create \(full): \(String(cString: strerror(errno)))") }
        }
        throw RecordingError("cannot find a free name for \(safe) in \(path)")
    }

    /// Makes room for `bytes` more of `name`, deleting the oldest finished
    /// recordings if the folder is bounded; throws when there is no room.
    func reserve(_ bytes: Int, for name: String) throws {
        try lock.withLock {
            if let maxBytes {
                while total + bytes > maxBytes, !finished.isEmpty {
                    let oldest = finished.removeFirst()
                    try? FileManager.default.removeItem(atPath: (path as NSString).appendingPathComponent(oldest.name))
                    total -= oldest.bytes
                }
                guard total + bytes <= maxBytes else {
                    throw RecordingError("the recording folder \(path) is at its limit of \(maxBytes / 1_048_576) MiB")
                }
            }
            total += bytes
            open[name, default: 0] += bytes
        }
    }

    /// A file was closed: it joins the finished ones, or, if nothing was
    /// ever written to it (its match never started), it is deleted.
    func closed(_ name: String) {
        lock.withLock {
            guard let bytes = open.removeValue(forKey: name) else { return }
            if bytes == 0 {
                try? FileManager.default.removeItem(atPath: (path as NSString).appendingPathComponent(name))
            } else {
                finished.append((name, bytes))
            }
        }
    }

    /// Deletes a recording this folder wrote (e.g. a match that went well,
    /// under `--record-failures`).
    public func delete(named name: String) {
        lock.withLock {
            if let i = finished.firstIndex(where: { $0.name == name }) {
                total -= finished.remove(at: i).bytes
            } else if let bytes = open.removeValue(forKey: name) {
                total -= bytes
            }
            try? FileManager.default.removeItem(atPath: (path as NSString).appendingPathComponent(name))
        }
    }

    /// Bytes of replay files the folder holds.
    public var bytes: Int { lock.withLock { total } }
}

/// A replay file being written; each write goes whole to the kernel (a
/// SIGKILL loses nothing written).
public final class FileReplaySink: ReplaySink, @unchecked Sendable {
    public let path: String
    public let name: String
    private let folder: RecordingFolder
    private let lock = NSLock()
    private var fd: Int32

    init(fd: Int32, path: String, name: String, folder: RecordingFolder) {
        self.fd = fd
        self.path = path
        self.name = name
        self.folder = folder
    }

    deinit { close() }

    public func write(_ bytes: [UInt8]) throws {
        try lock.withLock {
            guard fd >= 0 else { throw RecordingError("\(path) is closed") }
            try folder.reserve(bytes.count, for: name)
            var done = 0
            while done < bytes.count {
                let n = bytes[done...].withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw RecordingError("cannot write \(path): \(String(cString: strerror(errno)))")
                }
                done += n
            }
        }
    }

    public func close() {
        lock.withLock {
            guard fd >= 0 else { return }
            Foundation.close(fd)
            fd = -1
            folder.closed(name)
        }
    }
}

/// Why a recording could not go on.
public struct RecordingError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
