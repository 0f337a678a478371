import Foundation
import LogqCorpus
import Testing

@testable import LogqIncidents

@Suite struct TemplateMinerTests {
    /// The Python prototype's figures (bench/fingerprint_prototype.py, scored as bench/drain3_peer.py scores Drain3: mean 0.9502), which the port must
    /// reproduce: it is meant to behave byte for byte as the prototype.
    static let prototypeAccuracy: [(dataset: String, accuracy: Double)] = [
        ("Android", 0.9550), ("Apache", 1.0), ("BGL", 0.98), ("HDFS", 1.0), ("HPC", 0.9445), ("Hadoop", 0.9895),
        ("HealthApp", 1.0), ("Linux", 0.8130), ("Mac", 0.7830), ("OpenSSH", 0.9960), ("OpenStack", 0.8810),
        ("Proxifier", 0.99), ("Spark", 0.9220), ("Thunderbird", 0.9635), ("Windows", 0.9975), ("Zookeeper", 0.9885),
    ]

    @Test func groupingAccuracyOnLoghubMatchesThePrototype() throws {
        guard let folder = Loghub.folder else { return }
        var total = 0.0
        print("dataset        GA      prototype  groups  true")
        for (dataset, expected) in Self.prototypeAccuracy {
            let (contents, templates) = try Loghub.load(dataset, from: folder)
            let groups = Self.finalGroups(of: contents)
            let accuracy = LoghubSample.groupingAccuracy(predicted: groups, truth: templates)
            total += accuracy
            print(
                dataset.padding(toLength: 14, withPad: " ", startingAt: 0),
                String(format: "%.4f  %.4f     %6ld  %4ld", accuracy, expected, Set(groups).count, Set(templates).count)
            )
            #expect(abs(accuracy - expected) <= 0.005, "\(dataset): GA \(accuracy), the prototype's \(expected)")
        }
        let mean = total / Double(Self.prototypeAccuracy.count)
        print("mean GA", String(format: "%.4f", mean), "(prototype 0.9502)")
        #expect(mean >= 0.94)
    }

    /// Templates the prototype (bench/fingerprint_prototype.py) gives each line in a fresh miner.
    static let prototypeTemplates: [(line: String, template: String)] = [
        ("Connection from 10.0.0.1 closed after 250 ms", "Connection from <*> closed after <*>"),
        (
            "Accepted publickey for root from 192.168.1.10 port 52113 ssh2",
            "Accepted publickey for root from <*> port <*>"
        ),
        (
            "Failed to connect to db-primary.internal:5432 (attempt 3 of 5)",
            "Failed to connect to <*> (attempt <*> of <*>)"
        ),
        ("Reading /var/log/app/server.log failed: Permission denied", "Reading <*> failed: Permission denied"),
        (
            "Payment failed orderId=A1B2C3 amount=12.50 currency=EUR",
            "Payment failed orderId=<*> amount=<*> currency=<*>"
        ),
        ("User login msg=\"disk is full\" user=alice status=ok", "User login msg=<*> user=<*> status=<*>"),
        ("Retry key='a b c' in queue jobs", "Retry key=<*> in queue jobs"),
        ("Uploaded 5 KB in 10 seconds", "Uploaded <*> in <*>"),
        ("Request took 12ms; retry in 5 s", "Request took <*>; retry in <*> s"),
        ("Backup started Fri Jun 17 2016 at 04:00:01", "Backup started <*> at <*>"),
        ("GET https://api.example.com/v1/items?id=7 returned 200", "GET <*> returned <*>"),
        ("Interface eth0 MAC 00:1a:2b:3c:4d:5e is up", "Interface <*> MAC <*> is up"),
        ("Resolved mail.example.com to 2001:db8::1", "Resolved <*> to <*>"),
        ("Lookup of api.svc.cluster.local took 3 ms", "Lookup of <*> took <*>"),
        ("cache enabled=true, ttl=null, retries=3", "cache enabled=<*>, ttl=<*>, retries=<*>"),
        ("Worker pool sizes [4, 8, 16] ready", "Worker pool sizes [<*>] ready"),
        ("Task f(42) finished with code(1) and flags ()", "Task <*> finished with <*> and flags ()"),
        ("Session opened for user nobody by (uid=0)", "Session opened for user nobody by (uid=<*>)"),
        ("Listening on [::]:8080, pid 4242, mode: READY.", "Listening on [::]:<*>, pid <*>, mode: READY."),
        ("Status <*> reported by 7 nodes", "Status <*> reported by <*> nodes"),
        ("Job\u{A0}done in 3 sec", "Job done in <*>"),
        ("Called handler at line 42 of  main.py\twith\u{2003}args", "Called handler at line <*> of main.py with args"),
        ("Wrote 5 \u{212A}B to disk", "Wrote <*> to disk"),
    ]

