import ArgumentParser

/// Vigil's benchmarks: the engine without Kafka (`engine`, the default) and a bare librdkafka
/// consume loop (`consume`), the ceiling for the end-to-end benchmark (tools/bench_e2e.py).
struct VigilBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil-bench",
        abstract: "Benchmark Vigil's engine (no Kafka) and the bare Kafka consume ceiling.",
        subcommands: [EngineBench.self, ConsumeBench.self],
        defaultSubcommand: EngineBench.self)
}

VigilBench.main()
