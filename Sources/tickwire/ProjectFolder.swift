import Foundation

/// Folders of the Tickwire project this binary was built in, found from the
/// binary's own path (`<project>/.build/<triple>/<config>/tickwire`), so a
/// default never depends on the directory the command was started from.
enum ProjectFolder {
    /// The binary's path, symlinks resolved.
    static var executable: URL {
        let link = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments.first ?? ""
        return URL(fileURLWithPath: link).resolvingSymlinksInPath()
    }

    /// The nearest folder above the binary that holds `relative` (e.g.
    /// `web/index.html`), or nil.
    static func containing(_ relative: String) -> URL? {
        var folder = executable.deletingLastPathComponent()
        for _ in 0..<6 {
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent(relative).path) { return folder }
            let parent = folder.deletingLastPathComponent()
            if parent.path == folder.path { break }
            folder = parent
        }
        return nil
    }

    /// The browser client's folder of this project (`web/`), if there is one.
    static var web: String? { containing("web/index.html").map { $0.appendingPathComponent("web").path } }
}