    @Test func maskingMatchesThePrototype() {
        for (line, expected) in Self.prototypeTemplates {
            var miner = TemplateMiner()
            let template = miner.template(of: line).template
            #expect(template == expected, "\(line)")
        }
    }

    @Test func theIdIsTheFNVHashOfTheTemplateTokens() {
        var miner = TemplateMiner()
        let id = miner.fingerprint(of: "Connection from 10.0.0.1 closed after 250 ms")
        #expect(id == TemplateMiner.id(of: ["Connection", "from", "<*>", "closed", "after", "<*>"]))
        // Pinned: ids are stored with incidents, so they must not change between processes or versions.
        #expect(id == "dcecb2ceb00a0787")
        #expect(TemplateMiner().templateCount == 0)
        #expect(miner.templateCount == 1)
        var empty = TemplateMiner()
        let nothing = empty.template(of: "")
        #expect(nothing.template == "")
        #expect(nothing.id == "cbf29ce484222325")
    }

    @Test func aTemplateGeneralizesAndItsIdFollows() {
        var miner = TemplateMiner()
        let first = miner.template(of: "Connection from alpha closed")
        let second = miner.template(of: "Connection from beta closed")
        #expect(first.template == "Connection from alpha closed")
        #expect(second.template == "Connection from <*> closed")
        #expect(second.id == TemplateMiner.id(of: ["Connection", "from", "<*>", "closed"]))
        let again = miner.fingerprint(of: "Connection from alpha closed")
        #expect(again == second.id)
        #expect(miner.templateCount == 1)
    }

    @Test func onlyTheFirstLineIsMined() {
        var miner = TemplateMiner()
        let trace = miner.template(of: "Payment failed orderId=A1\n\tat com.example.Pay.charge(Pay.java:42)")
        #expect(trace.template == "Payment failed orderId=<*>")
        let head = miner.fingerprint(of: "Payment failed orderId=B2")
        #expect(head == trace.id)
    }

    @Test func theSameMessageGetsTheSameIdInTwoMiners() {
        let message = "Accepted publickey for root from 192.168.1.10 port 52113 ssh2"
        var first = TemplateMiner()
        var second = TemplateMiner()
        let one = first.fingerprint(of: message)
        let other = second.fingerprint(of: message)
        #expect(one == other)
        // Nor does unrelated history change it (these lines fall in other leaves of the tree).
        var seasoned = TemplateMiner()
        _ = seasoned.fingerprint(of: "Disk sda1 is 93% full")
        _ = seasoned.fingerprint(of: "Accepted password for admin from 10.1.1.1 port 22 ssh2")
        let afterHistory = seasoned.fingerprint(of: message)
        #expect(afterHistory == one)
    }

