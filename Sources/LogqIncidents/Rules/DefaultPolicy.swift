/// The operations policy shipped in the binary; docs/incidents.md explains it rule by rule. A config's
/// `incidents.rules:` replaces these rules, and each other key replaces its default.
let defaultPolicyYAML = #"""
    correlation_window: 10m
    reopen_grace: 30m
    open_incidents_for: [critical]
    on_call: ops
    topology:
      nginx: [gateway]
      gateway: [order, member, product, inventory, employee]
      order: [mysql, redis, rabbitmq, inventory, member]
      member: [mysql, redis]
      product: [mysql, redis]
      inventory: [mysql, redis]
      employee: [mysql]
      ai-recommend: [redis, product]
      ai-forecast: [mysql]
    rules:
      # API response time, from nginx's request_time (seconds) over the requests that did not fail: a
      # failed request counts toward the error rate instead, so a burst of 504s is one signal, not two.
      - { name: api-latency-critical, signal: api-latency, kind: quantile, query: 'service:nginx status:<500',
          field: request_time, quantile: 0.95, above: 5, window: 5m, for: 5m, severity: critical, category: application }
      - { name: api-latency-warning, signal: api-latency, kind: quantile, query: 'service:nginx status:<500',
          field: request_time, quantile: 0.95, above: 3, window: 5m, for: 10m, severity: warning, category: application }
      - { name: api-latency-info, signal: api-latency, kind: quantile, query: 'service:nginx status:<500',
          field: request_time, quantile: 0.95, above: 2, window: 5m, for: 15m, severity: info, category: application }
      # API error rate: responses 5xx among all nginx responses. The API rules look at 5-minute windows and
      # must hold at every evaluation for their `for:`, so one unlucky minute of a quiet API fires nothing.
      - { name: api-errors-critical, signal: api-errors, kind: ratio, query: 'service:nginx status:>=500',
          of: 'service:nginx', min_count: 20, above: 0.10, window: 5m, for: 5m, severity: critical, category: application }
      - { name: api-errors-warning, signal: api-errors, kind: ratio, query: 'service:nginx status:>=500',
          of: 'service:nginx', min_count: 20, above: 0.05, window: 5m, for: 10m, severity: warning, category: application }
      - { name: api-errors-info, signal: api-errors, kind: ratio, query: 'service:nginx status:>=500',
          of: 'service:nginx', min_count: 20, above: 0.02, window: 5m, for: 15m, severity: info, category: application }
      # Database connections in use, as a percentage of the pool (HikariCP's pool stats lines).
      - { name: db-connections-critical, signal: db-connections, kind: quantile, query: 'db_pool_usage:*',
          field: db_pool_usage, quantile: 0.5, min_count: 1, above: 90, window: 1m, for: 5m, severity: critical,
          category: infrastructure }
      - { name: db-connections-warning, signal: db-connections, kind: quantile, query: 'db_pool_usage:*',
          field: db_pool_usage, quantile: 0.5, min_count: 1, above: 80, window: 1m, for: 10m, severity: warning,
          category: infrastructure }
      # A burst of one error template from one service (nginx's 5xx lines are the api-errors signal).
      - { name: error-burst, kind: threshold, query: '(level:error OR level:fatal) -service:nginx',
          by: [service, fingerprint], above: 30, window: 5m, for: 1m, severity: warning, category: application }
      # MySQL statements stuck for 10 s or more, per table.
      - { name: slow-queries, kind: slow_query, query: 'service:mysql', min_query_time: 10s, by: [table],
          above: 5, window: 5m, for: 1m, severity: warning, category: data }
      # An error template not seen in the last week.
      - { name: new-error, kind: new_fingerprint, query: 'level:error OR level:fatal', lookback: 7d,
          window: 10m, severity: info, category: application }
      # A service that logged before and has logged nothing for 10 minutes.
      - { name: service-silent, kind: absent, by: [service], window: 10m, severity: warning,
          category: infrastructure }
    """#
