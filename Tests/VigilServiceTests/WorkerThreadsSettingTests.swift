import Testing

@testable import VigilService

/// `pipeline.worker_threads`: "auto" unless set, which is 2 with two or more CPUs and 1 on one; a number as given; nonsense stops startup naming the key.
@Suite("pipeline.worker_threads")
struct WorkerThreadsSettingTests {
    static func parse(_ pipeline: String, environment: [String: String] = [:]) throws(ConfigurationError) -> VigilConfiguration {
        try VigilConfiguration.parse(toml: "[pipeline]\n\(pipeline)\n[admin]\nlisten = \"\"\n", environment: environment)
    }

    @Test func unsetItIsAutoWhichIsTheMachinesAndItIsRendered() throws {
        let auto = VigilConfiguration.Pipeline.automaticWorkerThreads()
        let config = try Self.parse("")
        #expect(config.pipeline.workerThreads == auto)
        #expect(config.renderEffective(masked: false).contains("worker_threads = \(auto)"))
        #expect(try Self.parse("", environment: ["VIGIL_PIPELINE_WORKER_THREADS": "1"]).pipeline.workerThreads == 1)
        #expect(try Self.parse("worker_threads = \"auto\"").renderEffective(masked: false).contains("worker_threads = \(auto)"))
        #expect(try Self.parse("worker_threads = \"auto\"").pipeline.workerThreads == auto)
        #expect(try Self.parse("", environment: ["VIGIL_PIPELINE_WORKER_THREADS": "auto"]).pipeline.workerThreads == auto)
        #expect(try Self.parse("worker_threads = 3", environment: ["VIGIL_PIPELINE_WORKER_THREADS": "1"]).pipeline.workerThreads == 1)
        #expect(try Self.parse("", environment: ["VIGIL_PIPELINE_WORKER_THREADS": "2"]).pipeline.workerThreads == 2)
        #expect(try Self.parse("worker_threads = 1").pipeline.workerThreads == 1)
        #expect(try Self.parse("worker_threads = 3").pipeline.workerThreads == 3)
    }

    @Test("auto: 1 on a single core, 2 from two cores on", arguments: [(1, 1), (2, 2), (3, 2), (64, 2)])
    func automaticIsTwoAtMostAndOneOnOneCore(cpus: Int, threads: Int) {
        #expect(VigilConfiguration.Pipeline.automaticWorkerThreads(cpus: cpus) == threads)
    }

    @Test(arguments: [
        "worker_threads = 0", "worker_threads = -2", "worker_threads = 1000", "worker_threads = \"two\"",
        "worker_threads = \"Auto\"", "worker_threads = 1.5", "worker_threads = true"
    ])
    func outOfRangeOrNotANumberNamesTheKey(_ line: String) {
        do {
            _ = try Self.parse(line)
            Issue.record("\(line) must be refused")
        } catch {
            #expect(error.key == "pipeline.worker_threads")
        }
    }

    @Test(arguments: ["two", "", "2x", "AUTO"])
    func aBadEnvironmentValueNamesTheKey(_ value: String) {
        do {
            _ = try Self.parse("", environment: ["VIGIL_PIPELINE_WORKER_THREADS": value])
            Issue.record("\(value) must be refused")
        } catch {
            #expect(error.key == "pipeline.worker_threads")
        }
    }
}
