/// Writes realistic logs of the coffee-chain platform, deterministically from a seed: Spring Boot
/// services with multi-line Java stack traces, nginx access logs with `request_time`, the MySQL slow
/// query log, and JSON lines from Python services.
///
/// Every event says which of `markerWords` its message holds, so tests get exact expected counts
/// without re-implementing the product's tokenizer.
public struct CorpusGenerator: Sendable {
    /// Words that appear only in known templates; `CorpusCounts.words` counts the events holding each.
    public static let markerWords = ["timeout", "deadlock", "refused", "payment", "cappuccino"]
    public static let springServices = ["order", "member", "product", "inventory", "employee", "gateway"]
    public static let pythonServices = ["ai-recommend", "ai-forecast"]
    /// 2026-11-23T09:00:00Z
    public static let defaultStart: Int64 = 1_795_424_400 * 1_000_000_000

    private var random: SplitMix64
    private var clock: Int64
    private let meanStep: Int64
    /// A fault to inject (see `CorpusFault`); nil writes only the platform's everyday noise.
    public var fault: CorpusFault?

    /// `eventsPerSecond` sets how densely the events are spread in time from `start`.
    public init(
        seed: UInt64, start: Int64 = CorpusGenerator.defaultStart, eventsPerSecond: Int = 1000,
        fault: CorpusFault? = nil
    ) {
        random = SplitMix64(seed: seed)
        clock = start
        meanStep = 1_000_000_000 / Int64(max(1, eventsPerSecond))
        self.fault = fault
    }

    var currentTime: Int64 { clock }
    mutating func below(_ bound: Int) -> Int { random.below(bound) }
    mutating func pick<T>(_ choices: [T]) -> T { random.pick(choices) }
    mutating func randomHex(_ count: Int) -> String { random.hex(count) }
    mutating func randomDigits(_ count: Int) -> String { random.digits(count) }

    public mutating func next() -> CorpusEvent {
        clock += Int64(random.below(Int(2 * meanStep) + 1))
        if let fault, fault.isActive(at: clock), random.below(100) < fault.intensity {
            return faultEvent(fault)
        }
        let roll = random.below(100)
        switch roll {
        case 0..<55: return springBoot()
        case 55..<85: return nginxAccess()
        case 85..<90: return mysqlSlow()
        default: return python()
        }
    }

    // MARK: Spring Boot

    private mutating func springBoot() -> CorpusEvent {
        let service = random.pick(Self.springServices)
        let host = "\(service)-0\(1 + random.below(2))"
        let traceId = random.hex(16)
        let thread = "http-nio-8080-exec-\(1 + random.below(20))"
        let logger = "c.c.\(service).service.\(service.prefix(1).uppercased() + service.dropFirst())Service"
        var fields: [(String, CorpusEvent.Value)] = [
            ("logger", .string(logger)), ("thread", .string(thread)), ("traceId", .string(traceId)),
        ]
        var markers: Set<String> = []
        let level: String
        var message: String
        let roll = random.below(100)
        switch roll {
        case 0..<60:
            level = "info"
            (message, markers) = springInfo(service: service, traceId: traceId)
        case 60..<75:
            level = "debug"
            message =
                "Fetching \(service) record from cache key=\(service):\(random.digits(6)) hit=\(random.chance(80))"
        case 75..<87:
            level = "warn"
            let took = 800 + random.below(4000)
            message = "Slow response from \(random.pick(Self.springServices))-service took \(took)ms traceId=\(traceId)"
            fields.append(("elapsed_ms", .int(took)))
        default:
            level = "error"
            (message, markers) = springError(service: service, traceId: traceId)
        }
        return CorpusEvent(
            kind: .springBoot, timestamp: clock, service: service, host: host, level: level, message: message,
            fields: fields, markerWords: markers)
    }

