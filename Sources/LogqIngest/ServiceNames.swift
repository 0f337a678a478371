/// Short names for the service group's log lines (see LogqServer's ServiceNames.swift).
extension TCPLineListener: CustomStringConvertible { public var description: String { "\(name) listener" } }
extension BeatsListener: CustomStringConvertible { public var description: String { "Beats listener" } }
extension UDPSyslogListener: CustomStringConvertible { public var description: String { "syslog UDP listener" } }
extension FileTailer: CustomStringConvertible { public var description: String { "file input \(input.name)" } }
