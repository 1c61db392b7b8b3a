import Foundation
import Testing

@testable import VigilCore
@testable import VigilService

@Suite("[public] settings")
struct PublicSettingsTests {
    @Test func offByDefaultAndTheGuaranteeIsPrinted() throws {
        let config = try VigilConfiguration.parse(toml: "", environment: [:])
        #expect(config.publicFeed.topic == nil)
        let text = config.publicFeed.guaranteeText()
        #expect(text.contains("public feed: off"))
        #expect(text.contains("all releases about it together: ε = 3"))
        #expect(text.contains("neighbourhood_category/day: ε = 0.5 per epoch of 730 days"))
        #expect(text.contains("lifetime budget ε = 12"))
    }

    @Test func onWithAFixedDomain() throws {
        let config = try VigilConfiguration.parse(
            toml: """
                [topics]
                public = "open.data"
                [public]
                neighbourhoods = ["Annex", "Moss Park"]
                categories = ["Assault"]
                weekly_epsilon = 0.25
                daily_epsilon = 0.125
                total_epsilon = 1.5
                """, environment: [:])
        #expect(config.publicFeed.topic == "open.data")
        let release = config.publicFeed.releaseConfiguration()
        #expect(
            release.streams.map(\.name) == [
                "neighbourhood_category/day", "neighbourhood_category/week", "cell_category/day", "cell_category/week"
            ])
        #expect(release.perIncidentMicros == 750_000)
        #expect(config.publicFeed.domain(bounds: config.engine.grid.bounds).keyCount(.neighbourhoodCategory) == 2)
    }

    @Test(arguments: [
        ("[public]\ndaily_epsilon = 0\n", "public.daily_epsilon"),
        ("[public]\nweekly_epsilon = 0.0000001\n", "public.weekly_epsilon"),
        ("[public]\ntotal_epsilon = 1\n", "public.total_epsilon"),
        ("[public]\nstart = \"last monday\"\n", "public.start"),
        ("[public]\ncategories = []\n", "public.categories"),
        ("[public]\nneighbourhoods = [\"A\", \"A\"]\n", "public.neighbourhoods"),
        ("[topics]\npublic = \"open\"\n", "public.neighbourhoods"),
        ("[topics]\npublic = \"vigil.alerts\"\n[public]\nneighbourhoods = [\"A\"]\n", "topics.public"),
        ("[public]\ndaily_horizon = 0\n", "public.daily_horizon"),
        ("[public]\nepsilon = 1\n", "public.epsilon")
    ])
    func badSettingsNameTheKey(toml: String, key: String) {
        #expect {
            _ = try VigilConfiguration.parse(toml: toml, environment: [:]).loadingFiles()
        } throws: { error in
            (error as? ConfigurationError)?.key == key
        }
    }

    @Test func csvQuotesAreaNames() {
        let release = PublicRelease(
            family: .neighbourhoodCategory, period: .week, periodStart: "2026-01-05", periodEnd: Timestamp(milliseconds: 0),
            epoch: 0, step: 1, epsilon: "1", noiseScale: 7, countInterval95: 21, runningTotalInterval95: 20,
            nonNegative: true, figures: [.init(area: "Yonge-St.Clair, \"97\"", category: "Assault", count: 3, runningTotal: 3)],
            areaTotals: nil)
        #expect(
            PublicReleaseFormat.csvRows(release) == [
                "neighbourhood_category/week,2026-01-05,0,1,\"Yonge-St.Clair, \"\"97\"\"\",Assault,3,21,3,20,1,7.0"
            ])
    }
}
