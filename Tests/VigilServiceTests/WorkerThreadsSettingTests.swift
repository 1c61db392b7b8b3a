import Testing

@testable import VigilService

/// `pipeline.worker_threads`: one per CPU unless set, 1 keeps the serial path, nonsense stops startup.
@Suite("pipeline.worker_threads")
struct WorkerThreadsSettingTests {
    static func parse(_ pipeline: String, environment: [String: String] = [:]) throws(ConfigurationError) -> VigilConfiguration {
        try VigilConfiguration.parse(toml: "[pipeline]\n\(pipeline)\n[admin]\nlisten = \"\"\n", environment: environment)
    }

    @Test func unsetItIsOnePerOnlineCPUAndItIsRendered() throws {
        let config = try Self.parse("")
        #expect(config.pipeline.workerThreads == VigilConfiguration.Pipeline.onlineCPUs)
        #expect(config.renderEffective(masked: false).contains("worker_threads = \(VigilConfiguration.Pipeline.onlineCPUs)"))
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
