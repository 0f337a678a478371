/// A fault injected into the generated logs, for the incident scenario: a long lock on a MySQL table makes
/// its statements slow, the order service's transactions time out waiting for the lock (with stack
/// traces), and requests to the order API time out at the gateway and at nginx (504).
///
/// The symptoms start in the order a real lock gives them: slow statements at once, lock-wait errors after
/// InnoDB's 50 s `innodb_lock_wait_timeout`, 504s after the gateway's 60 s timeout.
public struct CorpusFault: Sendable, Equatable {
    public var start: Int64
    public var duration: Int64
    public var table: String
    /// The share (percent) of events in the fault window that are the fault's own (slow statements,
    /// lock-wait errors, gateway timeouts), beside the order API's requests turned into 504s.
    public var intensity: Int

    public static let lockWaitDelay: Int64 = 50 * 1_000_000_000
    public static let gatewayTimeout: Int64 = 60 * 1_000_000_000

    public init(start: Int64, duration: Int64, table: String = "orders", intensity: Int = 25) {
        self.start = start
        self.duration = duration
        self.table = table
        self.intensity = intensity
    }

    public var end: Int64 { start + duration }

    func isActive(at time: Int64, after delay: Int64 = 0) -> Bool { time >= start + delay && time < end }
}

extension CorpusGenerator {
    /// One of the fault's own events at the current time.
    mutating func faultEvent(_ fault: CorpusFault) -> CorpusEvent {
        let time = currentTime
        var kinds = ["slow"]
        if fault.isActive(at: time, after: CorpusFault.lockWaitDelay) { kinds.append("lock") }
        if fault.isActive(at: time, after: CorpusFault.gatewayTimeout) { kinds.append("gateway") }
        switch pick(kinds) {
        case "lock":
            let traceId = randomHex(16)
            let head = "Lock wait timeout exceeded; try restarting transaction traceId=\(traceId)"
            let trace =
                "com.mysql.cj.jdbc.exceptions.MySQLTransactionRollbackException: Lock wait timeout exceeded; try restarting transaction\n"
                + "\tat com.mysql.cj.jdbc.exceptions.SQLError.createSQLException(SQLError.java:123)\n"
                + "\tat com.zaxxer.hikari.pool.ProxyPreparedStatement.executeUpdate(ProxyPreparedStatement.java:61)\n"
                + "\tat com.coffee.order.repository.OrderRepository.save(OrderRepository.java:57)\n"
                + "\tat com.coffee.order.service.OrderService.handle(OrderService.java:112)\n"
                + "\tat java.base/java.lang.Thread.run(Thread.java:840)"
            return CorpusEvent(
                kind: .springBoot, timestamp: time, service: "order", host: "order-0\(1 + below(2))", level: "error",
                message: head + "\n" + trace,
                fields: [
                    ("logger", .string("c.c.order.service.OrderService")),
                    ("thread", .string("http-nio-8080-exec-\(1 + below(20))")), ("traceId", .string(traceId)),
                ],
                markerWords: ["timeout"])
        case "gateway":
            let traceId = randomHex(16)
            let path = "/api/order/orders/\(randomDigits(5))"
            return CorpusEvent(
                kind: .springBoot, timestamp: time, service: "gateway", host: "gateway-0\(1 + below(2))",
                level: "error",
                message: "Upstream order-service timed out after 60000ms path=\(path) status=504 traceId=\(traceId)",
                fields: [
                    ("logger", .string("c.c.gateway.filter.TimeoutFilter")), ("traceId", .string(traceId)),
                    ("status", .int(504)),
                ],
                markerWords: [])
        default:
            let waited = 20 + Double(below(30_000)) / 1000
            let statement = pick([
                "SELECT * FROM \(fault.table) WHERE user_id = \(randomDigits(6)) ORDER BY created_at DESC LIMIT 20;",
                "UPDATE \(fault.table) SET status = 'PAID' WHERE id = \(randomDigits(8));",
            ])
            return slowStatement(statement, queryTime: waited + Double(below(500)) / 1000, lockTime: waited)
        }
    }
}
