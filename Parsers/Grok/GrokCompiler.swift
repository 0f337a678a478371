/// Compiles grok expressions against a pattern library.
public struct GrokCompiler: Sendable {
    public let library: GrokPatternLibrary
    /// Rewrite the Oniguruma constructs of Logstash's files into their PCRE2 meaning (see `GrokExpander`).
    public var compatibility: Bool

    public init(library: GrokPatternLibrary, compatibility: Bool = true) {
        self.library = library
        self.compatibility = compatibility
    }

    /// Dot matches newline by default, as in Logstash (Ruby's MULTILINE), so that a joined multi-line
    /// event matches `%{GREEDYDATA}` to its end.
    /// `utf: false` compiles for bytes (see `PCRE2Regex`): the packs do, Logstash's files need UTF for
    /// their Unicode classes.
    public func compile(
        _ expression: String, options: PCRE2Regex.Options = [.dotMatchesNewline], utf: Bool = true
    ) throws(GrokError) -> GrokPattern {
        var expander = GrokExpander(library: library, compatibility: compatibility)
        try expander.expand(expression, context: "expression \(expression)")
        let source = String(decoding: expander.output, as: UTF8.self)
        do {
            let regex = try PCRE2Regex(source, options: options, utf: utf)
            return GrokPattern(expression: expression, expandedRegex: source, regex: regex, captures: expander.captures)
        } catch {
            throw blame(error, expression: expression, used: expander.used, options: options, utf: utf)
        }
    }

    /// Compiles every definition on its own and returns what PCRE2 rejects, each naming its file and line.
    public func validateLibrary() -> [GrokError] {
        library.names.compactMap { name -> GrokError? in
            do {
                _ = try compile("%{\(name)}")
                return nil
            } catch let error as GrokError {
                return error
            } catch {
                return nil
            }
        }
    }

    /// Finds a definition that fails on its own, so the error names a file and line. Nested definitions
    /// are expanded after the ones that use them: walking backwards finds the innermost culprit.
    private func blame(
        _ error: PatternError, expression: String, used: [String], options: PCRE2Regex.Options, utf: Bool
    ) -> GrokError {
        for name in used.reversed() {
            guard let definition = library[name] else { continue }
            var expander = GrokExpander(library: library, compatibility: compatibility)
            guard (try? expander.expand(definition.regex, context: name)) != nil else { continue }
            do {
                _ = try PCRE2Regex(String(decoding: expander.output, as: UTF8.self), options: options, utf: utf)
            } catch {
                return .invalidRegex(
                    expression: expression, definition: name, location: definition.location,
                    pcre2Message: "\(error.message) (offset \(error.offset) of the expanded definition)")
            }
        }
        return .invalidRegex(
            expression: expression, definition: nil, location: nil,
            pcre2Message: "\(error.message) (offset \(error.offset) of the expanded regex)")
    }
}
