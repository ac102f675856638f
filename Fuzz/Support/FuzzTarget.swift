#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// One decoder under fuzzing (docs/fuzzing.md). A target's `check` decodes
/// the bytes and, when they decode, runs the round trip encode → decode and
/// traps (`FuzzFailure.report`) when the two disagree: a differential
/// check, not only "no crash".
public protocol FuzzTarget {
    /// The executable's name, as in Package.swift.
    static var name: String { get }
    /// Valid messages from the project's encoders: the seed corpus.
    static func seeds() -> [[UInt8]]
    /// Runs one input. Returns when it is refused or passes every check.
    static func check(_ input: [UInt8])
}

/// The command line of a fuzz target.
///
///     FuzzX FILE|DIR...            (normal build) runs `check` on each file,
///                                  every file of a folder: the replayer
///     FuzzX --write-corpus DIR     (either build) writes the seeds to DIR
///     FuzzX [libFuzzer options]    (-DFUZZING build) libFuzzer's driver
public enum FuzzCommand {
    /// The `@main` of a normal build.
    public static func replay<T: FuzzTarget>(_ target: T.Type, arguments: [String] = CommandLine.arguments) -> Never {
        let args = Array(arguments.dropFirst())
        if args.first == "--write-corpus" { writeCorpus(target, args) }
        guard !args.isEmpty, !args.contains(where: { $0.hasPrefix("-") }) else {
            printError("""
                usage: \(T.name) FILE|DIR...          runs each input through the check (a folder: each file in it)
                       \(T.name) --write-corpus DIR   writes the seed corpus to DIR
                (libFuzzer options need the fuzz build: scripts/fuzz, docs/fuzzing.md)
                """)
            exit(2)
        }
        var files: [String] = []
        for path in args {
            var isFolder = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
                printError("\(T.name): no such file or folder: \(path)")
                exit(2)
            }
            if isFolder {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                files += names.sorted().map { path + "/" + $0 }.filter { !isDirectory($0) }
            } else {
                files.append(path)
            }
        }
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                printError("\(T.name): cannot read \(file)")
                exit(2)
            }
            // Named before it runs, so a trap says which input it was.
            printError("Running: \(file) (\(data.count) bytes)")
            T.check(Array(data))
        }
        printError("\(T.name): \(files.count) input(s) passed")
        exit(0)
    }

    /// `--write-corpus DIR`: the seeds as `seed-00`, `seed-01`, … (the same
    /// bytes on every run, so rewriting them changes nothing).
    static func writeCorpus<T: FuzzTarget>(_ target: T.Type, _ args: [String]) -> Never {
        guard args.count == 2 else {
            printError("usage: \(T.name) --write-corpus DIR")
            exit(2)
        }
        let folder = args[1]
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            printError("\(T.name): cannot create \(folder): \(error)")
            exit(1)
        }
        let seeds = T.seeds()
        for (i, seed) in seeds.enumerated() {
            // A seed that fails its own check is a bug in the target or an
            // encoder, found before any fuzzing.
            T.check(seed)
            let name = folder + "/seed-" + (i < 10 ? "0" : "") + String(i)
            guard FileManager.default.createFile(atPath: name, contents: Data(seed)) else {
                printError("\(T.name): cannot write \(name)")
                exit(1)
            }
        }
        printError("\(T.name): wrote \(seeds.count) seeds (\(seeds.map(\.count).reduce(0, +)) bytes) to \(folder)")
        exit(0)
    }

    private static func isDirectory(_ path: String) -> Bool {
        var isFolder = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder
    }

    /// One line to standard error (fd 2: Glibc's `stderr` is a global
    /// variable, which Swift 6 refuses to touch).
    static func printError(_ text: String) {
        var line = Array((text + "\n").utf8)
        _ = line.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
    }

    #if FUZZING
    /// The entry of a `-DFUZZING` build: `--write-corpus DIR`, or libFuzzer.
    ///
    /// SwiftPM links an executable with `--defsym main=<Target>_main`, so
    /// libFuzzer's own `main` cannot be the entry point; each target exports
    /// `<Target>_main` and lands here, which runs libFuzzer's driver exactly
    /// as its `main` would.
    public static func libFuzzerMain<T: FuzzTarget>(_ target: T.Type, _ argc: CInt,
                                                     _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>,
                                                     entry: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt {
        let args = (0..<Int(argc)).map { argv[$0].map { String(cString: $0) } ?? "" }
        if args.count > 1, args[1] == "--write-corpus" { writeCorpus(target, Array(args.dropFirst())) }
        var count = argc
        var vector: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
        return LLVMFuzzerRunDriver(&count, &vector, entry)
    }
    #endif
}

#if FUZZING
/// libFuzzer's driver (compiler-rt `FuzzerInterface.h`), linked in by
/// `-sanitize=fuzzer`: `int LLVMFuzzerRunDriver(int *argc, char ***argv,
/// int (*UserCb)(const uint8_t *Data, size_t Size))`. Declared here rather
/// than in a C module: pointers and ints only, passed alike by both
/// conventions.
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                                 _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                                 _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt
#endif
