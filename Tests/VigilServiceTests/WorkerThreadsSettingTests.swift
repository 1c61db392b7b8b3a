import Testing

@testable import VigilService

/// `pipeline.worker_threads`: 1 (the serial path) unless set, nonsense stops startup.
@Suite("pipeline.worker_threads")
struct WorkerThreadsSettingTests {
    static func parse(_ pipeline: String, environment: [String: String] = [:]) throws(ConfigurationError) -> VigilConfiguration {
        try VigilConfiguration.parse(toml: "[pipeline]\n\(pipeline)\n[admin]\nlisten = \"\"\n", environment: environment)
    }

    @Test func unsetItIsOneAndItIsRendered() throws {
        let config = try Self.parse("")
        #expect(config.pipeline.workerThreads == 1)
        #expect(config.renderEffective(masked: false).contains("worker_threads = 1"))
        #expect(try Self.parse("", environment: ["VIGIL_PIPELINE_WORKER_THREADS": "2"]).pipeline.workerThreads == 2)
        #expect(try Self.parse("worker_threads = 1").pipeline.workerThreads == 1)
        #expect(try Self.parse("worker_threads = 3").pipeline.workerThreads == 3)
    }

    @Test(arguments: ["worker_threads = 0", "worker_threads = -2", "worker_threads = 1000", "worker_threads = \"two\""])
    func outOfRangeOrNotANumberNamesTheKey(_ line: String) {
        do {
            _ = try Self.parse(line)
            Issue.record("\(line) must be refused")
        } catch {
            #expect(error.key == "pipeline.worker_threads")
        }
    }
}