    private mutating func springInfo(service: String, traceId: String) -> (String, Set<String>) {
        switch service {
        case "order":
            let item = random.pick(["cappuccino", "latte", "americano", "mocha", "flat_white", "cold_brew"])
            let amount = Double(1200 + random.below(4000)) / 100
            let message =
                "Order created orderId=O\(random.digits(8)) userId=U\(random.digits(6)) store=S\(random.digits(3)) "
                + "item=\(item) amount=\(String(format3: amount).dropLast()) traceId=\(traceId)"
            return (message, item == "cappuccino" ? ["cappuccino"] : [])
        case "member":
            return (
                "Member login memberId=M\(random.digits(7)) channel=\(random.pick(["app", "wechat", "pos"])) traceId=\(traceId)",
                []
            )
        case "product":
            return ("Product catalog refreshed count=\(50 + random.below(400)) took=\(random.below(300))ms", [])
        case "inventory":
            return (
                "Stock reserved sku=SKU\(random.digits(5)) store=S\(random.digits(3)) qty=\(1 + random.below(5)) traceId=\(traceId)",
                []
            )
        case "employee":
            return (
                "Shift scheduled employeeId=E\(random.digits(5)) store=S\(random.digits(3)) slot=\(random.pick(["am", "pm", "night"]))",
                []
            )
        default:
            let target = random.pick(["order", "member", "product", "inventory"])
            return (
                "Route matched path=/api/\(target)/v1 upstream=\(target)-service latency=\(random.below(200))ms traceId=\(traceId)",
                []
            )
        }
    }

    private mutating func springError(service: String, traceId: String) -> (String, Set<String>) {
        let frames = [
            "\tat com.zaxxer.hikari.pool.ProxyPreparedStatement.executeUpdate(ProxyPreparedStatement.java:61)",
            "\tat org.springframework.jdbc.core.JdbcTemplate.update(JdbcTemplate.java:1002)",
            "\tat com.coffee.\(service).repository.\(service.capitalizedFirst)Repository.save(\(service.capitalizedFirst)Repository.java:\(40 + random.below(80)))",
            "\tat com.coffee.\(service).service.\(service.capitalizedFirst)Service.handle(\(service.capitalizedFirst)Service.java:\(60 + random.below(120)))",
            "\tat java.base/java.lang.Thread.run(Thread.java:840)",
        ]
        let choice = service == "order" && random.chance(40) ? 0 : 1 + random.below(3)
        switch choice {
        case 0:
            let reason = random.pick(["insufficient_balance", "gateway_error", "card_declined"])
            let head = "Payment failed orderId=O\(random.digits(8)) reason=\(reason) traceId=\(traceId)"
            let trace =
                "com.coffee.order.PaymentException: Payment failed with reason \(reason)\n"
                + frames.joined(separator: "\n")
            return (head + "\n" + trace, ["payment"])
        case 1:
            let head = "Lock wait timeout exceeded; try restarting transaction traceId=\(traceId)"
            let trace =
                "com.mysql.cj.jdbc.exceptions.MySQLTransactionRollbackException: Lock wait timeout exceeded; try restarting transaction\n"
                + "\tat com.mysql.cj.jdbc.exceptions.SQLError.createSQLException(SQLError.java:123)\n"
                + frames.joined(separator: "\n")
            return (head + "\n" + trace, ["timeout"])
        case 2:
            let head = "Deadlock found when trying to get lock; try restarting transaction traceId=\(traceId)"
            let trace =
                "com.mysql.cj.jdbc.exceptions.MySQLTransactionRollbackException: Deadlock found when trying to get lock\n"
                + frames.joined(separator: "\n")
            return (head + "\n" + trace, ["deadlock"])
        default:
            let head = "Redis command failed: Connection refused: redis-master:6379 traceId=\(traceId)"
            let trace =
                "io.lettuce.core.RedisConnectionException: Unable to connect to redis-master:6379\n"
                + "Caused by: java.net.ConnectException: Connection refused\n"
                + frames.suffix(2).joined(separator: "\n")
            return (head + "\n" + trace, ["refused"])
        }
    }

    // MARK: nginx

