import Foundation
import Testing

@testable import VigilService

/// `[scale_out]` (issue 18): the tile layout's settings, and bad values stopping startup with the key named.
@Suite("Scale-out settings")
struct ScaleOutSettingsTests {
    func error(_ toml: String) -> ConfigurationError? {
        do {
            _ = try VigilConfiguration.parse(toml: toml, environment: [:])
            return nil
        } catch {
            return error
        }
    }

    @Test func defaultsAreOffWithSixPartitionsOfFourKilometreTiles() throws {
        let config = try VigilConfiguration.parse(toml: "", environment: [:])
        #expect(!config.scaleOut.enabled)
        #expect(config.scaleOut.partitions == 6 && config.scaleOut.tileCells == 16)
        #expect(config.scaleOut.routedTopic == "vigil.routed" && config.scaleOut.findingsTopic == "vigil.findings")
        #expect(config.scaleOut.scanThreads == min(6, VigilConfiguration.Pipeline.onlineCPUs), "one scan per CPU")
    }

    @Test func environmentEnablesIt() throws {
        let config = try VigilConfiguration.parse(
            toml: "", environment: ["VIGIL_SCALE_OUT_ENABLED": "true", "VIGIL_SCALE_OUT_PARTITIONS": "3"])
        #expect(config.scaleOut.enabled && config.scaleOut.partitions == 3)
        #expect(config.renderEffective().contains("[scale_out]\nenabled = true\npartitions = 3"))
    }

    /// With the scan off there is nothing to scale out: the layout does not run (the main pipeline
    /// runs every rule per input partition), so turning the scan off is one key, not two.
    @Test func enabledWithTheScanOffDoesNotRun() throws {
        let config = try VigilConfiguration.parse(toml: "[scale_out]\nenabled = true\n[clusters]\nenabled = false", environment: [:])
        #expect(config.scaleOut.enabled && !config.scaleOut.runs)
        #expect(config.mainPipeline().engine == config.engine, "the main pipeline keeps its engine")
        let on = try VigilConfiguration.parse(toml: "[scale_out]\nenabled = true", environment: [:])
        #expect(on.scaleOut.runs)
        let main = on.mainPipeline()
        #expect(main.engine.clusters == nil && main.stagedClusters == on.engine.clusters, "the scan is the stages'")
        #expect(main.renderEffective() == on.renderEffective(), "check-config and a reload still see the scan's settings")
    }

    /// Issue 18's done-when: the daemon a city deploys from the shipped file says what `vigil replay`
    /// says, so the shipped file runs the exact layout (the built-in default, for a file without the
    /// key, stays off: the region-keyed layout).
    @Test func theShippedConfigRunsTheExactLayout() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let shipped = try VigilConfiguration.load(path: root.appendingPathComponent("Config/vigil.toml").path, environment: [:])
        #expect(shipped.scaleOut.runs)
        #expect(
            Set(shipped.engine.alertKinds ?? []) == [.clusterEmerging, .clusterGrew, .clusterEnded],
            "every default alert comes from the layout")
    }

    /// A stage's deliveries are never given up on by a timeout, and stay in order, whatever the
    /// operator set for the daemon's other producers (a gap in a stage's sequence cannot be refilled).
    @Test func stageProducersWaitOutAStallInOrder() throws {
        let config = try VigilConfiguration.parse(
            toml: """
                [kafka.producer]
                "message.timeout.ms" = "30000"
                "delivery.timeout.ms" = "30000"
                "enable.idempotence" = "false"
                """, environment: [:])
        #expect(config.producerProperties["message.timeout.ms"] == "30000", "the main pipeline keeps the operator's")
        let stage = ScaleOutStages.stageProducerProperties(config)
        #expect(stage["message.timeout.ms"] == "0" && stage["delivery.timeout.ms"] == nil && stage["enable.idempotence"] == "true")
    }

    @Test(arguments: [
        ("[scale_out]\npartitions = 0", "scale_out.partitions"),
        ("[scale_out]\ntile_cells = 0", "scale_out.tile_cells"),
        ("[scale_out]\npartitions = 2\nscan_threads = 3", "scale_out.scan_threads"),
        ("[scale_out]\nscan_threads = \"many\"", "scale_out.scan_threads"),
        ("[scale_out]\nrouted_topic = \"no spaces\"", "scale_out.routed_topic"),
        ("[scale_out]\nfindings_topic = \"vigil.routed\"", "scale_out.findings_topic"),
        ("[scale_out]\nenabled = true\nfindings_topic = \"incidents\"", "scale_out.findings_topic"),
        ("[scale_out]\nenable = true", "scale_out.enable")
    ])
    func badValuesNameTheirKey(toml: String, key: String) {
        let e = error(toml)
        #expect(e?.key == key, "\(toml): \(e.map { "\($0)" } ?? "accepted")")
    }
}
