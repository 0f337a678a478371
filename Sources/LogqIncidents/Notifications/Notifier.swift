import Foundation
import Synchronization

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Sends a notice somewhere; `URLSessionTransport` in the server, a recorder in tests.
public protocol NotificationTransport: Sendable {
    /// The HTTP status, or why nothing answered.
    func post(url: String, body: Data, timeoutSeconds: Double) async -> Result<Int, NotificationFailure>
}

public struct NotificationFailure: Error, Sendable, Equatable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
}

public struct URLSessionTransport: NotificationTransport {
    public init() {}

    /// Answers within the timeout whatever the endpoint does: a channel that hangs must not hold the others.
    public func post(url: String, body: Data, timeoutSeconds: Double) async -> Result<Int, NotificationFailure> {
        guard let target = URL(string: url) else { return .failure(NotificationFailure("the URL is not valid")) }
        var request = URLRequest(url: target, timeoutInterval: timeoutSeconds)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = body
        let answered = Mutex(false)
        return await withCheckedContinuation { continuation in
            @Sendable func finish(_ result: Result<Int, NotificationFailure>) {
                let first = answered.withLock { done in
                    defer { done = true }
                    return !done
                }
                if first { continuation.resume(returning: result) }
            }
            let task = URLSession.shared.dataTask(with: request) { _, response, error in
                if let error {
                    // The error's text can hold the URL, and so a robot's token: say only what kind of failure.
                    let timedOut = (error as? URLError)?.code == .timedOut
                    finish(.failure(NotificationFailure(timedOut ? "timed out" : "no answer (connection failed)")))
                } else {
                    finish(.success((response as? HTTPURLResponse)?.statusCode ?? 0))
                }
            }
            task.resume()
            DispatchQueue.global().asyncAfter(deadline: .now() + timeoutSeconds) {
                finish(.failure(NotificationFailure("timed out after \(timeoutSeconds) s")))
                task.cancel()
            }
        }
    }
}

/// Delivers notices for incidents by the policy: at once when opened (or reopened, or raised), then again
/// at the severity's interval until someone acknowledges; each failed delivery is retried with a growing
/// pause; every attempt goes on the incident's timeline, naming the channel and never its URL.
///
/// Driven by `runDue()`, which the server calls every second and tests call after moving their clock.
public actor Notifier {
    private struct Delivery: Sendable {
        var incident: Int64
        var channel: NotificationPolicy.Channel
        var due: Int64
        var attempt: Int
        var event: String
    }

    private struct Repeat {
        var next: Int64
        var every: Int64
    }

    public let policy: NotificationPolicy
    private let desk: IncidentDesk
    private let transport: any NotificationTransport
    private let clock: @Sendable () -> Int64
    private var deliveries: [Delivery] = []
    private var repeats: [Int64: Repeat] = [:]
    /// Sent and failed attempts, for `/metrics`.
    public private(set) var sent = 0
    public private(set) var failed = 0

    public init(
        policy: NotificationPolicy, desk: IncidentDesk, transport: any NotificationTransport = URLSessionTransport(),
        clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1e9) }
    ) {
        self.policy = policy
        self.desk = desk
        self.transport = transport
        self.clock = clock
    }

    /// Takes the desk's changes, then sends what is due now.
    public func runDue() async {
        let now = clock()
        for change in await desk.takeChanges() { schedule(change, now: now) }
        for (id, plan) in repeats where plan.next <= now {
            guard let incident = try? await desk.incident(id), incident.status == .open else {
                repeats[id] = nil
                continue
            }
            enqueue(incident, event: "repeat", now: now)
            repeats[id]?.next = plan.next + plan.every * max(1, (now - plan.next) / plan.every + 1)
        }
        let due = deliveries.filter { $0.due <= now }
        deliveries.removeAll { $0.due <= now }
        // All at once: one slow channel does not delay the others.
        let outcomes = await withTaskGroup(of: (Delivery, Result<Int, NotificationFailure>)?.self) { group in
            for delivery in due {
                group.addTask { [desk, transport, policy] in
                    guard let incident = try? await desk.incident(delivery.incident) else { return nil }
                    if let email = delivery.channel.email {
                        let message = NoticeBody.email(incident: incident, event: delivery.event, settings: email)
                        let client = SMTPClient(
                            host: email.host, port: email.port, timeoutSeconds: policy.timeoutSeconds)
                        do {
                            try await client.send(message)
                            return (delivery, .success(250))
                        } catch {
                            return (delivery, .failure(NotificationFailure("\(error)")))
                        }
                    }
                    let body = NoticeBody.render(delivery.channel.shape, incident: incident, event: delivery.event)
                    let outcome = await transport.post(
                        url: delivery.channel.url, body: body, timeoutSeconds: policy.timeoutSeconds)
                    return (delivery, outcome)
                }
            }
            var outcomes: [(Delivery, Result<Int, NotificationFailure>)] = []
            for await outcome in group { if let outcome { outcomes.append(outcome) } }
            return outcomes
        }
        for (delivery, outcome) in outcomes { await record(delivery, outcome, now: now) }
    }

    private func schedule(_ change: IncidentDesk.IncidentChange, now: Int64) {
        let incident = change.incident
        switch change.kind {
        case .opened, .reopened, .severityRaised:
            enqueue(
                incident,
                event: change.kind == .opened ? "opened" : (change.kind == .reopened ? "reopened" : "severity raised"),
                now: now)
            if let every = policy.routes[incident.severity]?.repeatEvery {
                repeats[incident.id] = Repeat(next: now + every, every: every)
            } else {
                repeats[incident.id] = nil
            }
        case .acknowledged, .closed:
            // Someone has it: stop repeating, and drop retries of notices nobody needs now.
            repeats[incident.id] = nil
            deliveries.removeAll { $0.incident == incident.id }
        }
    }

    private func enqueue(_ incident: Incident, event: String, now: Int64) {
        let audiences = policy.routes[incident.severity]?.audiences ?? []
        for channel in policy.channels where audiences.contains(channel.audience) {
            deliveries.append(Delivery(incident: incident.id, channel: channel, due: now, attempt: 1, event: event))
        }
    }

    private func record(_ delivery: Delivery, _ outcome: Result<Int, NotificationFailure>, now: Int64) async {
        let detail: String
        var succeeded = false
        switch outcome {
        case .success(250) where delivery.channel.email != nil:
            succeeded = true
            detail = "\(delivery.event) email to \(delivery.channel.audience), attempt \(delivery.attempt): accepted"
        case .success(let status) where (200..<300).contains(status):
            succeeded = true
            detail =
                "\(delivery.event) notice to \(delivery.channel.audience), attempt \(delivery.attempt): HTTP \(status)"
        case .success(let status):
            detail = "\(delivery.event) notice, attempt \(delivery.attempt): HTTP \(status)"
        case .failure(let failure):
            detail = "\(delivery.event) notice, attempt \(delivery.attempt): \(failure.reason)"
        }
        if succeeded { sent += 1 } else { failed += 1 }
        var note = detail
        if !succeeded {
            if delivery.attempt < policy.attempts {
                var retry = delivery
                retry.attempt += 1
                retry.due = now + policy.retryBackoff << Int64(delivery.attempt - 1)
                deliveries.append(retry)
                note += "; retrying in \(Double(retry.due - now) / 1e9) s"
            } else {
                note += "; gave up after \(delivery.attempt) attempts"
            }
        }
        try? await desk.recordNotification(
            delivery.incident, channel: delivery.channel.name, succeeded: succeeded, detail: note)
    }
}
