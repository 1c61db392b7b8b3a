import Testing

@testable import VigilService

/// `Dictionary.withValue(forKey:_:)` mutates the stored value where it is: the pipeline's
/// per-record engine calls rely on it not copying the engine (and its arrays) out and back.
@Suite struct DictionaryInPlaceTests {
    final class Storage {}

    struct Holder {
        var storage = Storage()
        var count = 0
    }

    @Test("the value is mutated in place: its storage is uniquely referenced inside the call")
    func mutatesInPlace() {
        var table: [Int: Holder] = [1: Holder(), 2: Holder()]
        let unique = table.withValue(forKey: 2) { holder -> Bool in
            holder.count += 1
            return isKnownUniquelyReferenced(&holder.storage)
        }
        #expect(unique == true, "a copy would share the storage with the dictionary's value")
        #expect(table[2]?.count == 1)
        #expect(table[1]?.count == 0)
    }

    @Test("a missing key runs nothing and returns nil")
    func missingKey() {
        var table: [Int: Holder] = [1: Holder()]
        var ran = false
        let result: Int? = table.withValue(forKey: 5) { _ in
            ran = true
            return 1
        }
        #expect(result == nil && !ran)
        #expect(table.count == 1)
    }
}