    private mutating func nginxAccess() -> CorpusEvent {
        var status: Int
        let roll = random.below(100)
        switch roll {
        case 0..<84: status = 200
        case 84..<88: status = random.pick([301, 304])
        case 88..<96: status = 404
        case 96..<99: status = 499
        default: status = random.pick([500, 502, 504])
        }
        let target = random.pick(["order/orders", "member/login", "product/list", "inventory/stock", "employee/shifts"])
        let method = random.pick(["GET", "GET", "GET", "POST", "PUT"])
        let path = "/api/\(target)/\(random.digits(5))"
        if let fault, target.hasPrefix("order/"), fault.isActive(at: clock, after: CorpusFault.gatewayTimeout),
            random.chance(90)
        {
            status = 504
        }
        let level = status >= 500 ? "error" : (status >= 400 ? "warn" : "info")
        let requestTime = status == 504 ? 60.0 : Double(random.below(random.chance(5) ? 6000 : 400)) / 1000
        let upstream = status == 499 ? "-" : String(format3: max(0, requestTime - 0.001))
        let agent = random.pick([
            "okhttp/4.12.0", "CoffeeApp/3.2.1 (Android 14)", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)",
        ])
        let bytes = status == 200 ? 200 + random.below(4000) : random.below(600)
        let client = "192.0.2.\(1 + random.below(250))"
        let message =
            "\(client) - - [\(CorpusTime.nginx(clock))] \"\(method) \(path) HTTP/1.1\" \(status) \(bytes) \"-\" \"\(agent)\" "
            + "rt=\(String(format3: requestTime)) uct=\"0.001\" urt=\"\(upstream)\""
        return CorpusEvent(
            kind: .nginxAccess, timestamp: clock, service: "nginx", host: "lb-01", level: level, message: message,
            fields: [
                ("status", .int(status)), ("request_time", .double(requestTime)), ("method", .string(method)),
                ("path", .string(path)), ("upstream_response_time", .string(upstream)), ("client", .string(client)),
            ],
            markerWords: [])
    }

    // MARK: MySQL slow query log

    private mutating func mysqlSlow() -> CorpusEvent {
        let queryTime = 1 + Double(random.below(9000)) / 1000
        let lockTime = Double(random.below(200)) / 1000
        let examined = 10_000 + random.below(900_000)
        let sent = random.below(50)
        let statement = random.pick([
            "SELECT * FROM orders WHERE user_id = \(random.digits(6)) ORDER BY created_at DESC LIMIT 20;",
            "SELECT o.id, i.sku FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.store_id = \(random.digits(3));",
            "UPDATE inventory SET qty = qty - 1 WHERE sku = 'SKU\(random.digits(5))' AND store_id = \(random.digits(3));",
            "SELECT COUNT(*) FROM members WHERE last_login < NOW() - INTERVAL 30 DAY;",
        ])
        return slowStatement(statement, queryTime: queryTime, lockTime: lockTime, examined: examined, sent: sent)
    }

    mutating func slowStatement(
        _ statement: String, queryTime: Double, lockTime: Double, examined: Int? = nil, sent: Int? = nil
    ) -> CorpusEvent {
        let examined = examined ?? 1 + random.below(50)
        let sent = sent ?? random.below(20)
        let client = random.pick(Self.springServices)
        let message = [
            "# Time: \(CorpusTime.rfc3339(clock))",
            "# User@Host: app[app] @ \(client)-01 [192.0.2.\(10 + random.below(20))]  Id: \(1000 + random.below(90000))",
            "# Query_time: \(String(format3: queryTime))  Lock_time: \(String(format3: lockTime)) Rows_sent: \(sent)  Rows_examined: \(examined)",
            "SET timestamp=\(clock / 1_000_000_000);",
            statement,
        ].joined(separator: "\n")
        return CorpusEvent(
            kind: .mysqlSlow, timestamp: clock, service: "mysql", host: "db-01", level: "warn", message: message,
            fields: [
                ("query_time", .double(queryTime)), ("lock_time", .double(lockTime)), ("rows_sent", .int(sent)),
                ("rows_examined", .int(examined)),
            ],
            markerWords: [])
    }

    // MARK: Python

    private mutating func python() -> CorpusEvent {
        let service = random.pick(Self.pythonServices)
        let roll = random.below(100)
        let latency = 20 + random.below(random.chance(10) ? 5000 : 300)
        var markers: Set<String> = []
        let level: String
        let message: String
        switch roll {
        case 0..<80:
            level = "info"
            message =
                "Recommendation computed user=U\(random.digits(6)) items=\(1 + random.below(12)) latency_ms=\(latency)"
        case 80..<90:
            level = "warn"
            message = "Feature store slow latency_ms=\(latency) store=S\(random.digits(3))"
        default:
            level = "error"
            if random.chance(50) {
                message =
                    "Model inference timeout after \(random.pick([3000, 5000])) ms model=\(service)-v\(1 + random.below(3))"
                markers = ["timeout"]
            } else {
                message =
                    "Prediction failed\nTraceback (most recent call last):\n  File \"/app/serve.py\", line 88, in predict\n"
                    + "    result = model.run(features)\nValueError: feature vector has NaN at index \(random.below(64))"
            }
        }
        return CorpusEvent(
            kind: .pythonJSON, timestamp: clock, service: service, host: "ai-01", level: level, message: message,
            fields: [("logger", .string("\(service).api")), ("latency_ms", .int(latency))], markerWords: markers)
    }
}

extension String {
    fileprivate var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