    @Test func lineOrderBarelyChangesTheGrouping() throws {
        guard let folder = Loghub.folder else { return }
        let (contents, templates) = try Loghub.load("Android", from: folder)
        let inOrder = LoghubSample.groupingAccuracy(predicted: Self.finalGroups(of: contents), truth: templates)
        let reversed = LoghubSample.groupingAccuracy(
            predicted: Self.finalGroups(of: Array(contents.reversed())), truth: Array(templates.reversed()))
        var generator = SplitMix64(seed: 7)
        var order = Array(contents.indices)
        for i in stride(from: order.count - 1, to: 0, by: -1) {
            order.swapAt(i, Int(generator.next() % UInt64(i + 1)))
        }
        let shuffled = LoghubSample.groupingAccuracy(
            predicted: Self.finalGroups(of: order.map { contents[$0] }), truth: order.map { templates[$0] })
        print("Android GA in order", inOrder, "reversed", reversed, "shuffled", shuffled)
        #expect(abs(reversed - inOrder) <= 0.01)
        #expect(abs(shuffled - inOrder) <= 0.01)
    }

    @Test func pastTheClusterLimitANewTemplateGetsItsOwnIdWithoutJoining() {
        var miner = TemplateMiner(maxClusters: 1)
        let kept = miner.template(of: "user alice logged in")
        let novel = miner.template(of: "disk sda is full now")
        #expect(novel.template == "disk sda is full now")
        #expect(novel.id == TemplateMiner.id(of: ["disk", "sda", "is", "full", "now"]))
        let again = miner.fingerprint(of: "disk sda is full now")
        #expect(again == novel.id)
        #expect(miner.templateCount == 1)
        // An existing cluster still takes lines, and generalizes.
        let joined = miner.template(of: "user alice logged out")
        #expect(joined.template == "user alice logged <*>")
        #expect(joined.id != kept.id)
        let first = miner.fingerprint(of: "user alice logged in")
        #expect(first == joined.id)
    }

    @Test func pastTheVocabularyLimitALineWithANewTokenGetsItsOwnId() {
        // 129 tokens are built in (`<*>` and the ASCII bytes): room for "user" and "alice" only.
        var miner = TemplateMiner(maxTokens: 131)
        let line = miner.template(of: "user alice logged in at 10:00")
        #expect(line.template == "user alice logged in at <*>")
        #expect(line.id == TemplateMiner.id(of: ["user", "alice", "logged", "in", "at", "<*>"]))
        #expect(miner.templateCount == 0)
        let again = miner.fingerprint(of: "user alice logged in at 11:00")
        #expect(again == line.id)
        let known = miner.template(of: "user alice 7")
        #expect(known.template == "user alice <*>")
        #expect(miner.templateCount == 1)
    }

    @Test func aFullCacheChangesNoTemplate() {
        var miner = TemplateMiner(maxCachedSequences: 1)
        for _ in 0..<2 {
            for (line, expected) in Self.prototypeTemplates {
                let template = miner.template(of: line).template
                #expect(template == expected, "\(line)")
            }
        }
    }

    /// Each line's id after the last line: miner.py's `parse`, whose post-merge groups clusters by final template.
    static func finalGroups(of lines: [String]) -> [String] {
        var miner = TemplateMiner()
        var clusters: [Int?] = []
        clusters.reserveCapacity(lines.count)
        for line in lines { clusters.append(miner.clusterIndex(of: line)) }
        var groups: [String] = []
        groups.reserveCapacity(lines.count)
        for (line, cluster) in clusters.enumerated() {
            groups.append(cluster.map { miner.id(ofCluster: $0) } ?? "unclustered line \(line)")
        }
        return groups
    }

    /// The Loghub 2k sets under `../shared/loghub` beside the package, read in place.
    enum Loghub {
        static let packageRoot: URL = {
            var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            while url.path != "/" {
                if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
                    return url
                }
                url = url.deletingLastPathComponent()
            }
            return url
        }()

        /// The folder, or nil (saying the test is skipped) when this checkout has none.
        static var folder: URL? {
            let url = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/loghub")
            guard FileManager.default.fileExists(atPath: url.path) else {
                print("skipped: \(url.path) is absent")
                return nil
            }
            return url
        }

        static func load(_ dataset: String, from folder: URL) throws -> (contents: [String], templates: [String]) {
            try LoghubSample.load(dataset, from: folder.path)
        }
    }
}
