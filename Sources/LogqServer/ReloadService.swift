import Logging
import ServiceLifecycle
import UnixSignals

/// SIGHUP: re-reads the TLS certificate and key, and the configuration file, applying in place what is
/// safe to change while running: API tokens and the log level. Sections that need a restart are named in
/// the log; a file with errors changes nothing and its errors are logged.
struct ReloadService: Service {
    let configuration: ServerConfiguration
    let environment: [String: String]
    let tokens: CurrentTokens
    let credentials: TLSCredentials?
    let logControl: OwnLogControl?
    let metrics: ServerMetrics
    let logger: Logger

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            reload()
        }
    }

    func reload() {
        var succeeded = true
        if let credentials {
            do {
                try credentials.reload()
                logger.info("SIGHUP: TLS certificate and key reloaded; new connections use them")
            } catch {
                succeeded = false
                logger.error(
                    "SIGHUP: TLS files not reloaded, the old certificate stays", metadata: ["error": "\(error)"])
            }
        }
        if let file = configuration.configFile {
            do {
                var fresh = try ServerConfiguration.load(file: file)
                let problems = try fresh.applyEnvironment(environment)
                guard problems.isEmpty else { throw ConfigurationError(file: "the environment", problems: problems) }
                tokens.value = fresh.apiTokens
                logControl?.logLevel = fresh.logLevel
                let restart = configuration.sectionsNeedingRestart(after: fresh)
                logger.info(
                    "SIGHUP: configuration reloaded: \(fresh.apiTokens.count) API tokens in force",
                    metadata: ["file": "\(file)", "log_level": "\(fresh.logLevel)"])
                if !restart.isEmpty {
                    logger.warning(
                        "SIGHUP: these changed sections take effect at the next restart",
                        metadata: ["sections": "\(restart.joined(separator: ","))"])
                }
            } catch {
                succeeded = false
                logger.error("SIGHUP: configuration not reloaded, nothing changed", metadata: ["error": "\(error)"])
            }
        }
        (succeeded ? metrics.reloadsSucceeded : metrics.reloadsFailed).increment()
    }
}
