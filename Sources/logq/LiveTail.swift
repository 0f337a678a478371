import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `logq -f`: reads `GET /api/v1/tail` as it streams, handing each complete line on, until the server
/// closes the stream or the process is stopped.
final class LiveTail: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private let onLine: (Data) -> Void
    private let onEnd: (Error?, Int) -> Void
    private var pending = Data()
    private var status = 0

    init(onLine: @escaping (Data) -> Void, onEnd: @escaping (Error?, Int) -> Void) {
        self.onLine = onLine
        self.onEnd = onEnd
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        status = (response as? HTTPURLResponse)?.statusCode ?? 0
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        pending.append(data)
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            let line = pending[pending.startIndex..<newline]
            if !line.isEmpty { onLine(Data(line)) }
            pending.removeSubrange(pending.startIndex...newline)
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        onEnd(error, status)
    }
}
