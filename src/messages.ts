/**
 * Every message K2S shows a person (field errors, state reasons, Test connection results, Preview
 * notes), by a stable code. The API sends `{ code, params, message }`: the English `message` for
 * logs, scripts and the CLI, the code and params for the console, which renders them in the chosen
 * language from dashboards/i18n-codes-*.js. A test fails when a code here lacks a translation there.
 *
 * Templates fill `{name}` from params; a `${…}` written for the user (a mapping placeholder) stays
 * as it is unless params name it.
 */
export const catalog = {
  // Field errors zod finds by itself, named by what is wrong rather than zod's wording.
  'field.unknown': 'unknown field',
  'field.required': 'required',
  'field.invalid_type': 'expected {expected}',
  'field.expected_text': 'must be text',
  'field.expected_number': 'must be a number',
  'field.expected_boolean': 'must be true or false',
  'field.expected_list': 'must be a list',
  'field.expected_object': 'must be an object',
  'field.not_integer': 'must be a whole number',
  'field.number_too_small': 'must be at least {minimum}',
  'field.number_too_big': 'must be at most {maximum}',
  'field.text_too_short': 'must be at least {minimum} characters',
  'field.text_too_long': 'must be at most {maximum} characters',
  'field.list_too_short': 'must have at least {minimum} items',
  'field.list_too_long': 'must have at most {maximum} items',
  'field.invalid_choice': 'must be one of {options}',
  'field.invalid_format': 'has the wrong format',
  'field.invalid': 'invalid value',
  // Field errors of K2S' own rules (src/instances/config.ts, the API's routes).
  'field.name_format': 'use 1-64 letters, digits, "_" or "-", starting with a letter or digit',
  'field.topic_format': 'a Kafka topic name is 1-249 of letters, digits, ".", "_", "-"',
  'field.bootstrap_format': 'a comma list of host:port, e.g. 10.0.0.1:9092,10.0.0.2:9092',
  'field.topics_required': 'name at least one topic, or give a topicPattern',
  'field.topics_or_pattern': 'give topics or a topicPattern, not both',
  'field.topics_repeat': 'topics must not repeat',
  'jdbc.shape': 'must look like jdbc:mysql://host:port/ (a query string such as ?useSSL=false may follow)',
  'jdbc.database': 'remove the database "{database}": K2S names each table with its database ({url})',
  'jdbc.flag': '{key} must be true or false, got "{value}"',
  'jdbc.ssl_mode': 'sslMode must be one of {modes}, got "{value}"',
  'jdbc.connect_timeout': 'connectTimeout must be milliseconds above 0, got "{value}"',
  'field.fe_host_format': 'a host name or IP, without scheme or port',
  'field.label_prefix_format': 'use 1-16 letters, digits or "_"',
  'field.time_zone': 'an IANA time zone, e.g. UTC or Asia/Shanghai',
  'field.required_with': 'required with {with}',
  'field.only_with_sasl': 'only with kafkaSecurityProtocol SASL_PLAINTEXT or SASL_SSL',
  'field.only_with_tls': 'only with kafkaSecurityProtocol SSL or SASL_SSL',
  'field.tls_cert_and_key': 'a client certificate and its key go together',
  'field.tls_key_mismatch': 'not the private key of kafkaTlsCert',
  'field.pem_certificate': 'a PEM certificate (-----BEGIN CERTIFICATE-----)',
  'field.pem_private_key': 'an unencrypted PEM private key (-----BEGIN PRIVATE KEY-----)',
  'field.need_types_required': 'sync at least one event type; to sync none, delete the rule or point it at no table',
  'field.need_types_repeat': 'event types must not repeat',
  'field.constant_column_clash': 'already a metadata or soft-delete column of this rule',
  'instance.kafka_secret_rebind': 'required again: {fields} changed, and a stored secret is only sent where it was saved',
  'instance.password_rebind': 'required again: the stored password is only sent to the endpoints and user it was saved with, and {fields} changed',
  'field.column_name_format': 'a column name is letters, digits and "_"',
  'field.soft_delete_column_required': 'required when deleteMode is "soft"',
  'field.template_placeholder': 'unknown placeholder {placeholder}: this rule offers {usable}',
  'field.template_placeholder_no_groups': 'unknown placeholder {placeholder}: this rule offers {usable} (the table pattern has no groups to number: add one, e.g. orders_(\\d+), to use ${1})',
  'field.template_characters': 'after placeholders, only letters, digits and "_" are allowed',
  'field.password_required': 'required for a new instance',
  'field.password_not_stored': 'required: no instance named {name} holds one',
  'field.password_wrong': 'not your current password',
  'field.no_mapping_env': 'no mapping environment named {name}',
  'field.no_instance': 'no instance named {name}',
  'field.instance_rename': 'must be the name in the URL (instances cannot be renamed)',
  'field.env_rename': 'must be the name in the URL (environments cannot be renamed)',
  'field.preview_message_required': 'paste a canal, Debezium or Maxwell message (JSON)',
  'field.preview_rules_or_env': 'send the rules to try, or name a stored mappingEnv',
  'field.message_unreadable': '{detail}',

  // Mapping and topic patterns that cannot be matched in linear time, or at all (src/rows/name-pattern.ts).
  'pattern.empty': 'a pattern must not be empty',
  'pattern.too_long': 'a pattern may have at most {maximum} characters (this one has {length})',
  'pattern.repeat_too_big': 'a repeat count may be at most {maximum} ({repeat})',
  'pattern.repeat_total': 'the repeat counts of a pattern may add up to at most {maximum} (these add up to {total})',
  'pattern.too_complex': 'the pattern is too complex ({steps} steps, at most {maximum}): use fewer or smaller repeats',
  'pattern.lookaround': 'look-ahead and look-behind are not supported: patterns are matched in linear time (RE2 syntax); {detail}',
  'pattern.backreference': 'back-references are not supported: patterns are matched in linear time (RE2 syntax); {detail}',
  'pattern.syntax': 'not a valid regular expression (RE2 syntax): {detail}',

  // Test connection, one result per part (src/starrocks/connection-check.ts); Kafka's also say why a fetcher cannot read.
  'kafka.connected': 'connected; partitions per topic: {topics}',
  'kafka.topics_missing': 'connected, but no topic named {topics}',
  'kafka.pattern_matched': 'connected; {pattern} matches (partitions per topic) {topics}',
  'kafka.pattern_no_match': 'connected; no topic matches {pattern} yet (new ones are picked up within a minute)',
  'kafka.auth_failed': 'authentication failed: Kafka refused user {user} with {mechanism}: check the user name, password and mechanism',
  'kafka.tls_untrusted': "TLS certificate not trusted: the broker's certificate does not chain to the CA given ({reason}); paste the CA that signed it into kafkaTlsCa",
  'kafka.tls_hostname': 'TLS certificate not valid for this host name: {reason}',
  'kafka.tls_failed': 'TLS handshake failed: {reason} (is this a TLS listener, and does it want a client certificate?)',
  'kafka.unreachable': 'unreachable: Kafka at {bootstrap} did not answer ({reason})',
  'kafka.failed': 'Kafka at {bootstrap}: {reason}',
  'kafka.topic_missing': 'Kafka at {bootstrap} has no topic named {topics}',
  'kafka.not_fetching': 'Kafka at {bootstrap} answers, but the consumer has not fetched for {seconds} s',
  'kafka.not_joined': 'Kafka at {bootstrap} answers, but the consumer has not joined its group and fetched for {seconds} s',
  'starrocks.unreachable': 'StarRocks FE at {address} cannot be reached: {error}',
  'fetcher.crashed': 'the Kafka consumer stopped: {error}',
  'fetcher.start_failed': 'the fetcher could not start: {error}',
  'kafka.lag_unreachable': 'Kafka at {bootstrap} did not answer: {reason}',
  'kafka.lag_timeout': 'Kafka at {bootstrap} did not answer within {seconds} s',
  'check.timeout': 'no answer within {seconds} s',
  'check.error': '{detail}',
  'check.mysql_logged_in': 'logged in as {user}',
  'check.mysql_logged_in_version': 'logged in as {user} (StarRocks {version})',
  'check.fe_refused': 'the FE refused user {user} (HTTP {status}): check the user name and password',
  'check.fe_accepted': 'FE answered and accepted user {user}',
  'check.fe_unexpected': 'the FE answered HTTP {status}: is this the FE HTTP port (usually 8030)?',

  // Refusals of the API as a whole (api/auth.ts, api/same-origin.ts, api/nodes.ts).
  'auth.cross_site': 'cross-site request refused: {reason}',
  'auth.role_required': 'this needs the {role} role; {user} is {current}',
  'auth.login_limited': 'too many failed logins: try again in {seconds} s',
  'nodes.registration_limited': 'more than {limit} new nodes registered within a minute',

  // Why an instance is in its state (src/instances/instance-state.ts); {detail} is the failure's own text.
  'state.waiting_for_fetcher': 'waiting for a fetcher node to take it',
  'state.no_fetcher_node': 'no node: no fetcher node is online',
  'state.connecting': '{node} is connecting to Kafka and joining the consumer group',
  'state.retrying': '{detail}',
  'state.stalled_no_fetcher': 'no node: no fetcher node is online ({behind} messages behind)',
  'state.stalled_not_taken': 'no node: none of the {online} online fetcher nodes took it; check pinNode / pinCluster ({behind} messages behind)',
  'state.stalled_no_loader': 'paused: a batch waits for a loader and no loader node is online',
  'state.stalled_batch_loading': 'a batch has not finished loading ({waiting} jobs waiting for a loader, {active} loading)',
  'state.stalled_no_progress': 'no progress for {seconds}s while {behind} messages behind',

  // Notes beside a mapping preview (api/mapping-preview.ts).
  'preview.no_instance': "no instance chosen: the target table's columns are assumed from the message, so nothing is filtered out",
  'preview.table_missing': '{table} does not exist in StarRocks yet: its loads would be quarantined until it does; columns are not filtered',
  'preview.schema_unreachable': 'StarRocks at {jdbcUrl} could not be asked for {table} ({detail}); columns are not filtered',
  'preview.skipped': 'a {kind} message carries no rows: it is counted and skipped',
} as const

export type MessageCode = keyof typeof catalog
export type MessageParams = Record<string, string | number>
/** A message as the API sends it. */
export type Said = { code: MessageCode; params: MessageParams; message: string }

/** The message of `code` with `params`, its English text filled in. */
export function say(code: MessageCode, params: MessageParams = {}): Said {
  return { code, params, message: fill(catalog[code], params) }
}

export function fill(template: string, params: MessageParams): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole))
}

/** Codes whose text has no params, by that text: how a zod message written as `english(code)` finds its code again. */
const byText = new Map<string, MessageCode>(
  (Object.entries(catalog) as [MessageCode, string][]).filter(([, text]) => !/\{\w+\}/.test(text)).map(([code, text]) => [text, code]),
)

/** The English of a parameterless code, for the places zod wants a plain string. */
export function english(code: MessageCode): string {
  return catalog[code]
}

export function isMessageCode(code: string): code is MessageCode {
  return Object.hasOwn(catalog, code)
}

export function codeOfText(text: string): MessageCode | undefined {
  return byText.get(text)
}
