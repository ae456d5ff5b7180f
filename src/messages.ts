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
  'field.topics_required': 'name at least one topic',
  'field.topics_repeat': 'topics must not repeat',
  'field.jdbc_url_format': 'must look like jdbc:mysql://host:port/ with no database',
  'field.fe_host_format': 'a host name or IP, without scheme or port',
  'field.label_prefix_format': 'use 1-16 letters, digits or "_"',
  'field.regex_invalid': 'not a valid regular expression',
  'field.column_name_format': 'a column name is letters, digits and "_"',
  'field.soft_delete_column_required': 'required when deleteMode is "soft"',
  'field.template_placeholder': 'unknown placeholder ${{token}}: use ${db}, ${table}, ${1}..${{groups}} or a named group',
  'field.template_characters': 'after placeholders, only letters, digits and "_" are allowed',
  'field.password_required': 'required for a new instance',
  'field.password_not_stored': 'required: no instance named {name} holds one',
  'field.no_mapping_env': 'no mapping environment named {name}',
  'field.no_instance': 'no instance named {name}',
  'field.instance_rename': 'must be the name in the URL (instances cannot be renamed)',
  'field.env_rename': 'must be the name in the URL (environments cannot be renamed)',
  'field.preview_message_required': 'paste a canal flat message (JSON)',
  'field.preview_rules_or_env': 'send the rules to try, or name a stored mappingEnv',
  'field.message_unreadable': '{detail}',

  // Test connection, one result per part (src/starrocks/connection-check.ts).
  'check.kafka_timeout': 'Kafka at {bootstrap} did not answer within {seconds} s',
  'check.kafka_error': 'Kafka at {bootstrap}: {detail}',
  'check.kafka_topics_missing': 'connected, but no topic named {topics}',
  'check.kafka_connected': 'connected; partitions per topic: {partitions}',
  'check.mysql_timeout': 'StarRocks MySQL port {jdbcUrl} did not answer within {seconds} s',
  'check.mysql_error': 'StarRocks MySQL port {jdbcUrl}: {detail}',
  'check.mysql_logged_in': 'logged in as {user}',
  'check.mysql_logged_in_version': 'logged in as {user} (StarRocks {version})',
  'check.fe_timeout': 'StarRocks FE HTTP port {host}:{port} did not answer within {seconds} s',
  'check.fe_error': 'StarRocks FE HTTP port {host}:{port}: {detail}',
  'check.fe_refused': 'the FE refused user {user} (HTTP {status}): check the user name and password',
  'check.fe_accepted': 'FE answered and accepted user {user}',
  'check.fe_unexpected': 'the FE answered HTTP {status}: is this the FE HTTP port (usually 8030)?',

  // Why an instance is in its state (src/instances/instance-state.ts); {detail} is the failure's own text.
  'state.waiting_for_fetcher': 'waiting for a fetcher node to take it',
  'state.fetcher_failed': '{detail}',
  'state.retrying': '{detail}',
  'state.stalled_no_fetcher': 'no node: no fetcher node is online ({behind} messages behind)',
  'state.stalled_not_taken': 'no node: none of the {online} online fetcher nodes took it; check pinNode / pinCluster ({behind} messages behind)',
  'state.stalled_retrying': 'retrying: {detail}',
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

export function codeOfText(text: string): MessageCode | undefined {
  return byText.get(text)
}
