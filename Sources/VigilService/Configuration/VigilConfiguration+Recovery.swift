import VigilCore

extension VigilConfiguration {
    /// `[recovery]`: how a newly assigned partition rebuilds its state (DESIGN.md principle 3).
    struct Recovery: Equatable {
        enum Rewind: Equatable {
            /// The engine's state horizon (`EngineConfiguration.stateHorizon`): exact windows and
            /// rules, but hotspots older than the rewind come back under new ids.
            case auto
            /// Everything the broker still holds: exactly the state of an instance that never
            /// stopped (the default; rebuild time grows with retention).
            case all
            case duration(EventDuration)
        }
        var rewind = Rewind.all

        /// Event-time depth in milliseconds, nil for the whole partition.
        func depth(for engine: EngineConfiguration) -> Int64? {
            switch rewind {
            case .auto: return engine.stateHorizon.milliseconds
            case .all: return nil
            case .duration(let d): return d.milliseconds
            }
        }

        /// `recovery.rewind`; that a duration covers the engine's state horizon is checked once
        /// the engine is known (`checkCovers`).
        static func read(_ r: inout ConfigReader) throws(ConfigurationError) -> Recovery {
            let text = try r.string("recovery.rewind", default: Recovery().renderedRewind)
            switch text {
            case "auto": return Recovery(rewind: .auto)
            case "all": return Recovery(rewind: .all)
            default:
                guard let d = EventDuration.parse(text), d.milliseconds > 0 else {
                    throw ConfigurationError(
                        key: "recovery.rewind", message: "'\(text)' is not \"auto\", \"all\" or a duration",
                        fix: "write \"auto\" (the engine's state horizon), \"all\" or a duration like \"90d\"")
                }
                return Recovery(rewind: .duration(d))
            }
        }

        /// A rewind shorter than the state horizon would rebuild incomplete windows and baselines.
        func checkCovers(_ engine: EngineConfiguration) throws(ConfigurationError) {
            if case .duration(let d) = rewind, d.milliseconds < engine.stateHorizon.milliseconds {
                throw ConfigurationError(
                    key: "recovery.rewind",
                    message:
                        "\(d) is shorter than the engine's state horizon (\(engine.stateHorizon)), so rebuilt windows and baselines would be incomplete",
                    fix: "use \"auto\", \"all\" or at least \"\(engine.stateHorizon)\"")
            }
        }
    }
}
