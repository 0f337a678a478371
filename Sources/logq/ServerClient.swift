import ArgumentParser
import Foundation
import LogqQuery

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The CLI's side of the HTTP API: GETs and POSTs, with errors turned into messages and exit codes.
struct ServerClient {
    let baseURL: String

    func get(_ path: String, _ parameters: [URLQueryItem], query: String) async throws -> Data {
        guard var components = URLComponents(string: baseURL + path) else {
            printError("LOGQ_URL is not a URL: '\(baseURL)'. Example: http://127.0.0.1:9900")
            throw ExitCode(ExitStatus.noServer)
        }
        components.queryItems = parameters
        // URLComponents leaves '+' alone; the server would read it as a space.
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        var request = URLRequest(url: components.url!)
        request.timeoutInterval = 300
        return try await send(request, query: query)
    }

    /// POSTs a body; the answer's bytes when the server says 200.
    func post(_ path: String, body: Data, contentType: String) async throws -> Data {
        guard let url = URL(string: baseURL + path) else {
            printError("LOGQ_URL is not a URL: '\(baseURL)'. Example: http://127.0.0.1:9900")
            throw ExitCode(ExitStatus.noServer)
        }
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue(contentType, forHTTPHeaderField: "Content-Type")
        request.timeoutInterval = 300
        return try await send(request, query: "")
    }

    private func send(_ request: URLRequest, query: String) async throws -> Data {
        var request = request
        if let token = ProcessInfo.processInfo.environment["LOGQ_TOKEN"] {
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            printError(
                "no logqd answers at \(baseURL) (\(error.localizedDescription)). "
                    + "Start it with `make run`, or point LOGQ_URL at a running server.")
            throw ExitCode(ExitStatus.noServer)
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard status == 200 else {
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            let error = object?["error"] as? [String: Any]
            let message = error?["message"] as? String ?? String(decoding: data.prefix(500), as: UTF8.self)
            if status == 400, let position = error?["position"] as? Int {
                printError(QueryError(message: message, position: position).pointing(into: query))
                throw ExitCode(ExitStatus.badQuery)
            }
            printError("logqd answered HTTP \(status): \(message)")
            throw ExitCode(ExitStatus.serverError)
        }
        return data
    }
}
