import Testing

@testable import LogqQuery

/// Quantiles are found by selection, not by sorting: the answer must be the sorted array's nearest rank.
@Suite struct QuantileSelectionTests {
    @Test func selectionGivesTheNearestRankOfTheSortedValues() {
        var state: UInt64 = 5
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        #expect(Aggregation.nearestRank(0.5, of: []) == nil)
        for round in 0..<300 {
            let count = 1 + Int(next() % 400)
            // Few distinct values in some rounds: runs of equal values must not stall or skew the search.
            let spread = round % 3 == 0 ? 4 : 1_000_000
            let values = (0..<count).map { _ in Double(next() % UInt64(spread)) - Double(spread / 2) }
            let sorted = values.sorted()
            for fraction in [0.0, 0.01, 0.5, 0.9, 0.95, 0.99, 1.0] {
                let rank = min(max(1, Int((fraction * Double(count)).rounded(.up))), count)
                #expect(
                    Aggregation.nearestRank(fraction, of: values) == sorted[rank - 1], "round \(round) p\(fraction)")
            }
        }
    }
}
