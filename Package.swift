// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Vigil",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "vigil", targets: ["vigil"]),
        .library(name: "VigilCore", targets: ["VigilCore"]),
        .library(name: "VigilKafka", targets: ["VigilKafka"]),
        .library(name: "VigilService", targets: ["VigilService"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        // Admin HTTP only (NIOCore, NIOPosix, NIOHTTP1): small enough to build on two cores.
        .package(url: "https://github.com/apple/swift-nio", .upToNextMinor(from: "2.101.0")),
        // Latency histograms for the benchmark tools only (vigil-loadgen), never in `vigil`.
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", exact: "0.2.0")
    ],
    targets: [
        // librdkafka from Debian's librdkafka-dev; only Sources/VigilKafka imports it.
        .systemLibrary(
            name: "CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        .target(
            name: "VigilKafka",
            dependencies: ["CRdKafka", .product(name: "Logging", package: "swift-log")]
        ),
        // The sixteen-lane (AVX-512) tree walk the model scores with where the CPU has it.
        .target(name: "CVigilTreeWalk"),
        .target(name: "VigilCore", dependencies: ["CVigilTreeWalk"]),
        // The service layer: commands, configuration, the processing loop, operations (admin HTTP,
        // systemd, logging), the public feed. A library, so tests import it rather than an executable.
        .target(
            name: "VigilService",
            dependencies: [
                "VigilCore", "VigilKafka",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio")
            ]
        ),
        .executableTarget(name: "vigil", dependencies: ["VigilService"]),
        // Benchmarks, apart from the tests: swift run -c release vigil-bench --input FILE
        // (docs/PERFORMANCE.md). The C helper counts allocations; it is linked into benchmarks only.
        .target(name: "CVigilBenchSupport", path: "Benchmarks/CVigilBenchSupport"),
        .executableTarget(
            name: "vigil-bench",
            dependencies: [
                "VigilCore", "VigilKafka", "CVigilBenchSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log")
            ],
            path: "Benchmarks/VigilBench"
        ),
        // Load generator and latency probe for the end-to-end benchmark (tools/bench_e2e.py).
        .executableTarget(
            name: "vigil-loadgen",
            dependencies: [
                "VigilKafka",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Histogram", package: "hdrhistogram-swift")
            ],
            path: "Benchmarks/VigilLoadgen"
        ),
        .testTarget(name: "VigilCoreTests", dependencies: ["VigilCore"]),
        .testTarget(
            name: "VigilKafkaTests",
            dependencies: ["VigilKafka", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(name: "VigilEndToEndTests", dependencies: ["VigilKafka", "VigilCore", "vigil"]),
        // Unit tests of the service layer (operations, configuration, formats): no broker needed.
        .testTarget(name: "VigilServiceTests", dependencies: ["VigilService", "VigilCore", "VigilKafka"])
    ],
    swiftLanguageModes: [.v6]
)
