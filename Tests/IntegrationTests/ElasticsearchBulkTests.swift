import Foundation
import Testing

/// The Elasticsearch-compatible `_bulk` endpoint as Filebeat's, Vector's and Fluent Bit's Elasticsearch
/// outputs call it: the version check, then bulk bodies, answered in Elasticsearch's shape once durable.
@Suite(.serialized) struct ElasticsearchBulkTests {
    @Test func bulkBodiesAreStoredAndAnsweredLikeElasticsearch() throws {
        let server = ServerProcess(dataDirectory: temporaryPath("bulk"))
        try server.start()
        defer { server.stop(signal: SIGKILL) }

        let info = try httpGet(server.baseURL + "/")
        let version = try JSONSerialization.jsonObject(with: Data(info.body.utf8)) as? [String: Any]
        #expect((version?["version"] as? [String: Any])?["number"] as? String == "8.11.0")

        // A Filebeat-shaped event, a create, a delete and an update (refused), a document that is not JSON.
        let filebeat = """
            {"@timestamp":"2026-11-23T09:41:07.123Z","message":"Payment failed orderId=O1 bulk-marker",\
            "log":{"level":"error","file":{"path":"/var/log/order/order.log"}},"host":{"name":"order-01"},\
            "service":{"name":"order"},"fields":{"env":"prod"},"agent":{"type":"filebeat"}}
            """
        let body =
            [
                "{\"index\":{\"_index\":\"filebeat-8.11.0\"}}", filebeat,
                "{\"create\":{\"_id\":\"abc\"}}",
                "{\"message\":\"second bulk-marker\",\"level\":\"info\",\"service\":\"member\"}",
                "{\"delete\":{\"_index\":\"logs\",\"_id\":\"1\"}}",
                "{\"update\":{\"_index\":\"logs\",\"_id\":\"2\"}}", "{\"doc\":{\"message\":\"not applied\"}}",
                "{\"index\":{}}", "plain text document bulk-marker",
            ].joined(separator: "\n") + "\n"
        let answer = try httpPost(server.baseURL + "/logs-app/_bulk", body: body)
        #expect(answer.status == 200)
        let object = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any]
        #expect(object?["errors"] as? Bool == true)
        let items = try #require(object?["items"] as? [[String: [String: Any]]])
        #expect(items.map { $0.keys.first! } == ["index", "create", "delete", "update", "index"])
        #expect(items.map { $0.values.first!["status"] as? Int } == [201, 201, 400, 400, 201])
        #expect(items[0]["index"]?["_index"] as? String == "filebeat-8.11.0")
        #expect(items[1]["create"]?["_index"] as? String == "logs-app")
        #expect(items[1]["create"]?["_id"] as? String == "abc")

        // Everything acknowledged is already searchable: the answer came after the fsync.
        #expect(try count("bulk-marker", server) == 3)
        #expect(try count("bulk-marker service:order level:error host:order-01", server) == 1)
        #expect(try count("log.file.path:\"/var/log/order/order.log\" fields.env:prod", server) == 1)
        #expect(try count("_index:filebeat-8.11.0", server) == 1)
        #expect(try count("_index:logs-app service:member level:info", server) == 1)
        #expect(try count("_parse_error:* bulk-marker", server) == 1)
        #expect(try count("\"not applied\"", server) == 0)
    }
}
